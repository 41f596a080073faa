"""Load one arrival day of one source from the landing zone into typed Parquet.

Per day and source this writes, each file replaced atomically:

- the valid events, deduplicated by ``event_id`` (interaction events into the restricted raw zone,
  since their free text is not scrubbed yet; billing events, which carry no free text, into the
  lake);
- every rejected line into the raw zone's quarantine (file, line, reason, a safe excerpt) and, without
  the excerpt, into the lake's ops tables so dashboards can show what was rejected and why;
- per-file counts (lines read, loaded, quarantined, duplicates) into the lake's ops tables.

Late events rule: an event is stored in the partition of the day its file ARRIVED (``ingest_date``)
and keeps its own ``occurred_at``. Re-running a day therefore replaces exactly that day's rows.
Signals that need actions arriving later (dbt) read a lookback window of arrival days.

Deleted subjects: events of a user or workspace on the tombstone list (``flywheel forget``) are
dropped here and counted as ``forgotten``, so a replayed old file never brings them back; so is a
rejected line that names such a subject (its excerpt is not kept either).

Duplicates: the first copy of an ``event_id`` wins, in file-name then line order within the day,
and a copy whose id was already loaded in the previous ``dedup_window_days`` arrival days counts as
a duplicate too (retries arrive a day or two late). dbt's staging models deduplicate once more
over the whole history, so the warehouse never holds two rows for one id whatever the order in
which days were loaded.

Workers: reading and checking a day's lines is one core's work, so a large day of several files
is read in worker processes, one file per task, each writing its valid rows to a staged file of
its own; the deduplication then reads every staged file and orders by file and line as above,
and the rejects and counts are gathered in file order. The result is the one a single process gives
(tests/ingest).
"""

from __future__ import annotations

import collections
import os
import re
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa

from pipelines import contract, lake
from pipelines.deletion.tombstones import TombstoneFilter
from pipelines.failpoints import failpoint
from pipelines.ingest.reader import (
    EXCERPT_BYTES,
    MAX_LINE_BYTES,
    FileFault,
    RawLine,
    landing_files,
    read_file,
)
from pipelines.ingest.validate import Rejection, classify
from pipelines.settings import FlywheelPaths
from pipelines.worker_pools import can_start_workers, default_start_method, worker_context

CLOCK_SKEW = timedelta(minutes=5)
DEDUP_WINDOW_DAYS = 7
STAGE_BATCH_ROWS = 20_000
# A day's files are read and checked in worker processes, one file per task, when the day has
# several and enough bytes to repay the workers' start (~1 s; ~3 s more for the first pool of a
# process, whose server preloads every pool's modules: worker_pools.POOL_MODULES). Reading and
# checking lines is nine tenths of a day's load and one core's work (a day of the million:
# ~180,000 lines in 7 files, ~35 MB).
INGEST_WORKERS = min(2, os.cpu_count() or 1)
PARALLEL_MIN_BYTES = 4 << 20

QUARANTINE_SCHEMA = pa.schema(
    [
        ("source_file", pa.string()),
        ("line_number", pa.int64()),
        ("reason_code", pa.string()),
        ("reason", pa.string()),
        ("byte_length", pa.int64()),
    ]
)
RAW_QUARANTINE_SCHEMA = QUARANTINE_SCHEMA.append(pa.field("excerpt", pa.binary()))

FILE_STATS_SCHEMA = pa.schema(
    [
        ("source_file", pa.string()),
        ("file_bytes", pa.int64()),
        ("lines_read", pa.int64()),
        ("loaded", pa.int64()),
        ("quarantined", pa.int64()),
        ("duplicates", pa.int64()),
        ("forgotten", pa.int64()),
    ]
)


@dataclass
class FileCounts:
    source_file: str
    file_bytes: int
    lines_read: int = 0
    staged: int = 0
    quarantined: int = 0
    forgotten: int = 0
    loaded: int = 0

    @property
    def duplicates(self) -> int:
        return self.staged - self.loaded


@dataclass
class IngestStats:
    """What one day's load did; ``balanced`` is the reconciliation the blocking check asserts."""

    source: str
    day: str
    files: list[FileCounts] = field(default_factory=list)
    quarantine_reasons: collections.Counter[str] = field(default_factory=collections.Counter)
    late_events: int = 0
    events_by_type: dict[str, int] = field(default_factory=dict)

    @property
    def lines_read(self) -> int:
        return sum(f.lines_read for f in self.files)

    @property
    def loaded(self) -> int:
        return sum(f.loaded for f in self.files)

    @property
    def quarantined(self) -> int:
        return sum(f.quarantined for f in self.files)

    @property
    def duplicates(self) -> int:
        return sum(f.duplicates for f in self.files)

    @property
    def forgotten(self) -> int:
        return sum(f.forgotten for f in self.files)

    @property
    def balanced(self) -> bool:
        return self.lines_read == self.loaded + self.quarantined + self.duplicates + self.forgotten


def valid_table_root(paths: FlywheelPaths, source: str) -> Path:
    """Interaction events hold unscrubbed text: raw zone. Billing holds none: the lake."""
    return paths.raw_table("events") if source == "events" else paths.lake_table("billing")


def quarantine_root(paths: FlywheelPaths, source: str, *, restricted: bool) -> Path:
    base = paths.raw_table("quarantine") if restricted else paths.lake_table("ops") / "quarantine"
    return base / f"source={source}"


def file_stats_root(paths: FlywheelPaths, source: str) -> Path:
    return paths.lake_table("ops") / "ingest_files" / f"source={source}"


def ingest_day(
    paths: FlywheelPaths,
    source: str,
    day: str,
    *,
    dedup_window_days: int = DEDUP_WINDOW_DAYS,
    max_line_bytes: int = MAX_LINE_BYTES,
    tombstones: TombstoneFilter | None = None,
    workers: int | None = None,
) -> IngestStats:
    """Load the day. ``workers``: processes to read its files in, with the same result as reading
    them here (0 or 1); by default ``INGEST_WORKERS`` for a large day of several files, else 0."""
    if source not in contract.SOURCES:
        raise ValueError(f"unknown source '{source}': expected one of {contract.SOURCES}")
    stats = IngestStats(source, day)
    latest_allowed = datetime.combine(date.fromisoformat(day) + timedelta(days=1), datetime.min.time()) + CLOCK_SKEW
    files = landing_files(paths.landing_day(source, day))
    task = _FileTask(source, latest_allowed, max_line_bytes, tombstones or TombstoneFilter(b"", []), paths.tmp)
    if workers is None:
        large = len(files) > 1 and sum(f.stat().st_size for f in files) >= PARALLEL_MIN_BYTES
        workers = INGEST_WORKERS if large and can_start_workers() else 0

    with ExitStack() as scratch:
        staged = [scratch.enter_context(lake.scratch_file(paths.tmp, ".parquet")) for _ in files]
        jobs = [(path, str(path.relative_to(paths.landing)), target) for path, target in zip(files, staged, strict=True)]
        if workers > 1 and len(files) > 1:
            context = worker_context(default_start_method(), (__name__,))
            pool = ProcessPoolExecutor(min(workers, len(files)), mp_context=context)
            try:
                # every file at once, results in file order: the same quarantine and counts as here
                outcomes = list(pool.map(task.stage, *zip(*jobs, strict=True)))
            finally:
                pool.shutdown(wait=True, cancel_futures=True)  # a file that failed stops the rest
        else:
            outcomes = [task.stage(*job) for job in jobs]
        if not staged:  # no landing file: an empty day, still written
            staged.append(scratch.enter_context(lake.scratch_file(paths.tmp, ".parquet")))
            lake.write_partition([], contract.arrow_schema(source), staged[0], paths.tmp)
        quarantine: list[dict[str, Any]] = []
        for outcome in outcomes:
            stats.files.append(outcome.counts)
            stats.quarantine_reasons.update(outcome.reasons)
            quarantine += outcome.quarantine
        _deduplicate_into_place(paths, source, day, staged, stats, dedup_window_days)

    failpoint("ingest.before_bookkeeping")
    _write_quarantine(paths, source, day, quarantine)
    _write_file_stats(paths, source, day, stats)
    return stats


@dataclass
class _FileOutcome:
    """One landing file's counts and rejected lines (its valid rows are in its staged file)."""

    counts: FileCounts
    quarantine: list[dict[str, Any]] = field(default_factory=list)
    reasons: collections.Counter[str] = field(default_factory=collections.Counter)


@dataclass(frozen=True)
class _FileTask:
    """What reading one landing file needs; sent to a worker with each file."""

    source: str
    latest_allowed: datetime
    max_line_bytes: int
    tombstones: TombstoneFilter
    scratch_dir: Path

    def stage(self, path: Path, relative: str, staged_file: Path) -> _FileOutcome:
        """Classify every line of ``path``: valid rows into ``staged_file``, the rest counted."""
        outcome = _FileOutcome(FileCounts(relative, path.stat().st_size))
        schema = contract.arrow_schema(self.source)
        lake.write_partition(self._valid_batches(path, outcome, schema), schema, staged_file, self.scratch_dir)
        return outcome

    def _valid_batches(self, path: Path, outcome: _FileOutcome, schema: pa.Schema) -> Iterator[pa.Table]:
        source, tombstones, counts = self.source, self.tombstones, outcome.counts
        names = [f.name for f in schema]
        columns: dict[str, list[Any]] = {name: [] for name in names}
        for item in read_file(path, self.max_line_bytes):
            counts.lines_read += 1
            if isinstance(item, FileFault):
                result: dict[str, Any] | Rejection = Rejection(item.reason_code, item.reason)
                excerpt, length = b"", 0
            else:
                result = classify(source, item, self.latest_allowed)
                excerpt, length = _excerpt(item)
                if (tombstones and source == "billing" and isinstance(result, dict)
                        and tombstones.is_forgotten("workspace", result.get("workspace_id"))):
                    # revenue history is kept under keyed pseudonyms (pipelines/deletion/README.md)
                    result = tombstones.pseudonymize_billing(result)
            if tombstones and _names_forgotten_subject(tombstones, item, result):
                counts.forgotten += 1
                continue
            if isinstance(result, Rejection):
                counts.quarantined += 1
                outcome.reasons[result.reason_code] += 1
                outcome.quarantine.append(
                    {
                        "source_file": counts.source_file,
                        "line_number": item.line_number,
                        "reason_code": result.reason_code,
                        "reason": result.reason,
                        "byte_length": length,
                        "excerpt": excerpt,
                    }
                )
                continue
            result["source_file"] = counts.source_file
            result["source_line"] = item.line_number
            for name in names:
                columns[name].append(result[name])
            counts.staged += 1
            if len(columns["event_id"]) >= STAGE_BATCH_ROWS:
                yield pa.table(columns, schema=schema)
                columns = {name: [] for name in names}
        if columns["event_id"]:
            yield pa.table(columns, schema=schema)


_SUBJECT_IN_BYTES = re.compile(rb'"(user_id|workspace_id)"\s*:\s*"([^"\\]{1,128})"')


def _names_forgotten_subject(
    tombstones: TombstoneFilter, item: RawLine | FileFault, outcome: dict[str, Any] | Rejection
) -> bool:
    """Whether a line belongs to a forgotten user or workspace, valid or not."""
    if isinstance(outcome, dict):
        return tombstones.row_is_forgotten(outcome)
    if isinstance(item, FileFault):
        return False
    if item.record is not None:
        return tombstones.row_is_forgotten(item.record)
    for field_name, value in _SUBJECT_IN_BYTES.findall(item.data or b""):
        kind = "user" if field_name == b"user_id" else "workspace"
        if tombstones.is_forgotten(kind, value.decode("utf-8", "replace")):
            return True
    return False


def _excerpt(line: RawLine) -> tuple[bytes, int]:
    if line.record is not None:
        data = orjson.dumps(line.record, default=str)
        return data[:EXCERPT_BYTES], len(data)
    data = line.data or b""
    return data[:EXCERPT_BYTES], line.byte_length


def _deduplicate_into_place(
    paths: FlywheelPaths,
    source: str,
    day: str,
    staged_files: list[Path],
    stats: IngestStats,
    dedup_window_days: int,
) -> None:
    """Keep the first copy of each event id not already loaded in the window; write the day."""
    root = valid_table_root(paths, source)
    prior_files = [
        str(lake.partition_path(root, d))
        for d in lake.days_between(lake.shift_day(day, -dedup_window_days), lake.shift_day(day, -1))
        if lake.partition_path(root, d).exists()
    ]
    con = lake.scratch_connection(paths.tmp, root)
    try:
        con.execute("SET preserve_insertion_order = true")
        con.execute("CREATE TEMP TABLE staged AS SELECT * FROM read_parquet(?)", [[str(f) for f in staged_files]])
        if prior_files:
            con.execute(
                "CREATE TEMP TABLE prior_ids AS SELECT DISTINCT event_id FROM read_parquet(?)",
                [prior_files],
            )
        else:
            con.execute("CREATE TEMP TABLE prior_ids (event_id VARCHAR)")
        con.execute(
            """
            CREATE TEMP TABLE kept AS
            SELECT staged.* FROM staged
            ANTI JOIN prior_ids USING (event_id)
            QUALIFY row_number() OVER (PARTITION BY event_id ORDER BY source_file, source_line) = 1
            """
        )
        with lake.atomic_path(lake.partition_path(root, day), paths.tmp) as scratch:
            con.execute(
                f"COPY (SELECT * FROM kept ORDER BY source_file, source_line) TO {lake.sql_literal(scratch)} "
                f"(FORMAT parquet, COMPRESSION {lake.PARQUET_COMPRESSION})"
            )
        loaded_per_file = dict(con.execute("SELECT source_file, count(*) FROM kept GROUP BY 1").fetchall())
        stats.events_by_type = dict(
            con.execute("SELECT event_type, count(*) FROM kept GROUP BY 1 ORDER BY 1").fetchall()
        )
        stats.late_events = con.execute(
            "SELECT count(*) FROM kept WHERE occurred_at < CAST(? AS DATE)", [day]
        ).fetchone()[0]
    finally:
        con.close()
    for counts in stats.files:
        counts.loaded = loaded_per_file.get(counts.source_file, 0)


def _write_quarantine(paths: FlywheelPaths, source: str, day: str, rows: list[dict[str, Any]]) -> None:
    restricted = pa.Table.from_pylist(rows, schema=RAW_QUARANTINE_SCHEMA)
    lake.write_partition(
        [restricted], RAW_QUARANTINE_SCHEMA,
        lake.partition_path(quarantine_root(paths, source, restricted=True), day), paths.tmp,
    )
    lake.write_partition(
        [restricted.drop_columns(["excerpt"])], QUARANTINE_SCHEMA,
        lake.partition_path(quarantine_root(paths, source, restricted=False), day), paths.tmp,
    )


def _write_file_stats(paths: FlywheelPaths, source: str, day: str, stats: IngestStats) -> None:
    table = pa.Table.from_pylist(
        [
            {
                "source_file": f.source_file,
                "file_bytes": f.file_bytes,
                "lines_read": f.lines_read,
                "loaded": f.loaded,
                "quarantined": f.quarantined,
                "duplicates": f.duplicates,
                "forgotten": f.forgotten,
            }
            for f in stats.files
        ],
        schema=FILE_STATS_SCHEMA,
    )
    lake.write_partition([table], FILE_STATS_SCHEMA, lake.partition_path(file_stats_root(paths, source), day), paths.tmp)
