"""The fine-tuning job that ships beside each version: TRL configurations and a launcher.

``training/sft.yaml``, ``training/dpo.yaml`` and ``training/kto.yaml`` are TRL CLI configuration
files (``trl sft --config ...``) whose dataset is the version directory itself: ``datasets``
loads it through the dataset card's ``configs``. The base model is the one parameter a training
team must give (``BASE_MODEL``); ``training/launch.sh`` checks the files against ``SHA256SUMS``
and runs the stage. ``training/job.json`` says the same for a scheduler.
"""

from __future__ import annotations

from typing import Any

import orjson
import yaml

from pipelines.datasets.config import DatasetConfig

TRL_REQUIREMENT = "trl>=0.20"  # prompt-completion conversational SFT with completion-only loss


def _context_length(config: DatasetConfig) -> int:
    # The next power of two above the longest example the filters allow (in estimated tokens),
    # with a quarter more for the estimate's error on code.
    needed = int(config.max_tokens * 1.25)
    length = 1024
    while length < needed:
        length *= 2
    return length


def stage_configs(config: DatasetConfig, version: str) -> dict[str, dict[str, Any]]:
    """The TRL arguments of each stage (SFT first; DPO and KTO start from its output)."""
    common = {
        "model_name_or_path": "BASE_MODEL",  # replaced on the command line by launch.sh
        "dataset_name": ".",  # the version directory; launch.sh passes its absolute path
        "dataset_train_split": "train",
        "dataset_test_split": "validation",
        "max_length": _context_length(config),
        "bf16": True,
        "gradient_checkpointing": True,
        "per_device_train_batch_size": 2,
        "gradient_accumulation_steps": 8,
        "eval_strategy": "steps",
        "eval_steps": 200,
        "logging_steps": 10,
        "save_strategy": "steps",
        "save_steps": 500,
        "save_total_limit": 2,
        "report_to": "none",
        "seed": 42,
    }
    return {
        "sft": {
            **common,
            "dataset_config": "sft",
            "output_dir": f"outputs/{config.name}-{version}-sft",
            "learning_rate": 2.0e-5,
            "num_train_epochs": 2,
            "lr_scheduler_type": "cosine",
            "warmup_ratio": 0.03,
            # prompt-completion data: the loss is on the answer only, never on the context
            "completion_only_loss": True,
        },
        "dpo": {
            **common,
            "dataset_config": "preference",
            "output_dir": f"outputs/{config.name}-{version}-dpo",
            "learning_rate": 5.0e-7,
            "num_train_epochs": 1,
            "beta": 0.1,
        },
        "kto": {
            **common,
            "dataset_config": "unpaired",
            "output_dir": f"outputs/{config.name}-{version}-kto",
            "learning_rate": 5.0e-7,
            "num_train_epochs": 1,
            "beta": 0.1,
            "desirable_weight": 1.0,
            "undesirable_weight": 1.0,
        },
    }


def yaml_file(stage: str, arguments: dict[str, Any], config: DatasetConfig, version: str) -> str:
    header = (
        f"# TRL {stage.upper()} job for {config.name} {version}.\n"
        f"# Launch from anywhere: BASE_MODEL=<hub id or path> training/launch.sh {stage}\n"
        "# (launch.sh sets model_name_or_path and the absolute dataset path; any other argument\n"
        "# given after the stage name overrides this file, e.g. --num_train_epochs 3.)\n"
    )
    return header + yaml.safe_dump(arguments, sort_keys=False)


LAUNCH_SH = """#!/usr/bin/env bash
# Fine-tune on this training-set version with TRL on a GPU machine.
#   BASE_MODEL=Qwen/Qwen2.5-Coder-7B-Instruct training/launch.sh sft
#   SFT_MODEL=outputs/<...>-sft BASE_MODEL=... training/launch.sh dpo   (or kto)
# Extra arguments go to TRL: training/launch.sh sft --num_train_epochs 3 --output_dir /scratch/run1
# Multi-GPU: ACCELERATE_CONFIG=path/to/accelerate.yaml training/launch.sh sft
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VERSION_DIR="$(dirname "$HERE")"
STAGE="${1:?usage: BASE_MODEL=<model> training/launch.sh sft|dpo|kto [trl arguments...]}"
shift
case "$STAGE" in sft|dpo|kto) ;; *) echo "unknown stage '$STAGE' (sft, dpo or kto)" >&2; exit 2 ;; esac
: "${BASE_MODEL:?set BASE_MODEL to the model to fine-tune (a Hugging Face Hub id or a local path)}"
MODEL="$BASE_MODEL"
if [ "$STAGE" != "sft" ] && [ -n "${SFT_MODEL:-}" ]; then MODEL="$SFT_MODEL"; fi
# Refuse to train on files that are not the published ones.
(cd "$VERSION_DIR" && sha256sum --quiet -c SHA256SUMS)
ARGS=(--config "$HERE/$STAGE.yaml" --model_name_or_path "$MODEL" --dataset_name "$VERSION_DIR" "$@")
if [ -n "${ACCELERATE_CONFIG:-}" ]; then
  exec accelerate launch --config_file "$ACCELERATE_CONFIG" -m "trl.scripts.$STAGE" "${ARGS[@]}"
fi
exec trl "$STAGE" "${ARGS[@]}"
"""


def job_json(config: DatasetConfig, version: str, stages: dict[str, dict[str, Any]]) -> bytes:
    spec = {
        "dataset": config.name,
        "version": version,
        "parameters": {
            "BASE_MODEL": "required: the model to fine-tune (Hugging Face Hub id or local path)",
            "SFT_MODEL": "optional for dpo/kto: start from the SFT stage's output instead of BASE_MODEL",
            "ACCELERATE_CONFIG": "optional: an accelerate config file for multi-GPU runs",
        },
        "requirements": {"python": ">=3.10", "packages": [TRL_REQUIREMENT, "datasets>=3", "accelerate"],
                         "hardware": "one or more CUDA GPUs with bf16 support"},
        "verify": "cd <version dir> && sha256sum -c SHA256SUMS",
        "stages": {
            name: {
                "config": f"training/{name}.yaml",
                "dataset_config": arguments["dataset_config"],
                "command": f"BASE_MODEL=<model> training/launch.sh {name}",
                "after": None if name == "sft" else "sft",
            }
            for name, arguments in stages.items()
        },
    }
    return orjson.dumps(spec, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"
