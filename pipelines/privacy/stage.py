"""The privacy stage over the lake: scrub one arrival day, verify it, expire the raw zone.

``scrub_day`` reads the day's typed events from the restricted raw zone, rewrites every free-text
column with its policy, and writes the result to the lake (``lake/events``): the only copy of the
text that anything downstream reads. Counts of what was found go to ``lake/ops/pii_findings``
(per field and entity type, never the values); a text the scrubber refuses (binary, oversize) is
withheld (null) and listed in ``lake/ops/scrub_quarantine`` with the reason.

``verify_day`` is the blocking check's second, independent look at the output: texts are
re-scanned with the pattern and secret recognizers (no NER), a deterministic sample of the
natural-language texts is re-scanned with NER too, and every value the simulator's ground truth
says it injected into this day's events is searched for. Any hit is a leak. The pattern re-scan
reads every text except one kind: a text of a column scrubbed with that same pattern policy
(``code``) that left the scrub byte for byte as it came in from the raw zone. The scrub ran
exactly that scan on exactly that text and found nothing, so reading it again would repeat the
same computation (on a real day of the million: 30% of the texts, 43% of the re-scan's time,
since patches are most of the day's characters). A deterministic sample of them is still read
afresh, which checks the scrub's line cache.
"""

from __future__ import annotations

import collections
import gzip
import hashlib
import json
import re
import shutil
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import TypeVar

import pyarrow as pa
import pyarrow.parquet as pq

from pipelines import contract, lake
from pipelines.failpoints import failpoint
from pipelines.privacy.policies import CODE, NATURAL_LANGUAGE, field_policies
from pipelines.privacy.result import ScrubResult
from pipelines.privacy.scrubber import Scrubber
from pipelines.settings import FlywheelPaths

T = TypeVar("T")

SCRUB_BATCH_ROWS = 20_000
# NER re-scan sample per day: enough to see a systematic NER miss, cheap enough to run daily
# (NER costs ~3 ms a text on this hardware; the pattern re-scan reads far more: _pattern_rescan_set).
NER_SAMPLE_SIZE = 400
# Texts the code scrub left as they came in, re-read anyway per day (see the module docstring).
UNCHANGED_SAMPLE_SIZE = 2_000

FINDINGS_SCHEMA = pa.schema([("field", pa.string()), ("entity_type", pa.string()), ("findings", pa.int64())])
SCRUB_QUARANTINE_SCHEMA = pa.schema(
    [("event_id", pa.string()), ("field", pa.string()), ("reason", pa.string())]
)


def raw_events_root(paths: FlywheelPaths) -> Path:
    return paths.raw_table("events")


def scrubbed_events_root(paths: FlywheelPaths) -> Path:
    return paths.lake_table("events")


def findings_root(paths: FlywheelPaths) -> Path:
    return paths.lake_table("ops") / "pii_findings"


def scrub_quarantine_root(paths: FlywheelPaths) -> Path:
    return paths.lake_table("ops") / "scrub_quarantine"


@dataclass
class ScrubDayStats:
    day: str
    rows: int = 0
    texts: int = 0
    findings: collections.Counter[tuple[str, str]] = field(default_factory=collections.Counter)
    withheld: list[dict[str, str]] = field(default_factory=list)
    cache_hits: int = 0
    seconds: float = 0.0

    def findings_by_type(self) -> dict[str, int]:
        totals: collections.Counter[str] = collections.Counter()
        for (_, entity_type), count in self.findings.items():
            totals[entity_type] += count
        return dict(sorted(totals.items()))


# A batch's text columns as submitted to the scrubber: (column, its values, what gathers its results).
_Submitted = list[tuple[str, list[str | None], Callable[[], list[ScrubResult]]]]


def one_ahead(items: Iterable[T]) -> Iterator[T]:
    """``items`` in order, each handed out once the next one has been produced."""
    iterator = iter(items)
    nothing = object()
    previous = next(iterator, nothing)
    while previous is not nothing:
        following = next(iterator, nothing)
        yield previous
        previous = following


def scrub_day(paths: FlywheelPaths, day: str, scrubber: Scrubber) -> ScrubDayStats:
    """Scrub the raw zone's day into the lake; re-running replaces the day (same key, same bytes)."""
    source = lake.partition_path(raw_events_root(paths), day)
    if not source.exists():
        raise FileNotFoundError(
            f"no raw events for {day} at {source}: materialize raw_events for that day first "
            "(or the raw zone's retention already removed it)"
        )
    stats = ScrubDayStats(day)
    policies = field_policies()
    schema = contract.arrow_schema("events")
    hits_before = scrubber.stats.cache_hits

    def submitted(table: pa.Table) -> tuple[pa.Table, _Submitted]:
        stats.rows += table.num_rows
        columns = [(column, table.column(column).to_pylist()) for column in contract.TEXT_COLUMNS]
        return table, [(column, values, scrubber.submit(values, policies[column])) for column, values in columns]

    def scrubbed(table: pa.Table, columns: _Submitted) -> pa.Table:
        event_ids = table.column("event_id").to_pylist()
        for column, values, gather in columns:
            texts = []
            for event_id, result in zip(event_ids, gather(), strict=True):
                texts.append(result.text)
                if result.quarantine_reason:
                    stats.withheld.append({"event_id": event_id, "field": column, "reason": result.quarantine_reason})
                for entity_type, count in result.findings.items():
                    stats.findings[(column, entity_type)] += count
            stats.texts += sum(v is not None and v != "" for v in values)
            index = table.schema.get_field_index(column)
            table = table.set_column(index, column, pa.array(texts, type=pa.string()))
        return table

    def scrubbed_batches() -> Iterator[pa.Table]:
        batches = pq.ParquetFile(source).iter_batches(batch_size=SCRUB_BATCH_ROWS)
        # A batch's texts are with the workers while the one before it is gathered, assembled and
        # written here: the workers would otherwise wait for this process between batches.
        for table, columns in one_ahead(submitted(pa.Table.from_batches([b]).cast(schema)) for b in batches):
            yield scrubbed(table, columns)
            failpoint("scrub.mid_write")

    lake.write_partition(scrubbed_batches(), schema, lake.partition_path(scrubbed_events_root(paths), day), paths.tmp)
    findings = pa.Table.from_pylist(
        [{"field": f, "entity_type": e, "findings": n} for (f, e), n in sorted(stats.findings.items())],
        schema=FINDINGS_SCHEMA,
    )
    lake.write_partition([findings], FINDINGS_SCHEMA, lake.partition_path(findings_root(paths), day), paths.tmp)
    withheld = pa.Table.from_pylist(stats.withheld, schema=SCRUB_QUARANTINE_SCHEMA)
    lake.write_partition(
        [withheld], SCRUB_QUARANTINE_SCHEMA, lake.partition_path(scrub_quarantine_root(paths), day), paths.tmp
    )
    stats.cache_hits = scrubber.stats.cache_hits - hits_before
    return stats


# --- verification ------------------------------------------------------------------------------


@dataclass
class VerifyReport:
    texts_pattern_scanned: int = 0
    texts_ner_scanned: int = 0
    # texts of the code columns that the scrub left unchanged and the re-scan did not read again
    texts_unchanged_not_rescanned: int = 0
    pattern_hits: collections.Counter[str] = field(default_factory=collections.Counter)
    ner_hits: collections.Counter[str] = field(default_factory=collections.Counter)
    injected_checked: int = 0
    injected_leaked: collections.Counter[str] = field(default_factory=collections.Counter)
    ground_truth_present: bool = False

    @property
    def passed(self) -> bool:
        return not (self.pattern_hits or self.ner_hits or self.injected_leaked)


@dataclass(frozen=True)
class DayText:
    event_id: str
    column: str
    text: str
    # the raw zone holds this very text for this event and column (False without a raw zone)
    same_as_raw: bool


def _texts_of_day(paths: FlywheelPaths, day: str) -> list[DayText]:
    """Every non-empty scrubbed text of the day, and whether the scrub left it as it came in."""
    path = lake.partition_path(scrubbed_events_root(paths), day)
    raw = lake.partition_path(raw_events_root(paths), day)
    has_raw = raw.exists()

    def same_as_raw(column: str) -> str:
        if not has_raw:
            return "false"
        return f"EXISTS (SELECT 1 FROM raw WHERE raw.event_id = day.event_id AND raw.{column} = day.{column})"

    unpivot = " UNION ALL ".join(
        f"SELECT event_id, '{c}' AS col, {c} AS text, {same_as_raw(c)} AS same_as_raw "
        f"FROM day WHERE {c} IS NOT NULL AND {c} <> ''"
        for c in contract.TEXT_COLUMNS
    )
    with lake.scratch_connection(paths.tmp, path, *([raw] if has_raw else [])) as con:
        con.execute(f"CREATE VIEW day AS SELECT * FROM read_parquet({lake.sql_literal(path)})")
        if has_raw:
            con.execute(f"CREATE VIEW raw AS SELECT * FROM read_parquet({lake.sql_literal(raw)})")
        rows = con.execute(f"SELECT * FROM ({unpivot}) ORDER BY event_id, col").fetchall()
    return [DayText(e, c, t, same) for e, c, t, same in rows]


def _lowest_hashes(texts: list[DayText], size: int) -> list[DayText]:
    """A deterministic sample: the ``size`` texts whose event id and column hash lowest."""
    keyed = [(hashlib.sha256(f"{t.event_id}/{t.column}".encode()).digest(), i) for i, t in enumerate(texts)]
    return [texts[i] for _, i in sorted(keyed)[:size]]


def _pattern_rescan_set(texts: list[DayText], unchanged_sample_size: int) -> tuple[list[DayText], int]:
    """The texts the pattern re-scan reads, and how many it leaves: those the ``code`` policy
    scrubbed and left as they came in, less a deterministic sample of them."""
    policies = field_policies()
    read, unchanged = [], []
    for text in texts:
        (unchanged if text.same_as_raw and policies[text.column] == CODE else read).append(text)
    sample = _lowest_hashes(unchanged, unchanged_sample_size)
    return read + sample, len(unchanged) - len(sample)


def _attribute_to_column() -> dict[str, str]:
    return {".".join(path): column.name for column in contract.EVENT_COLUMNS for path in column.paths}


def injected_values(ground_truth: Path, event_ids: set[str]) -> list[dict[str, str]]:
    """The simulator's injected values for these events (empty without a ground truth)."""
    path = ground_truth / "injected.jsonl.gz"
    if not path.exists():
        return []
    with gzip.open(path, "rt") as lines:
        return [row for row in map(json.loads, lines) if row["event_id"] in event_ids]


def leaked(value: str, text: str) -> bool:
    """Whether ``value`` survives in ``text`` as a whole token (not inside a longer word)."""
    pattern = rf"(?<![\w]){re.escape(value)}(?![\w])" if value[:1].isalnum() and value[-1:].isalnum() else re.escape(value)
    return re.search(pattern, text) is not None


def verify_day(
    paths: FlywheelPaths, day: str, scrubber: Scrubber, ner_sample_size: int = NER_SAMPLE_SIZE,
    unchanged_sample_size: int = UNCHANGED_SAMPLE_SIZE,
) -> VerifyReport:  # fmt: skip
    """Re-scan the day's scrubbed texts; ``scrubber`` must remember nothing (``Scrubber.rescanner``:
    the re-scan must look at the text, not at results remembered from the scrub)."""
    report = VerifyReport()
    texts = _texts_of_day(paths, day)
    rescanned, report.texts_unchanged_not_rescanned = _pattern_rescan_set(texts, unchanged_sample_size)
    report.texts_pattern_scanned = len(rescanned)
    natural = {c for c, p in field_policies().items() if p.use_ner}
    sample = _lowest_hashes([t for t in texts if t.column in natural], ner_sample_size)
    report.texts_ner_scanned = len(sample)
    # both re-scans go to the workers now; the ground truth is searched here meanwhile
    pattern_rescan = scrubber.submit([t.text for t in rescanned], CODE)
    ner_rescan = scrubber.submit([t.text for t in sample], NATURAL_LANGUAGE)

    by_event: dict[tuple[str, str], str] = {(t.event_id, t.column): t.text for t in texts}
    injected = injected_values(paths.ground_truth, {t.event_id for t in texts})
    report.ground_truth_present = (paths.ground_truth / "injected.jsonl.gz").exists()
    columns = _attribute_to_column()
    for row in injected:
        report.injected_checked += 1
        text = by_event.get((row["event_id"], columns.get(row["field"], row["field"])), "")
        if text and leaked(row["value"], text):
            report.injected_leaked[f"{row['field']}:{row['entity_type']}"] += 1

    for text, result in zip(rescanned, pattern_rescan(), strict=True):
        for entity_type, count in result.findings.items():
            report.pattern_hits[f"{text.column}:{entity_type}"] += count
    for result in ner_rescan():
        for entity_type, count in result.findings.items():
            report.ner_hits[entity_type] += count
    return report


# --- retention ---------------------------------------------------------------------------------


def expire_raw_zone(paths: FlywheelPaths, retention_days: int, today: date) -> list[str]:
    """Delete raw-zone days older than ``retention_days`` before ``today``; return those days."""
    if retention_days < 1:
        raise ValueError(f"raw zone retention must be at least 1 day, got {retention_days}")
    cutoff = (today - timedelta(days=retention_days)).isoformat()
    removed: set[str] = set()
    for table_root in [raw_events_root(paths), *sorted(paths.raw_table("quarantine").glob("source=*"))]:
        for day in lake.partition_days(table_root):
            if day < cutoff:
                shutil.rmtree(table_root / f"ingest_date={day}")
                removed.add(day)
    return sorted(removed)

