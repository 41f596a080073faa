"""Scratch entries are named after their process; what a dead process left is swept, nothing else."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import dagster as dg
import pytest

from pipelines import runner, scratch, settings


def dead_pid() -> int:
    """The pid of a process that has ended (and been reaped)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def name_of(label: str, pid: int, suffix: str = "") -> str:
    return f"{label}-{pid}-{uuid.uuid4().hex[:12]}{suffix}"


@pytest.mark.parametrize("label", ["scratch", "dataset-build", "dbt-signals_dbt_daily", "forget-compact"])
def test_an_owned_name_says_its_label_and_process(label: str) -> None:
    name = scratch.owned_name(label, ".parquet")
    assert scratch.owner(name) == os.getpid()
    assert scratch.owner(name, label) == os.getpid()
    assert scratch.owner(name, "other") is None


@pytest.mark.parametrize("name", ["duckdb", "simulator", "dataset-build-notapid-abc", "scratch-12-short", "1234-abcdef012345"])
def test_other_names_have_no_owner(name: str) -> None:
    assert scratch.owner(name) is None


def test_sweep_removes_only_what_dead_processes_left(tmp_path: Path) -> None:
    gone = dead_pid()
    dead_file = tmp_path / name_of("scratch", gone, ".parquet")
    dead_dir = tmp_path / name_of("dataset-build", gone)
    mine = tmp_path / scratch.owned_name("scratch", ".parquet")
    alive_elsewhere = tmp_path / name_of("dbt-x", 1)  # pid 1 is always alive
    foreign = tmp_path / "simulator"
    for path in (dead_file, mine, alive_elsewhere):
        path.write_bytes(b"x")
    for path in (dead_dir / "version", foreign):
        path.mkdir(parents=True)
    (dead_dir / "version" / "part.parquet").write_bytes(b"rows")

    assert scratch.sweep(tmp_path, "scratch") == [dead_file]
    assert dead_dir.exists()
    assert scratch.live_owners(tmp_path, "dataset-build") == []
    assert scratch.sweep(tmp_path) == [dead_dir]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([mine.name, alive_elsewhere.name, foreign.name])


def test_sweep_after_crash_also_empties_duckdbs_spill_folder(tmp_path: Path) -> None:
    spill = tmp_path / scratch.DUCKDB_SPILL_DIR
    spill.mkdir()
    (spill / "duckdb_temp_storage_DEFAULT-0.tmp").write_bytes(b"spilled")
    assert [p.name for p in scratch.sweep_after_crash(tmp_path)] == ["duckdb_temp_storage_DEFAULT-0.tmp"]
    assert spill.is_dir() and not any(spill.iterdir())


def test_runs_of_a_killed_process_are_marked_failed_and_no_other(tmp_path: Path, monkeypatch) -> None:
    home = settings.paths(tmp_path / "home")
    monkeypatch.setenv("FLYWHEEL_HOME", str(home.home))
    monkeypatch.setenv("DAGSTER_HOME", str(home.dagster_home))
    runner.prepare_environment(home)
    killed, ours, launched_elsewhere = (uuid.uuid4().hex for _ in range(3))
    with dg.DagsterInstance.get() as instance:
        for run_id, tags in ((killed, {runner.RUN_PID_TAG: str(dead_pid())}),
                             (ours, {runner.RUN_PID_TAG: str(os.getpid())}),
                             (launched_elsewhere, {})):
            instance.add_run(dg.DagsterRun(job_name="daily_pipeline", run_id=run_id,
                                           status=dg.DagsterRunStatus.STARTED, tags=tags))
        assert runner.recover_after_crash(home, instance) == [killed]
        status = {r.dagster_run.run_id: r.dagster_run.status for r in instance.get_run_records()}
        reason = " ".join(e.message or "" for e in instance.all_logs(killed, of_type=dg.DagsterEventType.RUN_FAILURE))
    assert status == {killed: dg.DagsterRunStatus.FAILURE, ours: dg.DagsterRunStatus.STARTED,
                      launched_elsewhere: dg.DagsterRunStatus.STARTED}
    assert "was killed" in reason


def test_partial_copies_a_killed_replace_left_are_swept_and_nothing_else(tmp_path: Path) -> None:
    day = tmp_path / "events" / "ingest_date=2026-11-02"
    day.mkdir(parents=True)
    (day / "part-0.parquet").write_bytes(b"the day")
    leftover = day / f".part-0.parquet.{uuid.uuid4().hex}{scratch.PARTIAL_SUFFIX}"
    leftover.write_bytes(b"half a copy")
    assert scratch.sweep_after_crash(tmp_path / "tmp", [tmp_path]) == [leftover]
    assert [p.name for p in day.iterdir()] == ["part-0.parquet"]
