"""Copy a published version out in the format a training team asks for, checked on the way.

The version directory is already loadable as it is (Hugging Face Parquet with its card, OpenAI
JSONL); ``export`` gives a consumer exactly one format in a directory of its own, after checking
that the source files still match the version's ``SHA256SUMS``:

- ``hf-parquet``: the three configs' Parquet files, the dataset card and the manifest
  (``datasets.load_dataset(OUT, "sft")``);
- ``openai-chat`` / ``openai-dpo``: the OpenAI fine-tuning JSONL files;
- ``trl-sft`` / ``trl-preference`` / ``trl-unpaired``: JSONL with only the TRL columns
  (``prompt``+``completion``, ``prompt``+``chosen``+``rejected``, ``prompt``+``completion``+``label``).

``EXPORT.json`` beside the files records the version, the format and every file's SHA-256.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pyarrow.parquet as pq

from pipelines.datasets.config import KINDS, SPLITS
from pipelines.datasets.formats import TRL_COLUMNS, openai_path, parquet_path
from pipelines.datasets.publish import file_sha256
from pipelines.datasets.registry import VersionRef

FORMATS = ("hf-parquet", "openai-chat", "openai-dpo", "trl-sft", "trl-preference", "trl-unpaired")


class ExportError(RuntimeError):
    pass


@dataclass
class ExportReport:
    version: str
    format: str
    out: Path
    files: dict[str, dict[str, Any]]

    def to_json(self) -> dict[str, Any]:
        return {"version": self.version, "format": self.format, "out": str(self.out), "files": self.files}


def verify(ref: VersionRef) -> None:
    """Every file listed in SHA256SUMS is there and unchanged."""
    sums = ref.path / "SHA256SUMS"
    for line in sums.read_text().splitlines():
        digest, relative = line.split("  ", 1)
        path = ref.path / relative
        if not path.exists() or file_sha256(path) != digest:
            raise ExportError(f"{path} does not match {sums}: the version was modified after publication")


def _copy(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)


def _trl_jsonl(source: Path, target: Path, columns: Sequence[str]) -> int:
    target.parent.mkdir(parents=True, exist_ok=True)
    rows = 0
    with target.open("wb") as out:
        for batch in pq.ParquetFile(source).iter_batches(batch_size=5_000, columns=list(columns)):
            out.write(b"".join(orjson.dumps(row) + b"\n" for row in batch.to_pylist()))
            rows += batch.num_rows
    return rows


def export(ref: VersionRef, fmt: str, out: Path, splits: Sequence[str] = SPLITS) -> ExportReport:
    if fmt not in FORMATS:
        raise ExportError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    unknown = [s for s in splits if s not in SPLITS]
    if unknown:
        raise ExportError(f"unknown split(s) {unknown}; choose among {', '.join(SPLITS)}")
    if fmt == "hf-parquet" and tuple(splits) != SPLITS:
        raise ExportError("hf-parquet exports every split (its dataset card names them all); "
                          "pick splits with a JSONL format")
    verify(ref)
    out.mkdir(parents=True, exist_ok=True)
    written: list[str] = []
    if fmt == "hf-parquet":
        for kind in KINDS:
            for split in splits:
                _copy(ref.path / parquet_path(kind, split), out / parquet_path(kind, split))
                written.append(parquet_path(kind, split))
        _copy(ref.path / "README.md", out / "README.md")
        _copy(ref.path / "manifest.json", out / "manifest.json")
        written += ["README.md", "manifest.json"]
    elif fmt.startswith("openai-"):
        kind = {"openai-chat": "sft", "openai-dpo": "preference"}[fmt]
        for split in splits:
            relative = openai_path(kind, split)
            name = f"{split}.jsonl"
            _copy(ref.path / relative, out / name)
            written.append(name)
    else:
        kind = {"trl-sft": "sft", "trl-preference": "preference", "trl-unpaired": "unpaired"}[fmt]
        for split in splits:
            name = f"{split}.jsonl"
            _trl_jsonl(ref.path / parquet_path(kind, split), out / name, TRL_COLUMNS[kind])
            written.append(name)
    files = {name: {"sha256": file_sha256(out / name), "bytes": (out / name).stat().st_size} for name in written}
    report = ExportReport(ref.version, fmt, out, files)
    (out / "EXPORT.json").write_bytes(orjson.dumps(
        {"dataset": ref.name, **report.to_json(), "out": None}, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS))
    return report

