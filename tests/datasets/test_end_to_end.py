"""The whole pipeline on simulated days: a version is published, with no injected secret or
personal value in any of its files and nothing from users without consent."""

from __future__ import annotations

import csv
import gzip
from datetime import date
from pathlib import Path

import duckdb
import orjson
import pytest

from pipelines import runner, settings
from pipelines.datasets import ids, registry
from pipelines.datasets.config import KINDS, SPLITS
from pipelines.datasets.formats import parquet_path
from tests.datasets.conftest import make_home
from tests.datasets.helpers import TEST_KEY

pytestmark = [pytest.mark.xdist_group("datasets"), pytest.mark.slow]


@pytest.fixture(scope="session")
def pipeline_home(tmp_path_factory: pytest.TempPathFactory) -> settings.FlywheelPaths:
    import os

    from pipelines.simulator import SimulationConfig
    from pipelines.simulator import generate as simulate

    os.environ[settings.PSEUDONYM_KEY_ENV] = TEST_KEY
    paths = make_home(tmp_path_factory.mktemp("e2e") / "home")
    simulate(paths, SimulationConfig(seed=3, start=date(2026, 11, 2), days=1, interactions_per_day=700,
                                     huge_line_bytes=1_100_000))
    report = runner.run_days(paths, runner.landed_days(paths))
    failures = [(o.job, o.partition, o.failed_steps, o.failed_checks) for o in report.outcomes if not o.success]
    assert report.success, failures
    return paths


def _all_contents(version_dir: Path) -> set[str]:
    contents: set[str] = set()
    with duckdb.connect() as con:
        for kind in KINDS:
            columns = ["prompt", "completion"] if kind != "preference" else ["prompt", "chosen", "rejected"]
            for split in SPLITS:
                for column in columns:
                    contents.update(r[0] for r in con.execute(
                        f"SELECT DISTINCT unnest({column}).content FROM read_parquet(?)",
                        [str(version_dir / parquet_path(kind, split))]).fetchall())
    return contents


def test_the_pipeline_publishes_a_version_whose_gates_all_passed(pipeline_home) -> None:
    (ref,) = registry.list_versions(pipeline_home)
    manifest = ref.manifest()
    assert all(g["passed"] for g in manifest["gates"])
    assert manifest["privacy"]["scrubbing_policy_version"]
    assert sum(manifest["counts"]["kept"]["sft"].values()) > 0


def test_no_injected_value_reaches_the_training_set(pipeline_home) -> None:
    (ref,) = registry.list_versions(pipeline_home)
    with gzip.open(pipeline_home.ground_truth / "injected.jsonl.gz") as handle:
        injected = {orjson.loads(line)["value"] for line in handle}
    assert injected
    text = "\n".join(_all_contents(ref.path))
    leaked = sorted(v for v in injected if len(v) >= 6 and v in text)
    assert not leaked, f"{len(leaked)} injected values found in the version"


def test_no_example_from_a_user_without_consent(pipeline_home) -> None:
    (ref,) = registry.list_versions(pipeline_home)
    with (pipeline_home.ground_truth / "consent.csv").open() as handle:
        excluded = {r["user_id"] for r in csv.DictReader(handle) if r["never_consented"] == "true" or r["revoked_at"]}
    with duckdb.connect(str(pipeline_home.warehouse), read_only=True) as con:
        generation_ids = [r[0] for r in con.execute(
            "SELECT generation_id FROM fct_generations WHERE list_contains(?, user_id)", [sorted(excluded)]).fetchall()]
    refs = {ids.keyed_id(TEST_KEY.encode(), "generation", g) for g in generation_ids}
    with duckdb.connect() as con:
        for kind in KINDS:
            columns = "chosen_generation_ref, rejected_generation_ref" if kind == "preference" else "generation_ref"
            for split in SPLITS:
                for row in con.execute(f"SELECT {columns} FROM read_parquet(?)",
                                       [str(ref.path / parquet_path(kind, split))]).fetchall():
                    assert not refs & set(row)
