"""Each format read back by its consumer's own rules: `datasets`, the cookbook checks, TRL shapes."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import orjson
import pytest
import yaml
from typer.testing import CliRunner

from pipelines.datasets import registry
from pipelines.datasets.cli import app
from pipelines.datasets.config import KINDS, SPLITS
from pipelines.datasets.export import ExportError, export
from pipelines.datasets.formats import (
    TRL_COLUMNS,
    check_openai_chat_lines,
    check_openai_dpo_lines,
    openai_path,
    parquet_path,
    read_lines,
)

pytestmark = pytest.mark.xdist_group("datasets")


@pytest.fixture(scope="session")
def hf(tmp_path_factory: pytest.TempPathFactory):
    """The `datasets` library, offline, caching into a private directory."""
    previous = os.environ.get("HF_HOME")
    os.environ["HF_HOME"] = str(tmp_path_factory.mktemp("hf-home"))
    import datasets

    datasets.disable_progress_bars()
    yield datasets
    if previous is None:
        os.environ.pop("HF_HOME", None)
    else:
        os.environ["HF_HOME"] = previous


def _card(version_dir: Path) -> dict:
    text = (version_dir / "README.md").read_text()
    assert text.startswith("---\n")
    return yaml.safe_load(text.split("---\n", 2)[1])


def test_each_config_loads_with_the_datasets_library(published, hf) -> None:
    _, result = published
    counts = result.manifest["counts"]["kept"]
    for kind in KINDS:
        loaded = hf.load_dataset(str(result.path), kind)
        assert set(loaded) == set(SPLITS)
        for split in SPLITS:
            assert loaded[split].num_rows == counts[kind][split]
            assert loaded[split].column_names[: len(TRL_COLUMNS[kind])] == list(TRL_COLUMNS[kind])
    row = hf.load_dataset("parquet", data_files={"train": str(result.path / parquet_path("sft", "train"))})["train"][0]
    assert row["prompt"][-1]["role"] == "user" and row["completion"][0]["role"] == "assistant"


def test_the_dataset_card_metadata_is_what_the_hub_expects(published, hf) -> None:
    from datasets.info import DatasetInfosDict
    from datasets.utils.metadata import MetadataConfigs

    _, result = published
    card = _card(result.path)
    for field in ("pretty_name", "license", "language", "task_categories", "size_categories", "tags",
                  "configs", "dataset_info"):
        assert card[field], field
    configs = MetadataConfigs.from_dataset_card_data(card)
    assert set(configs) == set(KINDS)
    infos = DatasetInfosDict.from_dataset_card_data(card)
    counts = result.manifest["counts"]["kept"]
    for kind in KINDS:
        assert {n: s.num_examples for n, s in infos[kind].splits.items()} == counts[kind]
        loaded_features = hf.load_dataset(str(result.path), kind, split="validation").features
        assert infos[kind].features == loaded_features
    body = (result.path / "README.md").read_text()
    for section in ("## Sources", "## Filters", "## Personal data", "## Intended use", "## Limitations",
                    "## Training on a GPU machine"):
        assert section in body


def test_openai_files_pass_the_cookbook_checks(published) -> None:
    _, result = published
    for kind, check in (("sft", check_openai_chat_lines), ("preference", check_openai_dpo_lines)):
        report = check(read_lines(result.path / openai_path(kind, "train")))
        assert report.ok, report.errors
        assert report.examples == result.manifest["counts"]["kept"][kind]["train"]


@pytest.mark.parametrize("fmt", ["hf-parquet", "openai-chat", "openai-dpo", "trl-sft", "trl-preference", "trl-unpaired"])
def test_every_export_format_reads_back(published, hf, tmp_path: Path, fmt: str) -> None:
    paths, result = published
    out = tmp_path / fmt
    runner = CliRunner()
    done = runner.invoke(app, ["export", result.version, "--format", fmt, "--out", str(out),
                               "--home", str(paths.home), "--json"])
    assert done.exit_code == 0, done.output
    report = orjson.loads(done.stdout)
    counts = result.manifest["counts"]["kept"]
    if fmt == "hf-parquet":
        loaded = hf.load_dataset(str(out), "preference")
        assert loaded["train"].num_rows == counts["preference"]["train"]
    elif fmt.startswith("openai-"):
        check = check_openai_chat_lines if fmt == "openai-chat" else check_openai_dpo_lines
        assert check(read_lines(out / "train.jsonl")).ok
    else:
        kind = {"trl-sft": "sft", "trl-preference": "preference", "trl-unpaired": "unpaired"}[fmt]
        loaded = hf.load_dataset("json", data_files={s: str(out / f"{s}.jsonl") for s in SPLITS})
        assert loaded["test"].column_names == list(TRL_COLUMNS[kind])
        assert loaded["train"].num_rows == counts[kind]["train"]
        if kind == "unpaired":
            assert set(loaded["train"]["label"]) <= {True, False}
    assert set(report["files"]) <= {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert orjson.loads((out / "EXPORT.json").read_bytes())["version"] == result.version


def test_export_refuses_a_modified_version(published, tmp_path: Path) -> None:
    paths, result = published
    copy = tmp_path / result.version
    shutil.copytree(result.path, copy)
    with (copy / openai_path("sft", "train")).open("ab") as handle:
        handle.write(b'{"messages": []}\n')
    ref = registry.VersionRef(result.name, result.version, copy, None)
    with pytest.raises(ExportError, match="modified"):
        export(ref, "openai-chat", tmp_path / "out")


def test_the_job_spec_launches_trl_on_the_versions_files(published, tmp_path: Path) -> None:
    _, result = published
    training = result.path / "training"
    card_configs = {c["config_name"] for c in _card(result.path)["configs"]}
    for stage, config_name in (("sft", "sft"), ("dpo", "preference"), ("kto", "unpaired")):
        spec = yaml.safe_load((training / f"{stage}.yaml").read_text())
        assert spec["dataset_config"] == config_name in card_configs
        assert spec["dataset_test_split"] == "validation"
    job = orjson.loads((training / "job.json").read_bytes())
    assert job["parameters"]["BASE_MODEL"].startswith("required")
    # a stand-in `trl` that prints what it was asked to run
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "trl").write_text('#!/usr/bin/env bash\necho "trl $*"\n')
    (bin_dir / "trl").chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "BASE_MODEL": "my-org/base-7b"}
    ran = subprocess.run([str(training / "launch.sh"), "sft", "--num_train_epochs", "3"], env=env,
                         capture_output=True, text=True, timeout=60)
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.strip() == (f"trl sft --config {training}/sft.yaml --model_name_or_path my-org/base-7b "
                                  f"--dataset_name {result.path} --num_train_epochs 3")
    missing = subprocess.run([str(training / "launch.sh"), "sft"], env={**env, "BASE_MODEL": ""},
                             capture_output=True, text=True, timeout=60)
    assert missing.returncode != 0 and "BASE_MODEL" in missing.stderr
