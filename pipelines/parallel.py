"""Run many arrival days at once: ingest in day order, scrubbing concurrently, dbt one at a time.

What each step of the daily job may share with another day decides how days can overlap:

- ingest (``raw_events``, ``billing_events``) writes only its day's files, but deduplicates against
  the ids of the previous ``dedup_window_days`` days: day D must see D-1 loaded, so ingest runs
  in day order. It is the cheap step (tens of thousands of lines a second).
- scrubbing (``scrubbed_events``) reads the raw zone's day and writes the lake's day and nothing
  else: days are independent, and it is the expensive step (Presidio and spaCy). Days are scrubbed
  as concurrent Dagster runs, one process each, ``max_concurrent_runs`` at a time.
- dbt (``signals_dbt_daily``) writes warehouse.duckdb, which DuckDB lets one process open at a
  time: its runs are serialized, in day order as soon as the day's scrubbing is done (so dbt of
  day D overlaps the scrubbing of later days). The dbt assets are also in the ``warehouse``
  concurrency pool, which is how a Dagster deployment serializes them (docs/scaling.md).

Every run is recorded in the home's Dagster instance like ``flywheel run``'s; the result is the
same lake and warehouse as running the days one after another (tests/scaling).
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor

import dagster as dg

from pipelines import runner
from pipelines.dagster_instance import open_instance
from pipelines.locks import exclusive_run
from pipelines.settings import FlywheelPaths, export_environment, paths

INGEST_ASSETS, SCRUB_ASSETS = runner.INGEST_ASSETS, runner.SCRUB_ASSETS


def dbt_daily_assets() -> tuple[dg.AssetKey, ...]:
    from pipelines.signals.assets import signals_dbt_daily

    return tuple(signals_dbt_daily.keys)


def run_days_concurrently(
    home: FlywheelPaths,
    days: Sequence[str],
    *,
    max_concurrent_runs: int = 2,
    refresh: bool = True,
    on_progress: Callable[[runner.StepOutcome], None] | None = None,
    wait_seconds: float = 0.0,
) -> runner.RunReport:
    """The daily job's steps for ``days`` with days overlapping, then (``refresh``) the history job.

    Stops at the first failed step, like ``runner.run_days``: nothing downstream of a failed or
    leaking day runs.
    """
    from pipelines.definitions import DAILY_JOB, REFRESH_JOB, defs

    if max_concurrent_runs < 1:
        raise ValueError(f"max_concurrent_runs must be at least 1, got {max_concurrent_runs}")
    runner.prepare_environment(home)
    export_environment(home)
    report = runner.RunReport()

    def record(outcome: runner.StepOutcome) -> bool:
        report.outcomes.append(outcome)
        if on_progress:
            on_progress(outcome)
        return outcome.success

    ordered = sorted(days)
    with exclusive_run(home.state / "run.lock", wait_seconds), open_instance(home.dagster_home) as instance:
        runner.recover_after_crash(home, instance)
        for day in ordered:
            if not record(runner._execute(defs, DAILY_JOB, instance, day, INGEST_ASSETS)):
                return report

        # spawn, not fork: a forked child would inherit this process's Dagster and DuckDB state
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_concurrent_runs, mp_context=context) as pool:
            scrubs: dict[str, Future[runner.StepOutcome]] = {
                day: pool.submit(_scrub_day_run, str(home.home), home.lake_uri, day) for day in ordered
            }
            for day in ordered:
                if not record(scrubs[day].result()):
                    for pending in scrubs.values():
                        pending.cancel()
                    return report
                if not record(runner._execute(defs, DAILY_JOB, instance, day, dbt_daily_assets())):
                    for pending in scrubs.values():
                        pending.cancel()
                    return report

        if refresh and defs.resolve_job_def(REFRESH_JOB).asset_layer.executable_asset_keys:
            record(runner._execute(defs, REFRESH_JOB, instance, None))
    return report


def _scrub_day_run(home: str, lake_uri: str, day: str) -> runner.StepOutcome:
    """One Dagster run of ``scrubbed_events`` for ``day``, in a worker process."""
    from pipelines.definitions import DAILY_JOB, defs

    resolved = paths(home, lake_uri or None)
    runner.prepare_environment(resolved)
    export_environment(resolved)
    os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "1")
    with open_instance(resolved.dagster_home) as instance:
        return runner._execute(defs, DAILY_JOB, instance, day, SCRUB_ASSETS)
