"""The signals tests share two simulated homes, each run day by day through Dagster (expensive)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from pipelines import settings
from pipelines.signals.project import DAILY_SELECTION
from pipelines.simulator import SimulationConfig
from tests.signals import pipeline

# About 10,600 generations: the 24 model x intent cells with 30 or more (the in-house and frontier
# models; the rare unpriced one is too small to say anything) have 95% Wilson intervals 4 to 20
# points wide; two days simulate, ingest, scrub and run in about a minute. Two days are enough
# for the re-run test: re-running day 1 happens with day 2 (its late files) already loaded.
TRUTH_CONFIG = SimulationConfig(seed=23, start=date(2026, 11, 2), days=2, interactions_per_day=5000)
ORDER_CONFIG = SimulationConfig(seed=5, start=date(2026, 11, 2), days=2, interactions_per_day=1500)


@dataclass(frozen=True)
class SignalsHome:
    paths: settings.FlywheelPaths
    days: list[str]
    in_order: Path  # warehouse after the days ran in order
    rerun: Path  # ... and the first day run again

    @property
    def truth(self) -> dict:
        return json.loads((self.paths.ground_truth / "truth.json").read_text())


@pytest.fixture(scope="session")
def signals_home(tmp_path_factory: pytest.TempPathFactory) -> SignalsHome:
    """Simulated days run in order, snapshotted, then the first day re-run and snapshotted again."""
    paths = pipeline.new_home(tmp_path_factory.mktemp("signals") / "flywheel")
    days = pipeline.simulate(paths, TRUTH_CONFIG)
    pipeline.run_days(paths, days)
    in_order = pipeline.snapshot(paths, "in-order")
    pipeline.run_days(paths, [days[0]])
    rerun = pipeline.snapshot(paths, "rerun-first-day")
    return SignalsHome(paths, days, in_order, rerun)


@dataclass(frozen=True)
class ShuffledHome:
    paths: settings.FlywheelPaths
    days: list[str]
    shuffled: Path  # warehouse after the days landed and ran last day first
    full: Path  # the same lake built in one full-refresh dbt run
    full_build_results: Path  # run_results.json of that run (the dbt unit tests ran in it too)


@pytest.fixture(scope="session")
def shuffled_home(tmp_path_factory: pytest.TempPathFactory) -> ShuffledHome:
    """Days landing and running last day first, then one full rebuild of the same lake.

    The second day's late files name generations of the first day, which is not there yet when
    they are processed: the first day's run must attribute them anyway.
    """
    paths = pipeline.new_home(tmp_path_factory.mktemp("signals-shuffled") / "flywheel")
    days = pipeline.simulate(paths, ORDER_CONFIG)
    pipeline.run_days(paths, list(reversed(days)))
    shuffled = pipeline.snapshot(paths, "shuffled")
    # unit tests included: every relation they read exists by now, and a dbt start costs seconds
    results = pipeline.dbt(paths, "build", "--full-refresh", "--select", DAILY_SELECTION)
    full = pipeline.snapshot(paths, "full-refresh")
    return ShuffledHome(paths, days, shuffled, full, results)
