"""Drive the real pipeline for the signals tests: simulate, ingest, scrub, then dbt through Dagster.

Every day runs through the code location's daily job (``pipelines.definitions``) on a real home:
ingest, the scrubbing asset, then the partitioned dbt assets and their checks.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import duckdb

from pipelines import settings
from pipelines.definitions import DAILY_JOB, defs
from pipelines.runner import prepare_environment
from pipelines.signals.project import dbt_resource
from pipelines.simulator import SimulationConfig, generate


@dataclass
class DayRun:
    day: str
    success: bool
    failed_checks: list[str]
    materialized: set[str]


@contextmanager
def pointing_at(paths: settings.FlywheelPaths) -> Iterator[None]:
    """Point this process at ``paths`` for the block, and back where it was afterwards."""
    with settings.environment_holding({settings.HOME_ENV: str(paths.home), "DAGSTER_HOME": str(paths.dagster_home)}):
        prepare_environment(paths)  # the rest of what a run needs: layout, dagster.yaml
        yield


def new_home(root: Path) -> settings.FlywheelPaths:
    paths = settings.paths(root)
    settings.ensure_layout(paths)
    return paths


def simulate(paths: settings.FlywheelPaths, config: SimulationConfig) -> list[str]:
    generate(paths, config)
    return [day.isoformat() for day in config.day_dates]


def _execute(day: str, instance: dg.DagsterInstance) -> DayRun:
    result = defs.resolve_job_def(DAILY_JOB).execute_in_process(
        partition_key=day, instance=instance, raise_on_error=False,
        run_config={"loggers": {"console": {"config": {"log_level": "ERROR"}}}},
    )
    failed, materialized = [], set()
    for event in result.all_events:
        if event.event_type == dg.DagsterEventType.ASSET_MATERIALIZATION:
            materialized.add(event.asset_key.to_user_string())
        elif event.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION:
            evaluation = event.event_specific_data
            if not evaluation.passed:
                failed.append(f"{evaluation.asset_key.to_user_string()}:{evaluation.check_name}")
    return DayRun(day, result.success, failed, materialized)


def run_day(paths: settings.FlywheelPaths, day: str) -> DayRun:
    """One arrival day through the daily job: ingest, scrubbing, dbt and their checks."""
    with pointing_at(paths), dg.DagsterInstance.ephemeral() as instance:
        return _execute(day, instance)


def run_days(paths: settings.FlywheelPaths, days: Sequence[str]) -> list[DayRun]:
    runs = [run_day(paths, day) for day in days]
    failed = [r for r in runs if not r.success or r.failed_checks]
    assert not failed, f"daily runs failed: {[(r.day, r.success, r.failed_checks) for r in failed]}"
    return runs


def dbt(paths: settings.FlywheelPaths, *args: str) -> Path:
    """A dbt command on ``paths`` through the project's dagster-dbt resource; its run_results.json.

    Pass a multi-part selection as ONE argument (``--select "a b"``), as dbt's own CLI allows.
    """
    target = paths.tmp / "dbt-tests"
    with pointing_at(paths):
        invocation = dbt_resource().cli(list(args), target_path=target, raise_on_error=False)
        invocation.wait()
        if not invocation.is_successful():
            raise AssertionError(f"dbt {' '.join(args)} failed: {invocation.get_error()}")
    return target / "run_results.json"


def snapshot(paths: settings.FlywheelPaths, name: str) -> Path:
    """A copy of the warehouse as it is now (DuckDB file), to compare with later."""
    copy = paths.home / f"snapshot-{name}.duckdb"
    shutil.copyfile(paths.warehouse, copy)
    return copy


def table_differences(left: Path, right: Path, exclude: Sequence[str] = ()) -> dict[str, tuple[int, int, int]]:
    """Per table of ``left``: (rows, rows only in left, rows only in right), row for row."""
    with duckdb.connect() as con:
        con.execute(f"attach '{left}' as l (read_only)")
        con.execute(f"attach '{right}' as r (read_only)")
        tables = [t for (t,) in con.execute(
            "select table_name from duckdb_tables() where database_name = 'l' order by 1").fetchall()
            if t not in exclude]
        out = {}
        for t in tables:
            rows = con.execute(f"select count(*) from l.main.{t}").fetchone()[0]
            only_left = con.execute(f"select count(*) from (from l.main.{t} except all from r.main.{t})").fetchone()[0]
            only_right = con.execute(f"select count(*) from (from r.main.{t} except all from l.main.{t})").fetchone()[0]
            out[t] = (rows, only_left, only_right)
        return out


def query(paths: settings.FlywheelPaths, sql: str, parameters: Sequence[object] = ()) -> list[tuple]:
    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        return con.execute(sql, list(parameters)).fetchall()
