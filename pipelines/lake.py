"""The Parquet lake's conventions: one file per table and day, replaced atomically.

Every table is laid out as ``<root>/ingest_date=YYYY-MM-DD/part-0.parquet`` (hive style, so DuckDB
prunes days from a ``WHERE ingest_date ...`` filter). A day is written to a scratch file on the
same filesystem and moved into place with one ``os.replace``: a reader sees the old day or the
new one, never half of one, and re-running a day replaces it instead of adding to it.
"""

from __future__ import annotations

import errno
import os
import re
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

PARTITION_DIR = re.compile(r"^ingest_date=(\d{4}-\d{2}-\d{2})$")
PARQUET_COMPRESSION = "zstd"


def partition_path(table_root: Path, day: str) -> Path:
    return table_root / f"ingest_date={day}" / "part-0.parquet"


def partition_days(table_root: Path) -> list[str]:
    """The days a table holds, oldest first."""
    if not table_root.is_dir():
        return []
    days = []
    for child in table_root.iterdir():
        match = PARTITION_DIR.match(child.name)
        if match and (child / "part-0.parquet").exists():
            days.append(match.group(1))
    return sorted(days)


def table_glob(table_root: Path) -> str:
    """The glob DuckDB reads a whole table with (``hive_partitioning`` adds ``ingest_date``)."""
    return str(table_root / "ingest_date=*" / "*.parquet")


def sql_literal(value: object) -> str:
    """A SQL string literal for DuckDB statements that cannot take parameters (views, COPY)."""
    return "'" + str(value).replace("'", "''") + "'"


def days_between(first: str, last: str) -> list[str]:
    start, end = date.fromisoformat(first), date.fromisoformat(last)
    return [(start + timedelta(days=i)).isoformat() for i in range((end - start).days + 1)]


def shift_day(day: str, days: int) -> str:
    return (date.fromisoformat(day) + timedelta(days=days)).isoformat()


# Write failures that mean "the state directory cannot take this write" rather than a bug.
_STORAGE_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS, errno.EACCES, errno.EPERM}


class StateNotWritable(OSError):
    """``$FLYWHEEL_HOME`` is full or cannot be written; nothing that was there has changed."""


@contextmanager
def storage_errors(target: Path) -> Iterator[None]:
    """Turn a disk-full or permission error into one clear message naming the place and the fix."""
    try:
        yield
    except StateNotWritable:
        raise
    except OSError as exc:
        if exc.errno not in _STORAGE_ERRNOS:
            raise
        raise StateNotWritable(
            exc.errno,
            f"cannot write {target}: {os.strerror(exc.errno)}. Nothing was replaced: the last good "
            "state is intact. Free disk space or fix the permissions of $FLYWHEEL_HOME, then re-run.",
        ) from exc


@contextmanager
def scratch_file(scratch_dir: Path, suffix: str = "") -> Iterator[Path]:
    """A fresh path in the scratch directory, removed when the block ends whatever happens."""
    scratch_dir.mkdir(parents=True, exist_ok=True)
    scratch = scratch_dir / f"{uuid.uuid4().hex}{suffix}"
    try:
        yield scratch
    finally:
        scratch.unlink(missing_ok=True)


@contextmanager
def atomic_path(final: Path, scratch_dir: Path) -> Iterator[Path]:
    """Yield a scratch path; on success move it over ``final`` in one step, else delete it."""
    with storage_errors(final), scratch_file(scratch_dir, "".join(final.suffixes)) as scratch:
        yield scratch
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(scratch, final)


def write_partition(
    batches: Iterable[pa.RecordBatch | pa.Table], schema: pa.Schema, final: Path, scratch_dir: Path
) -> int:
    """Stream ``batches`` into the day's file atomically; an empty day still gets a file.

    Returns the number of rows written.
    """
    rows = 0
    with (
        atomic_path(final, scratch_dir) as scratch,
        pq.ParquetWriter(scratch, schema, compression=PARQUET_COMPRESSION) as writer,
    ):
        for batch in batches:
            if batch.num_rows:
                table = batch if isinstance(batch, pa.Table) else pa.Table.from_batches([batch])
                writer.write_table(table.cast(schema))
                rows += batch.num_rows
    return rows
