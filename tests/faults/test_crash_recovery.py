"""Kill ``flywheel run`` in the middle of each stage, run it again: the state is the uninterrupted one.

Each case starts from a fresh home holding only the landed files, runs the pipeline with a
failpoint armed (``pipelines/failpoints.py``: SIGKILL to the run's whole process group, dbt and
the scrubber's workers included, at the named point), checks that the crash left a half-done
stage behind, runs the pipeline again, and compares everything it left with the reference run:
every warehouse table and view row for row, every raw-zone and lake Parquet file row for row, the
training-set version ids and their bytes, and the serving snapshot.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import duckdb
import pytest

from pipelines import lake, settings
from pipelines.datasets.publish import WORK_PREFIX
from pipelines.failpoints import FAILPOINTS
from tests.faults import harness
from tests.faults.conftest import SIMULATION, Reference

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("faults")]

DAY = SIMULATION.start.isoformat()


def _ingest_half_done(paths: settings.FlywheelPaths) -> list[str]:
    """One source's valid events are in place; its per-file counts are not."""
    written = [lake.partition_path(paths.raw_table("events"), DAY), lake.partition_path(paths.lake_table("billing"), DAY)]
    counted = list((paths.lake_table("ops") / "ingest_files").rglob("*.parquet"))
    problems = []
    if not any(p.exists() for p in written):
        problems.append("no valid events were written before the crash")
    if len(counted) >= 2:
        problems.append(f"both sources' per-file counts were written before the crash: {counted}")
    return problems


def _scrub_half_done(paths: settings.FlywheelPaths) -> list[str]:
    """The raw day is in, the lake day is not; a partly written scratch file is left in tmp."""
    problems = []
    if not lake.partition_path(paths.raw_table("events"), DAY).exists():
        problems.append("the raw zone has no events for the day")
    if lake.partition_path(paths.lake_table("events"), DAY).exists():
        problems.append("the scrubbed day reached the lake before the crash")
    if not list(paths.tmp.glob("*.parquet")):
        problems.append("no partly written scratch file in tmp")
    return problems


def _dbt_half_done(paths: settings.FlywheelPaths) -> list[str]:
    """dbt wrote the models upstream of fct_generations, and was killed before the history marts."""
    if not paths.warehouse.exists():
        return ["no warehouse: dbt did not start"]
    problems = []
    with duckdb.connect() as con:
        # the warehouse as a killed process left it, WAL included: read from a copy
        copy = paths.home.parent / f"{paths.home.name}-killed-warehouse.duckdb"
        copy.write_bytes(paths.warehouse.read_bytes())
        wal = paths.warehouse.with_name(paths.warehouse.name + ".wal")
        if wal.exists():
            copy.with_name(copy.name + ".wal").write_bytes(wal.read_bytes())
        con.execute(f"attach '{copy}' as w")
        tables = {t for (t,) in con.execute(
            "select table_name from duckdb_tables() where database_name = 'w'").fetchall()}
    upstream = {"base_lake__events", "int_actions_attributed", "int_generation_signals"}
    if not upstream <= tables:
        problems.append(f"dbt had not written {sorted(upstream - tables)} before the crash: {sorted(tables)}")
    if "fct_mrr" in tables or paths.serving_db.exists():
        problems.append("the history models or the snapshot were built: dbt was not killed mid-build")
    return problems


def _dataset_half_done(paths: settings.FlywheelPaths) -> list[str]:
    """A version is staged in a work directory; nothing is published under exports."""
    problems = []
    if list(paths.datasets.glob("*/v*")):
        problems.append(f"a version was published: {list(paths.datasets.glob('*/v*'))}")
    staged = list(paths.tmp.glob(f"{WORK_PREFIX}*/version/manifest.json"))
    if not staged:
        problems.append("no staged version with its manifest in a work directory")
    return problems


@dataclass(frozen=True)
class Stage:
    failpoint: str
    half_done: Callable[[settings.FlywheelPaths], list[str]]


STAGES = {
    "ingest": Stage("ingest.before_bookkeeping", _ingest_half_done),
    "scrubbing": Stage("scrub.mid_write", _scrub_half_done),
    "dbt": Stage("dbt.mid_build", _dbt_half_done),
    "dataset_build": Stage("dataset.before_publish", _dataset_half_done),
}


def test_the_reference_run_holds_every_stage_output(reference: Reference) -> None:
    paths = reference.paths
    assert lake.partition_path(paths.lake_table("events"), DAY).exists()
    assert list(paths.datasets.glob("*/v*/manifest.json")), "the reference run published no training set"
    with duckdb.connect(str(paths.serving_db), read_only=True) as con:
        assert con.execute("select count(*) from snapshot_tables where status <> 'copied'").fetchone()[0] == 0


def test_the_reference_run_imported_great_expectations_while_dbt_ran(reference: Reference) -> None:
    """``flywheel run`` is a command's own process: its daily dbt step starts the gates' import
    (pipelines/command_process.py), once."""
    import dagster as dg

    from pipelines.signals.assets import EARLY_IMPORT_MESSAGE

    with dg.DagsterInstance.from_config(str(reference.paths.dagster_home)) as instance:
        said = [(record.dagster_run.job_name, entry.step_key)
                for record in instance.get_run_records()
                for entry in instance.all_logs(record.dagster_run.run_id)
                if entry.user_message == EARLY_IMPORT_MESSAGE]
    assert said == [("daily_pipeline", "signals_dbt_daily")], said


@pytest.mark.parametrize("stage", list(STAGES))
def test_a_run_killed_mid_stage_then_run_again_ends_as_an_uninterrupted_run(
    stage: str, landed: settings.FlywheelPaths, reference: Reference, tmp_path
) -> None:
    failpoint, half_done = STAGES[stage].failpoint, STAGES[stage].half_done
    assert failpoint in FAILPOINTS
    paths = harness.copy_inputs(landed, tmp_path / "home")

    crashed = harness.run(paths, crash_at=failpoint)
    assert crashed.killed, f"the run was not killed at {failpoint}:\n{crashed.tail()}"
    assert f"failpoint {failpoint}: SIGKILL" in crashed.crash_record, crashed.tail()
    assert not half_done(paths), half_done(paths)

    left_behind = harness.scratch_left_behind(paths)
    recovered = harness.run(paths)
    assert recovered.returncode == 0, f"the run after the crash failed:\n{recovered.tail()}"
    differences = harness.state_differences(reference.paths, paths)
    assert not differences, "\n".join(differences)

    # nothing of the killed run is left: its scratch files are swept, its Dagster run is not
    # shown as still running but failed, with the reason
    assert harness.scratch_left_behind(paths) == [], f"before the re-run: {left_behind}"
    runs = harness.dagster_runs(paths)
    assert not [r for r in runs if r["status"] in ("STARTED", "STARTING")], runs
    assert [r for r in runs if r["status"] == "FAILURE" and "was killed" in r["message"]], runs
