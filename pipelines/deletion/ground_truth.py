"""The simulator's ground truth under ``$FLYWHEEL_HOME/simulator``: it names people too.

``consent.csv`` and ``injected.jsonl.gz`` lose the subject's rows, ``faults.json`` and
``truth.json`` every listed entry that names one of their ids, and ``mrr.csv`` (revenue) keeps its
rows under the workspace's billing pseudonym, like the billing events it is checked against.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
from pathlib import Path
from typing import Any

from pipelines import lake
from pipelines.deletion.pseudonyms import replace_ids
from pipelines.deletion.subject import Footprint
from pipelines.settings import FlywheelPaths


def _write(paths: FlywheelPaths, path: Path, data: bytes) -> None:
    with lake.atomic_path(path, paths.tmp) as scratch:
        scratch.write_bytes(data)


def without_ids(value: Any, ids: set[str]) -> tuple[Any, int]:
    """``value`` with every list item (at any depth) that mentions one of ``ids`` dropped."""
    if isinstance(value, dict):
        removed, out = 0, {}
        for key, item in value.items():
            out[key], n = without_ids(item, ids)
            removed += n
        return out, removed
    if isinstance(value, list):
        removed, out_list = 0, []
        for item in value:
            if _mentions(item, ids):
                removed += 1
                continue
            cleaned, n = without_ids(item, ids)
            out_list.append(cleaned)
            removed += n
        return out_list, removed
    return value, 0


def _mentions(value: Any, ids: set[str]) -> bool:
    if isinstance(value, str):
        return value in ids
    if isinstance(value, dict):
        return any(_mentions(v, ids) for v in value.values())
    if isinstance(value, list):
        return any(_mentions(v, ids) for v in value)
    return False


def clean_ground_truth(paths: FlywheelPaths, footprint: Footprint, billing_ids: dict[str, str]) -> dict[str, int]:
    root = paths.ground_truth
    counts: dict[str, int] = {}
    if not root.is_dir():
        return counts
    subject, ids = footprint.subject, footprint.ids()

    consent = root / "consent.csv"
    if consent.exists():
        rows = list(csv.DictReader(io.StringIO(consent.read_text())))
        kept = [r for r in rows if r.get(subject.column) != subject.subject_id]
        counts["simulator/consent.csv"] = len(rows) - len(kept)
        if len(kept) != len(rows):
            _write(paths, consent, _csv(kept, list(rows[0])))

    injected = root / "injected.jsonl.gz"
    if injected.exists():
        with gzip.open(injected, "rb") as handle:
            lines = handle.read().splitlines(keepends=True)
        kept_lines = [
            line for line in lines
            if (row := json.loads(line)).get("event_id") not in footprint.event_ids
            and row.get("user_id") != subject.subject_id
        ]
        counts["simulator/injected.jsonl.gz"] = len(lines) - len(kept_lines)
        if len(kept_lines) != len(lines):
            _write(paths, injected, gzip.compress(b"".join(kept_lines), mtime=0))

    for name in ("faults.json", "truth.json"):
        path = root / name
        if path.exists():
            cleaned, removed = without_ids(json.loads(path.read_text()), ids)
            counts[f"simulator/{name}"] = removed
            if removed:
                _write(paths, path, json.dumps(cleaned, indent=1).encode() + b"\n")

    mrr = root / "mrr.csv"
    if mrr.exists() and billing_ids:
        text = mrr.read_text()
        rewritten = replace_ids(text, billing_ids)
        counts["simulator/mrr.csv (pseudonymized)"] = sum(
            a != b for a, b in zip(text.splitlines(), rewritten.splitlines(), strict=True))
        if rewritten != text:
            _write(paths, mrr, rewritten.encode())
    return counts


def _csv(rows: list[dict[str, str]], header: list[str]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()
