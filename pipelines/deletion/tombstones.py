"""The tombstone list: who was forgotten, kept as keyed hashes so the list itself names nobody.

Ingest consults it for every event, so a replayed old landing file can never bring a forgotten
user or workspace back. Only a keyed hash of each id is stored (the pseudonym key lives outside
the warehouse), so the list does not re-identify anyone to a reader of ``$FLYWHEEL_HOME``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from dataclasses import dataclass
from pathlib import Path

SUBJECT_KINDS = ("user", "workspace")


def subject_hash(key: bytes, kind: str, subject_id: str) -> str:
    if kind not in SUBJECT_KINDS:
        raise ValueError(f"unknown subject kind '{kind}': expected one of {SUBJECT_KINDS}")
    return hmac.new(key, f"{kind}:{subject_id}".encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Tombstone:
    kind: str
    subject_hash: str
    forgotten_at: str  # ISO timestamp, UTC
    request_id: str


def tombstone_file(state_dir: Path) -> Path:
    return state_dir / "tombstones.jsonl"


def load(state_dir: Path) -> list[Tombstone]:
    path = tombstone_file(state_dir)
    if not path.exists():
        return []
    return [Tombstone(**json.loads(line)) for line in path.read_text().splitlines() if line.strip()]


def add(state_dir: Path, tombstone: Tombstone) -> None:
    """Append one tombstone, rewriting the file atomically (a crash leaves the old list)."""
    existing = [t for t in load(state_dir) if (t.kind, t.subject_hash) != (tombstone.kind, tombstone.subject_hash)]
    path = tombstone_file(state_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    scratch = path.with_suffix(".tmp")
    scratch.write_text("".join(json.dumps(t.__dict__, sort_keys=True) + "\n" for t in [*existing, tombstone]))
    os.replace(scratch, path)


class TombstoneFilter:
    """Answers "was this event's user or workspace forgotten?" with one hash per distinct id."""

    def __init__(self, key: bytes, tombstones: list[Tombstone]) -> None:
        self._key = key
        self._hashes = {(t.kind, t.subject_hash) for t in tombstones}
        self._seen: dict[tuple[str, str], bool] = {}

    def __bool__(self) -> bool:
        return bool(self._hashes)

    def is_forgotten(self, kind: str, subject_id: object) -> bool:
        if not self._hashes or not isinstance(subject_id, str):
            return False
        cached = self._seen.get((kind, subject_id))
        if cached is None:
            cached = (kind, subject_hash(self._key, kind, subject_id)) in self._hashes
            self._seen[(kind, subject_id)] = cached
        return cached

    def row_is_forgotten(self, row: dict) -> bool:
        return self.is_forgotten("user", row.get("user_id")) or self.is_forgotten(
            "workspace", row.get("workspace_id")
        )

    def pseudonymize_billing(self, row: dict) -> dict:
        """A forgotten workspace's billing event, kept under keyed pseudonyms (deletion/README.md).

        Revenue history is retained for accounting, so a replayed billing file loads these rows
        with the same pseudonyms ``flywheel forget`` wrote, and MRR totals stay as they were.
        """
        from pipelines.deletion.pseudonyms import pseudonymize_billing_record

        return pseudonymize_billing_record(self._key, row)
