"""Fixtures for the scaling tests: a local S3 server (moto, loopback only) and a small simulated
platform whose landing zone several homes share byte for byte."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import pyarrow.fs as pafs
import pytest

from pipelines import lake, objectstore, settings
from pipelines.objectstore import ObjectPath

# The pseudonym key as in tests/datasets: the same key gives the same scrubbed bytes in every home.
TEST_KEY = "scaling-tests-pseudonym-key"
SIM_START = date(2026, 11, 2)


@dataclass(frozen=True)
class S3Server:
    endpoint: str
    key_id: str = "flywheel-test-key"
    secret: str = "flywheel-test-secret"

    def env(self, lake_uri: str) -> dict[str, str]:
        return {
            objectstore.LAKE_URI_ENV: lake_uri,
            objectstore.ENDPOINT_ENV: self.endpoint,
            objectstore.REGION_ENV: "us-east-1",
            objectstore.URL_STYLE_ENV: "path",
            objectstore.ACCESS_KEY_ID_ENV: self.key_id,
            objectstore.SECRET_ACCESS_KEY_ENV: self.secret,
        }

    def create_bucket(self, name: str) -> None:
        host = self.endpoint.split("://", 1)[1]
        fs = pafs.S3FileSystem(access_key=self.key_id, secret_key=self.secret, region="us-east-1",
                               endpoint_override=host, scheme="http", allow_bucket_creation=True)
        fs.create_dir(name)


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    """moto's S3 in server mode on 127.0.0.1 (a free port), for the whole session."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield S3Server(f"http://{host}:{port}")
    finally:
        server.stop()


@pytest.fixture(scope="session")
def pseudonym_key() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as env:
        env.setenv(settings.PSEUDONYM_KEY_ENV, TEST_KEY)
        yield


def simulate_landing(root: Path, days: int, interactions_per_day: int) -> settings.FlywheelPaths:
    """A home holding only a simulated landing zone (and its ground truth)."""
    from pipelines.simulator import SimulationConfig
    from pipelines.simulator import generate as simulate

    paths = settings.FlywheelPaths(root.resolve())
    settings.ensure_layout(paths)
    simulate(paths, SimulationConfig(seed=11, start=SIM_START, days=days,
                                     interactions_per_day=interactions_per_day, workspaces=30,
                                     billing_history_months=3, huge_line_bytes=1_100_000))
    return paths


def home_with_landing(source: settings.FlywheelPaths, root: Path, lake_uri: str = "") -> settings.FlywheelPaths:
    """A fresh home with a copy of ``source``'s landing zone and ground truth."""
    paths = settings.FlywheelPaths(root.resolve(), lake_uri, objectstore.ObjectStore.from_env() if lake_uri else objectstore.ObjectStore())
    settings.ensure_layout(paths)
    shutil.copytree(source.landing, paths.landing, dirs_exist_ok=True)
    shutil.copytree(source.ground_truth, paths.ground_truth, dirs_exist_ok=True)
    return paths


# --- comparing two homes ----------------------------------------------------------------------


def warehouse_tables(warehouse: Path) -> dict[str, list[tuple]]:
    """Every base table of the warehouse, rows sorted (views over the lake are not copied data)."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        names = [r[0] for r in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main' ORDER BY 1").fetchall()]
        return {name: sorted(con.execute(f'SELECT * FROM "{name}"').fetchall(), key=repr) for name in names}


def lake_files(paths: settings.FlywheelPaths) -> dict[str, list[tuple]]:
    """Every Parquet file of the lake by its path under the lake root, with its rows in file order."""
    root = paths.lake
    if isinstance(root, ObjectPath):
        files = {str(f.relative_to(root)): f for f in root.files() if f.name.endswith(".parquet")}
    else:
        files = {str(f.relative_to(root)): f for f in root.rglob("*.parquet")}
    return {
        name: [tuple(row.values()) for row in lake.parquet_file(path).read().to_pylist()]
        for name, path in sorted(files.items())
    }


# --- running the pipeline without the training set (too few examples on a tiny day) ------------


def history_dbt_assets() -> list:
    from pipelines.signals.assets import HISTORY_DBT_ASSETS

    return [key for assets in HISTORY_DBT_ASSETS for key in assets.keys]


def run_sequentially(home: settings.FlywheelPaths, days: list[str]) -> list:
    """The daily job day after day, then the history dbt models: ``flywheel run`` without the
    training set and the serving snapshot (which need more data than a test day has)."""
    import dagster as dg

    from pipelines import runner
    from pipelines.definitions import DAILY_JOB, defs

    runner.prepare_environment(home)
    settings.export_environment(home)
    outcomes = []
    with dg.DagsterInstance.get() as instance:
        for day in days:
            outcomes.append(runner._execute(defs, DAILY_JOB, instance, day))
        outcomes.append(run_history_dbt(home, instance))
    return outcomes


def run_history_dbt(home: settings.FlywheelPaths, instance=None):
    import dagster as dg

    from pipelines import runner
    from pipelines.definitions import REFRESH_JOB, defs

    runner.prepare_environment(home)
    settings.export_environment(home)
    if instance is not None:
        return runner._execute(defs, REFRESH_JOB, instance, None, history_dbt_assets())
    with dg.DagsterInstance.get() as own:
        return runner._execute(defs, REFRESH_JOB, own, None, history_dbt_assets())


def failures(outcomes: list) -> list:
    return [(o.job, o.partition, o.failed_steps, o.failed_checks) for o in outcomes if not o.success]
