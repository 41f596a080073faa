"""One simulated platform run through ingest, dbt and the serving snapshot, shared by the business and
dashboard tests (session-scoped: it is the expensive part).

The pipeline is driven stage by stage in this process instead of through Dagster's daily job: the
tests here check the marts and the dashboards, and ingest, scrubbing and the Dagster wiring have
their own tests. ``lake/events`` is filled with the signals stage's stand-in for scrubbing.
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path

import duckdb
from filelock import FileLock

from pipelines import settings
from pipelines.bench.lake_stand_in import copy_raw_events_to_lake
from pipelines.ingest.load import ingest_day
from pipelines.serving.snapshot import SnapshotStats, build_for_home
from pipelines.signals.project import DBT_PROFILES_DIR, dbt_executable
from pipelines.simulator import SimulationConfig, generate

# Small enough to build in seconds, large enough that every model, plan and intent has rows.
TEST_CONFIG = SimulationConfig(seed=11, days=7, interactions_per_day=600, workspaces=120)
BUSINESS_SELECTION = ["path:models/marts/business", "plans", "model_roles", "routing_scenario"]


@dataclass(frozen=True)
class BusinessHome:
    paths: settings.FlywheelPaths
    config: SimulationConfig
    snapshot: SnapshotStats

    @property
    def target_path(self) -> Path:
        return self.paths.home / "dbt-target"

    def warehouse(self) -> duckdb.DuckDBPyConnection:
        return duckdb.connect(str(self.paths.warehouse), read_only=True)

    def serving(self) -> duckdb.DuckDBPyConnection:
        return duckdb.connect(str(self.paths.serving_db), read_only=True)


def dbt(home: settings.FlywheelPaths, *args: str, target_path: Path) -> subprocess.CompletedProcess[str]:
    """Run dbt on the project for ``home``, with its own target folder (dbt/target is shared)."""
    env = dict(os.environ, FLYWHEEL_HOME=str(home.home), DBT_SEND_ANONYMOUS_USAGE_STATS="false")
    return subprocess.run(
        [dbt_executable(), *args, "--project-dir", str(settings.DBT_PROJECT_DIR),
         "--profiles-dir", str(DBT_PROFILES_DIR), "--target-path", str(target_path),
         "--log-path", str(target_path / "logs")],
        env=env, capture_output=True, text=True, timeout=600, check=False,
    )


def run_results(target_path: Path) -> dict[str, str]:
    """unique_id -> status of the last dbt invocation that used ``target_path``."""
    results = json.loads((target_path / "run_results.json").read_text())
    return {r["unique_id"]: r["status"] for r in results["results"]}


BUILD_LOCK_TIMEOUT_S = 900
_BUILT: dict[str, BusinessHome] = {}


def shared_business_home(tmp_path_factory) -> BusinessHome:
    """One home for the whole test run, whichever worker asks first builds it.

    pytest-xdist's ``--dist loadgroup`` should keep the "business" group on one worker, but with
    pytest 9.2 and xdist 3.8 the group suffix it writes to ``item._nodeid`` is ignored (pytest now
    derives node ids from ``item._id``), so the tests can land on both workers. The build therefore
    goes under the run's shared temp root, behind a file lock; a second worker reuses it. In one
    process, tests/dashboards re-exports the session fixture from another conftest (a second
    fixture for pytest): the in-process cache keeps that to one build too.
    """
    if "home" in _BUILT:
        return _BUILT["home"]
    basetemp = tmp_path_factory.getbasetemp()
    # under xdist each worker has <run>/popen-gwN: the run's folder is shared by the workers
    shared_root = basetemp.parent if os.environ.get("PYTEST_XDIST_WORKER") else basetemp
    home = shared_root / "business-home"
    marker = home / "business-home.json"
    with FileLock(str(shared_root / "business-home.lock"), timeout=BUILD_LOCK_TIMEOUT_S):
        if marker.exists():
            built = BusinessHome(settings.paths(home), TEST_CONFIG, SnapshotStats(**_stats(marker)))
        else:
            built = build_business_home(home)
            marker.write_text(json.dumps({**asdict(built.snapshot), "path": str(built.snapshot.path)}))
    _BUILT["home"] = built
    return built


def _stats(marker: Path) -> dict:
    stats = json.loads(marker.read_text())
    return {**stats, "path": Path(stats["path"])}


def shared_dbt_test_results(home: BusinessHome) -> dict[str, str]:
    """Every dbt test of the business marts and seeds, run once per test run (file lock as above)."""
    target = home.paths.home / "dbt-test-target"
    with FileLock(str(home.paths.home / "dbt-test.lock"), timeout=BUILD_LOCK_TIMEOUT_S):
        if not (target / "run_results.json").exists():
            result = dbt(home.paths, "test", "--select", *BUSINESS_SELECTION, target_path=target)
            if not (target / "run_results.json").exists():
                raise RuntimeError(f"dbt test did not run:\n{result.stdout[-3000:]}")
        return run_results(target)


def build_business_home(root: Path, config: SimulationConfig = TEST_CONFIG) -> BusinessHome:
    """Simulate, ingest every day, build every model and seed, then the serving snapshot."""
    paths = settings.paths(root)
    settings.ensure_layout(paths)
    generate(paths, config)
    days = [day.isoformat() for day in config.day_dates]
    for day in days:
        for source in ("events", "billing"):
            ingest_day(paths, source, day)
        copy_raw_events_to_lake(paths, day)
    target = paths.home / "dbt-target"
    built = dbt(paths, "build", "--resource-type", "seed", "--resource-type", "model", target_path=target)
    if built.returncode != 0:
        raise RuntimeError(f"dbt build failed for the test home:\n{built.stdout[-4000:]}")
    return BusinessHome(paths, config, build_for_home(paths))
