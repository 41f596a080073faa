"""The Parquet lake's conventions: one file per table and day, replaced atomically.

Every table is laid out as ``<root>/ingest_date=YYYY-MM-DD/part-0.parquet`` (hive style, so DuckDB
prunes days from a ``WHERE ingest_date ...`` filter). A day is written to a scratch file and
moved into place with one ``os.replace``: a reader sees the old day or the new one, never half of
one, and re-running a day replaces it instead of adding to it. (When the lake is on another
filesystem than the scratch directory, the file is first copied beside its final name, then
replaced there: still one step for a reader.)

The lake may also be an object store (``FLYWHEEL_LAKE_URI=s3://...``, pipelines/objectstore.py):
table roots are then ``ObjectPath``s, a day is written to the local scratch file and uploaded in
one PUT (an object appears whole or not at all), and DuckDB connections that read the lake get
the store's filesystem registered (``connect``).
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from pipelines import scratch as scratch_space
from pipelines.objectstore import ObjectPath

# A lake location: a local directory, or a key prefix in an object store.
LakePath = Path | ObjectPath

PARTITION_DIR = re.compile(r"^ingest_date=(\d{4}-\d{2}-\d{2})$")
PARQUET_COMPRESSION = "zstd"


def partition_path(table_root: LakePath, day: str) -> LakePath:
    return table_root / f"ingest_date={day}" / "part-0.parquet"


def partition_days(table_root: LakePath) -> list[str]:
    """The days a table holds, oldest first."""
    if isinstance(table_root, ObjectPath):
        # one listing instead of a request per day
        days = {
            match.group(1)
            for obj in table_root.files()
            if obj.name == "part-0.parquet" and (match := PARTITION_DIR.match(obj.parent.name))
            and obj.parent.parent == table_root
        }
        return sorted(days)
    if not table_root.is_dir():
        return []
    days = []
    for child in table_root.iterdir():
        match = PARTITION_DIR.match(child.name)
        if match and (child / "part-0.parquet").exists():
            days.append(match.group(1))
    return sorted(days)


def table_glob(table_root: LakePath) -> str:
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


# What the person running Flywheel can do about each of them.
_REMEDY = {
    errno.ENOSPC: "Free disk space under $FLYWHEEL_HOME",
    errno.EDQUOT: "Free space or raise the disk quota under $FLYWHEEL_HOME",
    errno.EFBIG: "Raise the file-size limit (ulimit -f) or free disk space",
    errno.EROFS: "Mount $FLYWHEEL_HOME read-write (or point FLYWHEEL_HOME at a writable place)",
    errno.EACCES: "Give this user write permission on $FLYWHEEL_HOME",
    errno.EPERM: "Give this user write permission on $FLYWHEEL_HOME",
}


class StateNotWritable(OSError):
    """``$FLYWHEEL_HOME`` is full or cannot be written; nothing that was there has changed."""


@contextmanager
def storage_errors(target: LakePath) -> Iterator[None]:
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
            f"state is intact. {_REMEDY.get(exc.errno, _REMEDY[errno.ENOSPC])}, then re-run.",
        ) from exc


@contextmanager
def scratch_file(scratch_dir: Path, suffix: str = "") -> Iterator[Path]:
    """A fresh path in the scratch directory, removed when the block ends whatever happens."""
    scratch_dir.mkdir(parents=True, exist_ok=True)
    scratch = scratch_dir / scratch_space.owned_name("scratch", suffix)
    try:
        yield scratch
    finally:
        scratch.unlink(missing_ok=True)


@contextmanager
def atomic_path(final: LakePath, scratch_dir: Path) -> Iterator[Path]:
    """Yield a local scratch path; on success move it over ``final`` in one step, else delete it.

    In an object store the step is one upload: the object is replaced whole when it completes.
    """
    with storage_errors(final), scratch_file(scratch_dir, "".join(final.suffixes)) as scratch:
        yield scratch
        if isinstance(final, ObjectPath):
            upload(scratch, final)
        else:
            final.parent.mkdir(parents=True, exist_ok=True)
            replace_across_filesystems(scratch, final)


def replace_across_filesystems(source: Path, final: Path) -> None:
    """``os.replace(source, final)``, also when ``final`` is on another filesystem (or mount) than
    ``source``: the file is then copied beside ``final`` (a hidden ``.partial`` name no reader
    lists) and replaced there in one step. A copy a killed process left is removed by
    ``scratch.sweep_after_crash``."""
    try:
        os.replace(source, final)
        return
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
    beside = final.with_name(f".{final.name}.{uuid.uuid4().hex}{scratch_space.PARTIAL_SUFFIX}")
    try:
        shutil.copyfile(source, beside)
        os.replace(beside, final)
    finally:
        beside.unlink(missing_ok=True)
    source.unlink()


def upload(local: Path, target: ObjectPath) -> None:
    pafs.copy_files(
        str(local), target.fs_path,
        source_filesystem=pafs.LocalFileSystem(), destination_filesystem=target.store.filesystem(),
    )


def scratch_connection(scratch_dir: Path, *lake_paths: LakePath | str) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection that can read (and COPY to) these lake locations and spills,
    when a query outgrows memory, under ``scratch_dir`` (the home's ``tmp``).

    DuckDB spills an in-memory database to ``.tmp`` in the working directory: for a connection
    that reads the raw zone, unscrubbed text would land wherever the process was started, outside
    the home, its permissions, a deletion's search and the sweep after a crash. The folder is the
    connection's own, named for its process (DuckDB makes it at the first spill and removes it on
    close); one that a killed process left is swept with its other entries (``scratch.sweep``).
    """
    scratch_dir.mkdir(parents=True, exist_ok=True)
    spill_dir = scratch_dir / scratch_space.owned_name("duckdb-spill")
    con = duckdb.connect(config={"temp_directory": str(spill_dir)})
    register_filesystems(con, *lake_paths)
    return con


def register_filesystems(con: duckdb.DuckDBPyConnection, *lake_paths: LakePath | str) -> None:
    """Let ``con`` resolve the object-store paths among ``lake_paths`` (local ones need nothing)."""
    stores = {p.store for p in lake_paths if isinstance(p, ObjectPath)}
    if len(stores) > 1:
        raise ValueError(f"one object store per connection, got {len(stores)}: {sorted(map(repr, stores))}")
    # DuckDB names a registered fsspec filesystem by its protocol ("s3"), once per connection
    if stores and "s3" not in con.list_filesystems():
        con.register_filesystem(stores.pop().duckdb_filesystem())


def parquet_file(path: LakePath) -> pq.ParquetFile:
    """A lake file's reader (its footer is read now; the rest as it is iterated)."""
    if isinstance(path, ObjectPath):
        return pq.ParquetFile(path.store.filesystem().open_input_file(path.fs_path))
    return pq.ParquetFile(path)


def write_partition(
    batches: Iterable[pa.RecordBatch | pa.Table], schema: pa.Schema, final: LakePath, scratch_dir: Path
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
