"""Run Flywheel's Dagster jobs in this process, day by day, and say what happened.

``flywheel run`` and ``flywheel demo`` use this; so do the tests. Runs are recorded in the Dagster
instance under ``$FLYWHEEL_HOME/dagster``, so ``dagster dev`` shows them afterwards.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

import dagster as dg
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)

from pipelines import lake
from pipelines import scratch as scratch_space
from pipelines.dagster_instance import open_instance
from pipelines.locks import exclusive_run
from pipelines.settings import FlywheelPaths, ensure_layout

# The process that executes a run, on every run Flywheel starts: a run still marked started whose
# process is gone was killed, and the next run records that (recover_after_crash).
RUN_PID_TAG = "flywheel/pid"

# The daily job's steps that must run day by day: ingest (day D drops the copies of events D-1
# already loaded) and scrubbing (one day's raw zone). The rest (dbt's daily models, the quality
# gates) reads the lake over a window of arrival days and can build several days at once.
INGEST_ASSETS = (dg.AssetKey("raw_events"), dg.AssetKey("billing_events"))
SCRUB_ASSETS = (dg.AssetKey("scrubbed_events"),)
DAY_BY_DAY_ASSETS = (*INGEST_ASSETS, *SCRUB_ASSETS)

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
    # why each failed step failed: the first line of its error (the full trace is in Dagster)
    failure_reasons: dict[str, str] = field(default_factory=dict)
    run_id: str = ""


@dataclass
class RunReport:
    outcomes: list[StepOutcome] = field(default_factory=list)

    @property
    def success(self) -> bool:
        return all(o.success for o in self.outcomes)


def prepare_environment(home: FlywheelPaths) -> None:
    """Point this process (and the Dagster instance) at ``home``; idempotent.

    Raises ``lake.StateNotWritable`` (saying why) when the home cannot be written: a read-only or
    full filesystem, or missing permissions, found before any stage starts.
    """
    with lake.storage_errors(home.home):
        ensure_layout(home)
        # the layout may already exist: prove that a file can be created, as every stage must
        with lake.scratch_file(home.tmp, ".probe") as probe:
            probe.write_bytes(b"")
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
    days_per_dbt_build: int = 1,
    refresh: bool = True,
) -> RunReport:
    """Run the daily job for each day in order, then (``refresh``) the job over all history.

    ``days_per_dbt_build`` > 1 catches up: ingest and scrubbing still run day by day, but dbt's
    daily models and the quality gates build up to that many consecutive days in one run over
    their range (one dbt invocation instead of one a day: its ~20 s fixed price, docs/benchmarks.md
    run O); the warehouse is the same as day by day (tests/scaling/test_parallel_partitions.py).
    Raises ``RunLockHeld`` when another run holds this home for longer than ``wait_seconds``.
    """
    from pipelines.definitions import DAILY_JOB, REFRESH_JOB, defs

    if days_per_dbt_build < 1:
        raise ValueError(f"days_per_dbt_build must be at least 1, got {days_per_dbt_build}")
    prepare_environment(home)
    report = RunReport()

    def record(outcome: StepOutcome) -> bool:
        report.outcomes.append(outcome)
        if on_progress:
            on_progress(outcome)
        return outcome.success or not stop_on_failure

    with exclusive_run(home.state / "run.lock", wait_seconds), open_instance(home.dagster_home) as instance:
        recover_after_crash(home, instance)
        if days_per_dbt_build == 1:
            for day in days:
                if not record(_execute(defs, DAILY_JOB, instance, partition=day)):
                    return report
        else:
            built_over_ranges = window_asset_keys(defs.resolve_job_def(DAILY_JOB))
            for group in consecutive_groups(days, days_per_dbt_build):
                for day in group:
                    if not record(_execute(defs, DAILY_JOB, instance, day, DAY_BY_DAY_ASSETS)):
                        return report
                if not record(_execute(defs, DAILY_JOB, instance, None, built_over_ranges,
                                       partition_range=(group[0], group[-1]))):
                    return report
        if refresh and defs.resolve_job_def(REFRESH_JOB).asset_layer.executable_asset_keys:
            record(_execute(defs, REFRESH_JOB, instance, partition=None))
    return report


def window_asset_keys(daily_job: dg.JobDefinition) -> list[dg.AssetKey]:
    """The daily job's assets other than ingest and scrubbing: those that can build a range of days."""
    return sorted(k for k in daily_job.asset_layer.executable_asset_keys if k not in DAY_BY_DAY_ASSETS)


def consecutive_groups(days: Sequence[str], size: int) -> Iterator[list[str]]:
    """``days`` (ISO dates) in order, cut into runs of consecutive days of at most ``size`` each: a
    range run builds every day between its ends, so a gap in the days starts a new group."""
    group: list[str] = []
    for day in sorted(set(days)):
        follows = bool(group) and date.fromisoformat(day) == date.fromisoformat(group[-1]) + timedelta(days=1)
        if group and (not follows or len(group) == size):
            yield group
            group = []
        group.append(day)
    if group:
        yield group


def recover_after_crash(home: FlywheelPaths, instance: dg.DagsterInstance) -> list[str]:
    """Clear what a killed run left behind; call holding the run lock, before any step.

    Its scratch entries (half-written days, dbt target folders, staged versions: their owner
    process is gone), DuckDB's spill files, the partial copies of a lake on another filesystem,
    and its Dagster runs still marked as started, which
    are marked failed with the reason (the UI would otherwise show them running forever). The
    data itself needs nothing: every stage replaces its outputs whole, so re-running redoes it.
    Returns the ids of the runs marked failed.
    """
    scratch_space.sweep_after_crash(home.tmp, (home.raw, home.lake))
    orphaned = []
    started = instance.get_run_records(dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED]))
    for record in started:
        run = record.dagster_run
        pid = run.tags.get(RUN_PID_TAG, "")
        if pid.isdigit() and int(pid) != os.getpid() and not scratch_space.pid_alive(int(pid)):
            instance.report_run_failed(
                run, message=f"the process running it (pid {pid}) ended without finishing it: it was killed. "
                "The next run on this home redid its steps.",
            )
            orphaned.append(run.run_id)
    return orphaned


def _execute(
    defs: dg.Definitions, job_name: str, instance: dg.DagsterInstance, partition: str | None,
    asset_selection: Sequence[dg.AssetKey] | None = None,
    partition_range: tuple[str, str] | None = None,
) -> StepOutcome:
    """One in-process run of ``job_name``: for ``partition``, for ``partition_range`` (first and
    last day, both included; ``partition`` None), or unpartitioned (both None)."""
    job = defs.resolve_job_def(job_name)
    tags = {RUN_PID_TAG: str(os.getpid())}
    if partition_range is not None:
        # the tags a single-run backfill sets: one run over the partition range
        tags |= {ASSET_PARTITION_RANGE_START_TAG: partition_range[0], ASSET_PARTITION_RANGE_END_TAG: partition_range[1]}
        partition = None
    started = time.perf_counter()
    result = job.execute_in_process(
        instance=instance,
        partition_key=partition,
        asset_selection=asset_selection,
        raise_on_error=False,
        tags=tags,
        # Step logs go to the Dagster instance (the UI); the terminal shows only what needs a person.
        run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}},
    )
    label = f"{partition_range[0]}..{partition_range[1]}" if partition_range else partition
    outcome = StepOutcome(job_name, label, result.success, time.perf_counter() - started, run_id=result.run_id)
    for event in result.all_events:
        if event.event_type == dg.DagsterEventType.ASSET_MATERIALIZATION:
            outcome.materialized.append(event.asset_key.to_user_string())
        elif event.event_type == dg.DagsterEventType.STEP_FAILURE:
            outcome.failed_steps.append(event.step_key or "?")
            outcome.failure_reasons[event.step_key or "?"] = failure_reason(event)
        elif event.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION:
            evaluation = event.event_specific_data
            if not evaluation.passed and evaluation.blocking:
                outcome.failed_checks.append(f"{evaluation.asset_key.to_user_string()}:{evaluation.check_name}")
    outcome.success = result.success and not outcome.failed_checks
    return outcome


def failure_reason(event: dg.DagsterEvent) -> str:
    """The innermost error's type and first line: what a person needs to act (a full disk, a
    read-only home, a failed dbt model); Dagster wraps user errors in its own."""
    error = getattr(event.event_specific_data, "error", None)
    while error is not None and error.cause is not None:
        error = error.cause
    if error is None:
        return "unknown error"
    message = (error.message or "").strip().splitlines()
    return message[0] if message else error.cls_name or "unknown error"


def days_in_range(start: str, end: str) -> list[str]:
    return lake.days_between(start, end)
