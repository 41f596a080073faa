"""The deletion audit table: what was deleted, when, under which request, how many rows where.

One row per (request, store) in ``state/deletion_audit.parquet``: outside the warehouse (its
compaction cannot lose it) and outside every store a deletion rewrites. It never holds an id or a
value: the subject appears only as the tombstone's keyed hash, so the audit proves a deletion
happened without re-identifying whom it was for.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from pipelines import lake

AUDIT_FILE = "deletion_audit.parquet"
SCHEMA = pa.schema([
    ("request_id", pa.string()),
    ("subject_kind", pa.string()),
    ("subject_hash", pa.string()),  # the tombstone's keyed hash, never the id
    ("reason", pa.string()),
    ("requested_at", pa.string()),
    ("finished_at", pa.string()),
    ("status", pa.string()),
    ("store", pa.string()),
    ("action", pa.string()),  # deleted | pseudonymized | withdrawn | replaced | rebuilt | compacted | recorded | removed
    ("rows", pa.int64()),
])


@dataclass(frozen=True)
class AuditEntry:
    store: str
    action: str
    rows: int


def audit_path(state_dir: Path) -> Path:
    return state_dir / AUDIT_FILE


def read(state_dir: Path) -> pa.Table:
    path = audit_path(state_dir)
    return pq.read_table(path).cast(SCHEMA) if path.exists() else SCHEMA.empty_table()


def append(state_dir: Path, scratch_dir: Path, rows: list[dict]) -> None:
    """Add rows, rewriting the file atomically (a crash keeps the previous table)."""
    table = pa.concat_tables([read(state_dir), pa.Table.from_pylist(rows, schema=SCHEMA)])
    lake.write_partition([table], SCHEMA, audit_path(state_dir), scratch_dir)
