"""Ingest on real files and a real DuckDB: reconciliation, quarantine reasons, idempotence, late events."""

from __future__ import annotations

import copy
import gzip
import json
import shutil
import uuid
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipelines import lake, settings
from pipelines.ingest import load
from pipelines.ingest.load import file_stats_root, ingest_day, quarantine_root, valid_table_root
from pipelines.settings import FlywheelPaths
from tests.conftest import contract_examples

DAY = "2026-11-02"
EVENTS = [e for e in contract_examples() if not e["event_type"].startswith("subscription.")]


def fresh(example: dict, **changes: object) -> dict:
    """A copy of an example with a new event id (and any field changed)."""
    doc = copy.deepcopy(example)
    doc["event_id"] = str(uuid.uuid4())
    doc.update(changes)
    return doc


def line(doc: object) -> bytes:
    return json.dumps(doc).encode()


def write_landing(home: FlywheelPaths, day: str, name: str, lines: list[bytes], source: str = "events") -> Path:
    folder = home.landing_day(source, day)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    payload = b"".join(item + b"\n" for item in lines)
    path.write_bytes(gzip.compress(payload, mtime=0) if name.endswith(".gz") else payload)
    return path


def loaded(home: FlywheelPaths, day: str, source: str = "events") -> list[tuple]:
    path = lake.partition_path(valid_table_root(home, source), day)
    return duckdb.sql(f"SELECT * FROM read_parquet('{path}') ORDER BY event_id").fetchall()


def quarantined(home: FlywheelPaths, day: str, *, restricted: bool) -> list[dict]:
    path = lake.partition_path(quarantine_root(home, "events", restricted=restricted), day)
    return pq.read_table(path).to_pylist()


BAD_LINES: dict[str, bytes] = {
    "invalid_json": b'{"schema_version": "1.0", "event_id": "0b8f3c2e',
    "invalid_utf8": b'{"text": "\xff\xfe caf\xe9"}',
    "nul_byte": b'{"a": "b\x00c"}',
    "blank_line": b"   ",
    "not_an_object": b"[1, 2, 3]",
    "unknown_event_type": line(fresh(EVENTS[0], event_type="prompt.deleted")),
    "schema_violation": line({k: v for k, v in fresh(EVENTS[1]).items() if k != "gen_ai.response.id"}),
    "future_timestamp": line(fresh(EVENTS[0], occurred_at="2026-11-04T00:00:00Z")),
    "invalid_timestamp": line(fresh(EVENTS[0], occurred_at="2026-11-31T00:00:00Z")),
}


@pytest.fixture
def bad_day(home: FlywheelPaths) -> FlywheelPaths:
    """A day holding every kind of bad input beside good events, in every landing format."""
    good = [line(fresh(e)) for e in EVENTS]
    duplicate = line(json.loads(good[0]))
    write_landing(home, DAY, "part-00.jsonl.gz", [good[0], *BAD_LINES.values(), duplicate, *good[1:6]])
    write_landing(home, DAY, "part-01.jsonl", good[6:])
    write_landing(home, DAY, "part-02.jsonl", [])  # an empty file
    huge = b'{"prompt.text": "' + b"x" * (50 * 1024 * 1024) + b'"}'
    write_landing(home, DAY, "part-03.jsonl", [huge, line(fresh(EVENTS[2]))])
    cut = gzip.compress(b"".join(line(fresh(e)) + b"\n" for e in EVENTS * 40), mtime=0)
    (home.landing_day("events", DAY) / "part-04.jsonl.gz").write_bytes(cut[: len(cut) // 2])
    feedback = [fresh(e) for e in EVENTS if e["event_type"] == "gen_ai.evaluation.result"]
    pq.write_table(pa.Table.from_pylist(feedback), home.landing_day("events", DAY) / "feedback.parquet")
    (home.landing_day("events", DAY) / "notes.csv").write_text("not,an,event\n")
    (home.landing_day("events", DAY) / ".part-05.jsonl.uploading").write_text("in flight")
    return home


def test_a_day_full_of_bad_input_reconciles(bad_day: FlywheelPaths) -> None:
    stats = ingest_day(bad_day, "events", DAY)
    assert stats.balanced
    assert stats.lines_read == stats.loaded + stats.quarantined + stats.duplicates
    assert stats.duplicates == 1
    expected_codes = set(BAD_LINES) | {"oversize_line", "truncated_gzip", "unsupported_file"}
    assert expected_codes <= set(stats.quarantine_reasons)
    assert len(loaded(bad_day, DAY)) == stats.loaded
    # The hidden in-flight upload was not read; the empty file was, with zero lines.
    names = {f.source_file.rsplit("/", 1)[-1]: f for f in stats.files}
    assert ".part-05.jsonl.uploading" not in names
    assert names["part-02.jsonl"].lines_read == 0
    assert names["feedback.parquet"].loaded == 1


def test_quarantine_rows_say_where_and_why(bad_day: FlywheelPaths) -> None:
    ingest_day(bad_day, "events", DAY)
    restricted = quarantined(bad_day, DAY, restricted=True)
    by_code = {row["reason_code"]: row for row in restricted}
    nul = by_code["nul_byte"]
    assert nul["source_file"] == f"events/date={DAY}/part-00.jsonl.gz"
    assert nul["line_number"] == 4  # good, invalid_json, invalid_utf8, nul
    assert nul["excerpt"] == BAD_LINES["nul_byte"]
    oversize = by_code["oversize_line"]
    assert oversize["byte_length"] > 50 * 1024 * 1024 and len(oversize["excerpt"]) <= 4096
    assert "cut short" in by_code["truncated_gzip"]["reason"]
    assert all(row["reason"] for row in restricted)
    # The lake's copy (readable downstream) has the reasons but never the raw bytes.
    public = quarantined(bad_day, DAY, restricted=False)
    assert "excerpt" not in public[0]
    assert len(public) == len(restricted)


def day_written(home: FlywheelPaths, day: str) -> dict[str, list[dict]]:
    """Every file the load of ``day`` wrote, as rows (the lake's and the raw zone's)."""
    written = {
        "events": lake.partition_path(valid_table_root(home, "events"), day),
        "quarantine": lake.partition_path(quarantine_root(home, "events", restricted=True), day),
        "ops_quarantine": lake.partition_path(quarantine_root(home, "events", restricted=False), day),
        "file_stats": lake.partition_path(file_stats_root(home, "events"), day),
    }
    return {name: pq.read_table(path).to_pylist() for name, path in written.items()}


def test_files_read_in_worker_processes_load_exactly_what_one_process_loads(
    bad_day: FlywheelPaths, tmp_path: Path
) -> None:
    from pipelines.deletion.tombstones import Tombstone, TombstoneFilter, subject_hash

    # beside every kind of bad input: a copy of an event in a later file (the first copy wins),
    # and a forgotten user's lines, valid and not
    first = pq.read_table(bad_day.landing_day("events", DAY) / "feedback.parquet").to_pylist()[0]
    forgotten = [line(fresh(EVENTS[0], user_id="usr_gone")), b'{"user_id": "usr_gone", "x": ']
    write_landing(bad_day, DAY, "part-06.jsonl", [line(first), *forgotten, line(fresh(EVENTS[3]))])
    key = b"test-key"
    tombstones = TombstoneFilter(key, [Tombstone("user", subject_hash(key, "user", "usr_gone"), "2026-11-20T00:00:00Z", "r")])
    copy_home = settings.paths(tmp_path / "copy")
    settings.ensure_layout(copy_home)
    shutil.copytree(bad_day.landing, copy_home.landing, dirs_exist_ok=True)

    here = ingest_day(bad_day, "events", DAY, tombstones=tombstones, workers=0)
    in_workers = ingest_day(copy_home, "events", DAY, tombstones=tombstones, workers=2)

    assert here.balanced and (here.duplicates, here.forgotten) == (2, 2)
    assert [vars(f) for f in in_workers.files] == [vars(f) for f in here.files]
    assert in_workers.quarantine_reasons == here.quarantine_reasons
    assert (in_workers.events_by_type, in_workers.late_events) == (here.events_by_type, here.late_events)
    assert day_written(copy_home, DAY) == day_written(bad_day, DAY)


def test_a_large_day_of_several_files_is_read_in_workers_by_default(
    bad_day: FlywheelPaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    pools: list[tuple] = []
    real = load.worker_context
    monkeypatch.setattr(load, "worker_context", lambda *args: pools.append(args) or real(*args))
    monkeypatch.setattr(load, "PARALLEL_MIN_BYTES", 1 << 40)
    small = ingest_day(bad_day, "events", DAY)
    assert not pools
    monkeypatch.setattr(load, "PARALLEL_MIN_BYTES", 1)
    large = ingest_day(bad_day, "events", DAY)
    assert len(pools) == 1
    assert (large.loaded, large.quarantined, large.duplicates) == (small.loaded, small.quarantined, small.duplicates)


def test_rerunning_a_day_replaces_it(bad_day: FlywheelPaths) -> None:
    first = ingest_day(bad_day, "events", DAY)
    rows = loaded(bad_day, DAY)
    second = ingest_day(bad_day, "events", DAY)
    assert loaded(bad_day, DAY) == rows
    assert (second.loaded, second.quarantined, second.duplicates) == (first.loaded, first.quarantined, first.duplicates)
    assert len(quarantined(bad_day, DAY, restricted=True)) == first.quarantined


def test_duplicates_across_days_are_kept_once(home: FlywheelPaths) -> None:
    docs = [fresh(e) for e in EVENTS]
    write_landing(home, DAY, "a.jsonl", [line(d) for d in docs])
    # The next day re-sends two events (a client retry) beside a new one.
    retry = [line(docs[0]), line(docs[3]), line(fresh(EVENTS[0], occurred_at="2026-11-03T10:00:00Z"))]
    write_landing(home, "2026-11-03", "a.jsonl", retry)
    ingest_day(home, "events", DAY)
    stats = ingest_day(home, "events", "2026-11-03")
    assert (stats.loaded, stats.duplicates, stats.balanced) == (1, 2, True)


def test_late_events_stay_in_their_arrival_day(home: FlywheelPaths) -> None:
    late = fresh(EVENTS[2], occurred_at="2026-11-01T23:59:00Z")
    write_landing(home, DAY, "a.jsonl", [line(late), line(fresh(EVENTS[0]))])
    stats = ingest_day(home, "events", DAY)
    assert stats.late_events == 1
    rows = duckdb.sql(
        f"SELECT event_id, occurred_at, ingest_date FROM read_parquet('{lake.table_glob(home.raw_table('events'))}', "
        "hive_partitioning = true) WHERE event_id = ?", params=[late["event_id"]]
    ).fetchall()
    assert len(rows) == 1 and str(rows[0][2]) == DAY and str(rows[0][1]).startswith("2026-11-01 23:59")


def test_a_day_without_files_loads_an_empty_partition(home: FlywheelPaths) -> None:
    stats = ingest_day(home, "events", DAY)
    assert (stats.lines_read, stats.balanced) == (0, True)
    assert loaded(home, DAY) == []


def test_billing_goes_to_the_lake_typed(home: FlywheelPaths) -> None:
    billing = [e for e in contract_examples() if e["event_type"].startswith("subscription.")]
    # The billing system's export arrives after the last example's date (2026-12-20).
    write_landing(home, "2026-12-21", "billing.jsonl", [line(fresh(b)) for b in billing], source="billing")
    stats = ingest_day(home, "billing", "2026-12-21")
    assert stats.loaded == 3
    path = lake.partition_path(home.lake_table("billing"), "2026-12-21")
    types = dict(duckdb.sql(f"SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet('{path}'))").fetchall())
    assert types["price_per_seat"] == "DECIMAL(18,4)" and types["occurred_at"] == "TIMESTAMP"
    assert not (home.raw / "billing").exists()


def test_raw_zone_is_private(home: FlywheelPaths) -> None:
    assert home.raw.stat().st_mode & 0o077 == 0


def test_a_replayed_file_never_brings_a_forgotten_user_back(home: FlywheelPaths) -> None:
    from pipelines.deletion.tombstones import Tombstone, TombstoneFilter, subject_hash

    key = b"test-key"
    forgotten = [line(fresh(e)) for e in EVENTS]  # every example belongs to usr_00a7
    other = fresh(EVENTS[0], user_id="usr_other")
    broken = b'{"user_id": "usr_00a7", "prompt.text": "my card is 4111 1111 1111 1111"'  # invalid JSON
    write_landing(home, DAY, "replayed.jsonl", [*forgotten, line(other), broken])
    tombstone = Tombstone("user", subject_hash(key, "user", "usr_00a7"), "2026-11-20T00:00:00Z", "req-1")
    stats = ingest_day(home, "events", DAY, tombstones=TombstoneFilter(key, [tombstone]))
    assert (stats.loaded, stats.forgotten, stats.quarantined, stats.balanced) == (1, len(EVENTS) + 1, 0, True)
    assert [row[0] for row in loaded(home, DAY)] == [other["event_id"]]
    assert quarantined(home, DAY, restricted=True) == []
