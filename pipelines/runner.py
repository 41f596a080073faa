"""Run Flywheel's Dagster jobs in this process, day by day, and say what happened.

``flywheel run`` and ``flywheel demo`` use this; so do the tests. Runs are recorded in the Dagster
instance under ``$FLYWHEEL_HOME/dagster``, so ``dagster dev`` shows them afterwards.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import dagster as dg

from pipelines import lake
from pipelines.locks import exclusive_run
from pipelines.settings import FlywheelPaths, ensure_layout

DAGSTER_YAML = """\
# Written by Flywheel: local storage under $FLYWHEEL_HOME/dagster, no telemetry (no network).
telemetry:
  enabled: false
"""


@dataclass
class StepOutcome:
    job: str
    partition: str | None
    success: bool
    seconds: float
    materialized: list[str] = field(default_factory=list)
    failed_checks: list[str] = field(default_factory=list)
    failed_steps: list[str] = field(default_factory=list)
    run_id: str = ""


@dataclass
class RunReport:
    outcomes: list[StepOutcome] = field(default_factory=list)

    @property
    def success(self) -> bool:
        return all(o.success for o in self.outcomes)


def prepare_environment(home: FlywheelPaths) -> None:
    """Point this process (and the Dagster instance) at ``home``; idempotent."""
    with lake.storage_errors(home.home):
        ensure_layout(home)
    os.environ["FLYWHEEL_HOME"] = str(home.home)
    os.environ["DAGSTER_HOME"] = str(home.dagster_home)
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "1")
    dagster_yaml = home.dagster_home / "dagster.yaml"
    if not dagster_yaml.exists():
        dagster_yaml.write_text(DAGSTER_YAML)


def landed_days(home: FlywheelPaths) -> list[str]:
    """Every arrival day present in the landing zone, oldest first."""
    days = {
        d.name.removeprefix("date=")
        for source in home.landing.glob("*")
        if source.is_dir()
        for d in source.glob("date=*")
        if d.is_dir()
    }
    return sorted(days)


def run_days(
    home: FlywheelPaths,
    days: list[str],
    on_progress: Callable[[StepOutcome], None] | None = None,
    *,
    stop_on_failure: bool = True,
    wait_seconds: float = 0.0,
) -> RunReport:
    """Run the daily job for each day in order, then the job over all history.

    Raises ``RunLockHeld`` when another run holds this home for longer than ``wait_seconds``.
    """
    from pipelines.definitions import DAILY_JOB, REFRESH_JOB, defs

    prepare_environment(home)
    report = RunReport()
    with exclusive_run(home.state / "run.lock", wait_seconds), dg.DagsterInstance.get() as instance:
        for day in days:
            outcome = _execute(defs, DAILY_JOB, instance, partition=day)
            report.outcomes.append(outcome)
            if on_progress:
                on_progress(outcome)
            if not outcome.success and stop_on_failure:
                return report
        if defs.resolve_job_def(REFRESH_JOB).asset_layer.executable_asset_keys:
            outcome = _execute(defs, REFRESH_JOB, instance, partition=None)
            report.outcomes.append(outcome)
            if on_progress:
                on_progress(outcome)
    return report


def _execute(
    defs: dg.Definitions, job_name: str, instance: dg.DagsterInstance, partition: str | None,
    asset_selection: Sequence[dg.AssetKey] | None = None,
) -> StepOutcome:
    job = defs.resolve_job_def(job_name)
    started = time.perf_counter()
    result = job.execute_in_process(
        instance=instance,
        partition_key=partition,
        asset_selection=asset_selection,
        raise_on_error=False,
        # Step logs go to the Dagster instance (the UI); the terminal shows only what needs a person.
        run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}},
    )
    outcome = StepOutcome(job_name, partition, result.success, time.perf_counter() - started, run_id=result.run_id)
    for event in result.all_events:
        if event.event_type == dg.DagsterEventType.ASSET_MATERIALIZATION:
            outcome.materialized.append(event.asset_key.to_user_string())
        elif event.event_type == dg.DagsterEventType.STEP_FAILURE:
            outcome.failed_steps.append(event.step_key or "?")
        elif event.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION:
            evaluation = event.event_specific_data
            if not evaluation.passed and evaluation.blocking:
                outcome.failed_checks.append(f"{evaluation.asset_key.to_user_string()}:{evaluation.check_name}")
    outcome.success = result.success and not outcome.failed_checks
    return outcome


def days_in_range(start: str, end: str) -> list[str]:
    return lake.days_between(start, end)
