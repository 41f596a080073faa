"""While a run writes: a second run on the same home is refused clearly, and the dashboards' reads of
the serving snapshot never fail (the old snapshot stays readable, the new one replaces it whole)."""

from __future__ import annotations

import duckdb
import pytest

from pipelines.serving.snapshot import SERVED_TABLES
from tests.faults.conftest import Reference

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("faults")]


def test_a_second_run_on_the_same_home_stops_with_a_clear_message(reference: Reference) -> None:
    second = reference.second_run
    assert second.returncode == 3, second.tail()
    message = " ".join((second.stdout + second.stderr).split())  # the console wraps long lines
    assert "not started" in message and "another Flywheel run" in message, second.tail()
    assert "--wait" in message, "the message must say how to wait instead"
    assert "Traceback" not in second.stdout + second.stderr


def test_the_dashboards_keep_reading_the_snapshot_while_the_pipeline_writes(reference: Reference) -> None:
    reader = reference.reader
    assert not reader.errors, reader.errors[:5]
    assert reader.reads >= 20, f"only {reader.reads} reads during the run"
    # it read the snapshot of before the run, during the run, and its open connection kept it
    assert reader.old_copied_tables == 0 and 0 in reader.copied_tables_seen
    assert reader.old_still_readable
    with duckdb.connect(str(reference.paths.serving_db), read_only=True) as con:
        copied = con.execute("select count(*) from snapshot_tables where status = 'copied'").fetchone()[0]
    assert copied == len(SERVED_TABLES)
