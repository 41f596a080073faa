"""Training-set versions that hold the subject: withdrawn, then replaced by a version built without them.

A version is immutable and content-addressed, so it cannot be edited: it is withdrawn. Its files
are removed and its ``manifest.json`` becomes a tombstone that says when and why (no id, no text:
``WITHDRAWN_KEYS``), which version replaced it, and what it was (digest, config); ``flywheel
datasets list/show`` show it as withdrawn. The replacement is an ordinary build (the same
configuration, every gate) over the cleaned lake and warehouse; its ``parent`` is the latest
version at the time, the withdrawn one when that was the latest.

A version "holds" the subject when any of its files (data or lineage, which lists every candidate
left out) carries one of the ids derived from their generations and sessions.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pyarrow.parquet as pq

from pipelines.settings import FlywheelPaths

STATUS_WITHDRAWN = "withdrawn"
REF_COLUMNS = ("example_id", "generation_ref", "chosen_generation_ref", "rejected_generation_ref", "conversation_ref")
LEGAL_BASIS = "GDPR Art. 17 (right to erasure): a deletion request for one of its sources"
# What a tombstone keeps of the withdrawn manifest: what the version was, never what it held.
KEPT_FROM_MANIFEST = ("dataset", "version", "parent", "content_digest", "config", "config_digest",
                      "build_rules_version", "contract_version", "code_version")


def is_withdrawn(manifest: dict[str, Any]) -> bool:
    return manifest.get("status") == STATUS_WITHDRAWN


def version_dirs(paths: FlywheelPaths) -> list[Path]:
    root = paths.datasets
    return sorted(p.parent for p in root.glob("*/*/manifest.json")) if root.is_dir() else []


def _read_manifest(version_dir: Path) -> dict[str, Any]:
    return dict(orjson.loads((version_dir / "manifest.json").read_bytes()))


def examples_of_subject(version_dir: Path, refs: set[str]) -> int:
    """How many rows of the version's Parquet files (data and lineage) carry one of ``refs``."""
    found = 0
    for path in sorted(version_dir.rglob("*.parquet")):
        schema = pq.read_schema(path)
        columns = [c for c in REF_COLUMNS if c in schema.names]
        if not columns:
            continue
        table = pq.read_table(path, columns=columns)
        for row in zip(*(table[c].to_pylist() for c in columns), strict=True):
            found += any(value in refs for value in row)
    return found


def tombstone_manifest(manifest: dict[str, Any], *, reason: str, request_id: str, withdrawn_at: str,
                       examples: int) -> dict[str, Any]:
    kept = {k: manifest[k] for k in KEPT_FROM_MANIFEST if k in manifest}
    return {
        **kept,
        "status": STATUS_WITHDRAWN,
        "withdrawn_at": withdrawn_at,
        "withdrawal": {
            "reason": reason,
            "legal_basis": LEGAL_BASIS,
            "request_id": request_id,
            "rows_of_subject": examples,
            "files": "removed; this manifest is all that is left of the version",
        },
        "replaced_by": None,
    }


def _write_manifest(version_dir: Path, manifest: dict[str, Any]) -> None:
    scratch = version_dir / f".manifest.json.{os.getpid()}.tmp"
    scratch.write_bytes(orjson.dumps(manifest, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n")
    os.replace(scratch, version_dir / "manifest.json")


def withdraw(version_dir: Path, tombstone: dict[str, Any]) -> int:
    """Tombstone first (the version reads as withdrawn from then on), then remove every other file."""
    _write_manifest(version_dir, tombstone)
    removed = 0
    for entry in sorted(version_dir.iterdir()):
        if entry.name == "manifest.json":
            continue
        if entry.is_dir():
            removed += sum(1 for p in entry.rglob("*") if p.is_file())
            shutil.rmtree(entry)
        else:
            entry.unlink()
            removed += 1
    return removed


def withdraw_versions(paths: FlywheelPaths, refs: set[str], *, reason: str, request_id: str) -> list[dict[str, Any]]:
    """Withdraw every published version that holds the subject; returns what was withdrawn."""
    from pipelines.datasets.publish import dataset_lock

    withdrawn = []
    now = datetime.now(UTC).isoformat(timespec="seconds")
    for version_dir in version_dirs(paths):
        manifest = _read_manifest(version_dir)
        if is_withdrawn(manifest):
            continue
        rows = examples_of_subject(version_dir, refs)
        if not rows:
            continue
        with dataset_lock(version_dir.parent):
            files = withdraw(version_dir, tombstone_manifest(
                manifest, reason=reason, request_id=request_id, withdrawn_at=now, examples=rows))
        withdrawn.append({"dataset": version_dir.parent.name, "version": version_dir.name,
                          "rows_of_subject": rows, "files_removed": files})
    return withdrawn


def pending_replacements(paths: FlywheelPaths) -> list[Path]:
    """Withdrawn versions without a replacement yet (this request's, or an interrupted one's)."""
    return [d for d in version_dirs(paths)
            if is_withdrawn(m := _read_manifest(d)) and not m.get("replaced_by")]


def build_replacements(paths: FlywheelPaths, withdrawn: Iterable[Path]) -> list[dict[str, Any]]:
    """One build per distinct configuration among ``withdrawn``; each tombstone then names it."""
    from pipelines.datasets.assets import upstream_gate_for_home
    from pipelines.datasets.config import DatasetConfig
    from pipelines.datasets.publish import build_version

    groups: dict[bytes, list[Path]] = {}
    for version_dir in withdrawn:
        config = _read_manifest(version_dir).get("config")
        if config is not None:
            groups.setdefault(orjson.dumps(config, option=orjson.OPT_SORT_KEYS), []).append(version_dir)
    outcomes = []
    for config_json, dirs in groups.items():
        config = DatasetConfig.from_json(orjson.loads(config_json))
        result = build_version(paths, config, upstream=upstream_gate_for_home(paths))
        outcome = {"dataset": config.name, "replaces": [d.name for d in dirs], "status": result.status,
                   "version": result.version if result.ok else None, "error": result.error}
        for version_dir in dirs:
            manifest = _read_manifest(version_dir)
            if result.ok:
                manifest["replaced_by"] = result.version
            else:
                manifest["replacement_error"] = result.error
            _write_manifest(version_dir, manifest)
        outcomes.append(outcome)
    return outcomes
