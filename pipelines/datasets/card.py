"""The Hugging Face dataset card (README.md) of a version: YAML metadata, then what a reader needs.

The YAML header follows the Hub's dataset card specification: ``configs`` names each config's
Parquet files per split (so ``datasets.load_dataset(<version dir>, "sft")`` and TRL's
``--dataset_name <version dir> --dataset_config sft`` load them), and ``dataset_info`` gives each
config's features and split sizes. The prose covers sources, filters, PII handling, intended use,
limitations, and how to launch the fine-tuning job that ships with the version.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import yaml

from pipelines.datasets.config import KINDS, SPLITS, DatasetConfig
from pipelines.datasets.formats import SCHEMAS, parquet_path
from pipelines.datasets.text import BYTES_PER_TOKEN

CONFIG_PURPOSE = {
    "sft": "supervised fine-tuning (TRL SFTTrainer, prompt-completion, loss on the answer only)",
    "preference": "preference optimisation (TRL DPOTrainer: prompt, chosen, rejected)",
    "unpaired": "unpaired preference optimisation (TRL KTOTrainer: prompt, completion, label)",
}


def size_category(n: int) -> str:
    bounds = [(1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M"),
              (10_000_000, "1M<n<10M"), (100_000_000, "10M<n<100M")]
    for bound, label in bounds:
        if n < bound:
            return label
    return "100M<n<1B"


def _feature(arrow_type: pa.DataType) -> dict[str, Any]:
    if pa.types.is_list(arrow_type):
        element = arrow_type.value_type
        if pa.types.is_struct(element):
            return {"list": [{"name": f.name, **_feature(f.type)} for f in element]}
        return {"sequence": _feature(element)["dtype"]}
    dtype = {pa.string(): "string", pa.int32(): "int32", pa.int64(): "int64",
             pa.float64(): "float64", pa.bool_(): "bool"}[arrow_type]
    return {"dtype": dtype}


def features(kind: str) -> list[dict[str, Any]]:
    return [{"name": f.name, **_feature(f.type)} for f in SCHEMAS[kind]]


def card_metadata(config: DatasetConfig, manifest: dict[str, Any]) -> dict[str, Any]:
    files = manifest["files"]
    counts = manifest["counts"]["kept"]
    total = sum(sum(splits.values()) for splits in counts.values())
    info = []
    for kind in KINDS:
        splits = [{"name": split, "num_bytes": files[parquet_path(kind, split)]["num_bytes"],
                   "num_examples": counts[kind][split]} for split in SPLITS]
        info.append({
            "config_name": kind,
            "features": features(kind),
            "splits": splits,
            "download_size": sum(files[parquet_path(kind, s)]["bytes"] for s in SPLITS),
            "dataset_size": sum(s["num_bytes"] for s in splits),
        })
    return {
        "pretty_name": config.pretty_name,
        "license": config.license,
        **({"license_name": config.license_name} if config.license == "other" else {}),
        "language": list(config.languages),
        "task_categories": ["text-generation"],
        "size_categories": [size_category(total)],
        "tags": ["code", "conversational", "sft", "dpo", "kto", "app-builder", "flywheel"],
        "configs": [
            {"config_name": kind, **({"default": True} if kind == "sft" else {}),
             "data_files": [{"split": split, "path": parquet_path(kind, split)} for split in SPLITS]}
            for kind in KINDS
        ],
        "dataset_info": info,
    }


def _table(headers: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def render(config: DatasetConfig, manifest: dict[str, Any]) -> str:
    """The whole README.md: YAML front matter, then prose."""
    meta = yaml.safe_dump(card_metadata(config, manifest), sort_keys=False, allow_unicode=True)
    version, name = manifest["version"], manifest["dataset"]
    counts = manifest["counts"]
    sources = manifest["sources"]
    partitions = sources["lake_events"]["partitions"]
    filters = manifest["filters"]
    kept_rows = [[k, *[counts["kept"][k][s] for s in SPLITS], CONFIG_PURPOSE[k]] for k in KINDS]
    reasons = sorted({r for k in KINDS for r in counts["excluded"][k]})
    excluded_rows = [[r, *[counts["excluded"][k].get(r, 0) for k in KINDS]] for r in reasons]
    privacy = manifest["privacy"]
    parent = manifest.get("parent") or "none (first version)"
    span = f"{partitions[0]['ingest_date']} to {partitions[-1]['ingest_date']}" if partitions else "no partitions"
    return f"""---
{meta}---

# {config.pretty_name}: `{name}` version `{version}`

Conversations from an AI app builder ("vibe coding" platform): what users asked for, in context,
and the code-writing assistant's answers that worked, with preference pairs and labelled answers
for preference optimisation. Built by Flywheel from interaction logs scrubbed of personal data,
labelled by behavioural success signals (accepted, kept, built, published, thumbs up; rejected,
reverted, regenerated, thumbs down). Content-addressed: the version id is a digest of the files
and the configuration (`manifest.json`, `content_digest`); parent version: `{parent}`.

{_table(["config", *SPLITS, "use"], kept_rows)}

```python
from datasets import load_dataset
sft = load_dataset("{'<path to this directory>'}", "sft")          # or "preference", "unpaired"
# the same files without the card:
sft = load_dataset("parquet", data_files={{"train": "data/sft/train.parquet", "validation": "data/sft/validation.parquet"}})
```

OpenAI fine-tuning files are in `openai/chat/` (SFT, `{{"messages": [...]}}`) and `openai/dpo/`
(DPO); `lineage/excluded.parquet` lists every candidate example left out and why.

## Sources

- Scrubbed interaction events of the lake (`lake/events`), {len(partitions)} arrival days ({span}),
  {sources["lake_events"]["events"]:,} events: prompts, assistant answers and their code changes.
- The signals marts: `fct_generations` ({sources["warehouse"]["fct_generations"]["rows"]:,} generations,
  {sources["warehouse"]["fct_generations"]["labelled"]:,} labelled success or failure) and `dim_users`
  ({sources["warehouse"]["dim_users"]["consenting"]:,} of {sources["warehouse"]["dim_users"]["rows"]:,} users consent to training).
- Data through {sources["data_through"]}. Never the restricted raw zone.

## How examples are built

- **sft**: one per generation labelled `success` with `success_score >= {config.success_threshold}`.
  `prompt` holds up to {config.context_turns} earlier turns of the same session (each prompt with the
  answer its turn ended with) then the user's prompt; `completion` is the answer: the assistant's
  prose, then its code change as a fenced `diff` block.
- **preference**: for one turn, a successful generation (`chosen`) against a failed one
  (`rejected`, score `<= {config.failure_threshold}`, failed by {", ".join(config.pair_failure_reasons)}),
  at most {config.max_pairs_per_turn} pairs a turn, largest score gap first.
- **unpaired**: every generation labelled success (above the threshold, `label: true`) or failure
  (below it, `label: false`), for KTO.

## Filters

{_table(["filter", "setting"], [[k, f"`{v}`"] for k, v in filters.items() if not isinstance(v, dict)])}

Examples left out, by reason and kind:

{_table(["reason", *KINDS], excluded_rows) if excluded_rows else "_none_"}

Token counts are estimates (no tokenizer is downloaded): UTF-8 bytes / {BYTES_PER_TOKEN}, rounded up, per
message, plus 4 tokens a message and 3 for the reply. The language is an offline heuristic
(script, then common function words; `und` when it cannot tell). Near-duplicates: MinHash
({filters["near_duplicates"]["num_perm"]} permutations, {filters["near_duplicates"]["bands"]} bands of
{filters["near_duplicates"]["rows_per_band"]} rows, Jaccard threshold {filters["near_duplicates"]["threshold"]})
over word {config.shingle_words}-grams of the final exchange.

## Splits

By a salted SHA-256 of the {config.split_unit} (salt `{config.split_salt}`): test below
{config.test_fraction}, validation below {config.test_fraction + config.validation_fraction}, train above. A
conversation never changes split between versions built with the same salt and fractions, so the
test split stays comparable across versions. Train and validation examples overlapping the test
split (same input, same example, or a near-duplicate exchange) are removed.

## Personal data

Every text was scrubbed by the privacy stage before it reached the lake (policy
`{privacy["scrubbing_policy_version"]}`): names, e-mail addresses, phone numbers, addresses, card
and account numbers, IP addresses and secrets (API keys, tokens, passwords) are replaced by
placeholders. Before publication the version's texts were scanned again ({privacy["rescan"]}) and
publication requires zero findings. Users who never consented, or who revoked consent, are absent
with all their examples. Ids are pseudonymous: `example_id`, `*generation_ref` and
`conversation_ref` are keyed hashes (HMAC-SHA256, key held by the platform) that trace an example
to its source generation for whoever holds the key, and to nobody else.

## Intended use

Fine-tuning and evaluating the platform's own code-writing assistant: SFT on `sft`, then DPO on
`preference` or KTO on `unpaired`; the `test` split for comparing models across versions.

## Limitations

- Success is inferred from behaviour, not judged by people: an accepted answer can still be wrong,
  a rejected one can be fine. Thresholds trade quantity for label quality.
- Answers were written by several models (column `model`); check each provider's terms before
  training on another provider's outputs.
- Placeholders replace personal data, so some prompts read unnaturally ("email <EMAIL_ADDRESS_...>").
- Token counts are estimates; the language filter is a heuristic tuned for a few European languages.
- Older versions stay as they were published: a user who revokes consent disappears from the next
  version, not from earlier ones (retire those by policy).

## Training on a GPU machine

The job spec ships in `training/` (TRL configurations `sft.yaml`, `dpo.yaml`, `kto.yaml`, a
launcher and `job.json`); the base model is the one parameter to give.

```bash
# copy this directory to the GPU machine, then:
pip install "trl>=0.20" "datasets>=3" accelerate
cd {name}/{version}
sha256sum -c SHA256SUMS                                   # the files are the published ones
BASE_MODEL=Qwen/Qwen2.5-Coder-7B-Instruct training/launch.sh sft
SFT_MODEL=outputs/{name}-{version}-sft BASE_MODEL=Qwen/Qwen2.5-Coder-7B-Instruct training/launch.sh dpo
# several GPUs: ACCELERATE_CONFIG=multi_gpu.yaml training/launch.sh sft
# any TRL argument after the stage overrides the file: training/launch.sh sft --num_train_epochs 3
```

OpenAI instead: upload `openai/chat/train.jsonl` (and `validation.jsonl`) as a fine-tuning file
(`purpose="fine-tune"`), or `openai/dpo/*.jsonl` with the DPO method.

## Provenance

Code `{manifest["code_version"].get("git_commit") or manifest["code_version"]["package_version"]}`,
event contract `{manifest["contract_version"]}`, build rules `{manifest["build_rules_version"]}`, config digest
`{manifest["config_digest"][:16]}`. Every gate passed before publication (`manifest.json`, `gates`).
"""

