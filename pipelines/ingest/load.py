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
"""

from __future__ import annotations

import collections
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
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

CLOCK_SKEW = timedelta(minutes=5)
DEDUP_WINDOW_DAYS = 7
STAGE_BATCH_ROWS = 20_000

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
) -> IngestStats:
    if source not in contract.SOURCES:
        raise ValueError(f"unknown source '{source}': expected one of {contract.SOURCES}")
    stats = IngestStats(source, day)
    latest_allowed = datetime.combine(date.fromisoformat(day) + timedelta(days=1), datetime.min.time()) + CLOCK_SKEW
    quarantine: list[dict[str, Any]] = []
    schema = contract.arrow_schema(source)

    with lake.scratch_file(paths.tmp, ".parquet") as staged_file:
        batches = _classified_batches(
            paths, source, day, latest_allowed, max_line_bytes, stats, quarantine, schema,
            tombstones or TombstoneFilter(b"", []),
        )
        lake.write_partition(batches, schema, staged_file, paths.tmp)
        _deduplicate_into_place(paths, source, day, staged_file, stats, dedup_window_days)

    failpoint("ingest.before_bookkeeping")
    _write_quarantine(paths, source, day, quarantine)
    _write_file_stats(paths, source, day, stats)
    return stats


def _classified_batches(
    paths: FlywheelPaths,
    source: str,
    day: str,
    latest_allowed: datetime,
    max_line_bytes: int,
    stats: IngestStats,
    quarantine: list[dict[str, Any]],
    schema: pa.Schema,
    tombstones: TombstoneFilter,
) -> Iterator[pa.Table]:
    """Read every landing file of the day; yield valid rows in batches, collect the rejects."""
    names = [f.name for f in schema]
    for path in landing_files(paths.landing_day(source, day)):
        relative = str(path.relative_to(paths.landing))
        counts = FileCounts(relative, path.stat().st_size)
        stats.files.append(counts)
        columns: dict[str, list[Any]] = {name: [] for name in names}
        for item in read_file(path, max_line_bytes):
            counts.lines_read += 1
            if isinstance(item, FileFault):
                outcome: dict[str, Any] | Rejection = Rejection(item.reason_code, item.reason)
                excerpt, length = b"", 0
            else:
                outcome = classify(source, item, latest_allowed)
                excerpt, length = _excerpt(item)
                if (tombstones and source == "billing" and isinstance(outcome, dict)
                        and tombstones.is_forgotten("workspace", outcome.get("workspace_id"))):
                    # revenue history is kept under keyed pseudonyms (pipelines/deletion/README.md)
                    outcome = tombstones.pseudonymize_billing(outcome)
            if tombstones and _names_forgotten_subject(tombstones, item, outcome):
                counts.forgotten += 1
                continue
            if isinstance(outcome, Rejection):
                counts.quarantined += 1
                stats.quarantine_reasons[outcome.reason_code] += 1
                quarantine.append(
                    {
                        "source_file": relative,
                        "line_number": item.line_number,
                        "reason_code": outcome.reason_code,
                        "reason": outcome.reason,
                        "byte_length": length,
                        "excerpt": excerpt,
                    }
                )
                continue
            outcome["source_file"] = relative
            outcome["source_line"] = item.line_number
            for name in names:
                columns[name].append(outcome[name])
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
    staged_file: Path,
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
    con = duckdb.connect()
    try:
        lake.register_filesystems(con, root)
        con.execute("SET preserve_insertion_order = true")
        con.execute("CREATE TEMP TABLE staged AS SELECT * FROM read_parquet(?)", [str(staged_file)])
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
