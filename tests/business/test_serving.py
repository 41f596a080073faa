"""The serving snapshot: a faithful copy, swapped atomically, registered as a Dagster asset."""

from __future__ import annotations

import json
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from pipelines.definitions import HISTORY_ASSETS, REFRESH_JOB, defs
from pipelines.resources import FlywheelHome
from pipelines.serving import launch
from pipelines.serving.assets import ALL_MARTS_CHECK, serving_snapshot
from pipelines.serving.snapshot import (
    SERVED_TABLES,
    UPSTREAM_MODELS,
    build_snapshot,
    dataset_version_rows,
)
from tests.business.pipeline import BusinessHome

pytestmark = pytest.mark.xdist_group("business")


def test_the_snapshot_holds_every_served_table_as_in_the_warehouse(business_home: BusinessHome) -> None:
    assert not business_home.snapshot.missing
    with business_home.warehouse() as warehouse, business_home.serving() as serving:
        for target, source in SERVED_TABLES:
            ours = serving.execute(f"select count(*), hash(list(t order by all)) from {target} as t").fetchone()
            theirs = warehouse.execute(f"select count(*), hash(list(t order by all)) from {source} as t").fetchone()
            assert ours == theirs, target


def test_a_reader_of_the_old_snapshot_keeps_working_across_a_swap(business_home: BusinessHome, tmp_path: Path) -> None:
    target = tmp_path / "serving" / "marts.duckdb"
    build_snapshot(business_home.paths.warehouse, target, tmp_path / "tmp")
    old = duckdb.connect(str(target), read_only=True)
    before = old.execute("select built_at from snapshot_info").fetchone()[0]
    build_snapshot(business_home.paths.warehouse, target, tmp_path / "tmp")
    assert old.execute("select count(*) from fct_mrr").fetchone()[0] > 0
    assert old.execute("select built_at from snapshot_info").fetchone()[0] == before
    old.close()
    with duckdb.connect(str(target), read_only=True) as new:
        assert new.execute("select built_at from snapshot_info").fetchone()[0] > before
    assert not list((tmp_path / "tmp").iterdir()), "the scratch file must be gone after the swap"


def test_without_a_warehouse_the_snapshot_lists_everything_missing(tmp_path: Path) -> None:
    stats = build_snapshot(tmp_path / "none.duckdb", tmp_path / "marts.duckdb", tmp_path / "tmp")
    assert stats.rows == {} and set(stats.missing) == set(UPSTREAM_MODELS)
    with duckdb.connect(str(tmp_path / "marts.duckdb"), read_only=True) as con:
        assert con.execute("select count(*) from snapshot_tables where status <> 'copied'").fetchone()[0] == len(
            UPSTREAM_MODELS)


def test_dataset_versions_are_read_from_their_manifests(tmp_path: Path) -> None:
    version = tmp_path / "sft_accepted" / "v20261108-ab12"
    version.mkdir(parents=True)
    (version / "train.parquet").write_bytes(b"x" * 1000)
    (version / "manifest.json").write_text(json.dumps(
        {"created_at": "2026-11-08T10:00:00Z", "format": "openai-chat-sft",
         "splits": {"train": {"examples": 90}, "validation": {"examples": 10}}}))
    (tmp_path / "broken" / "v1").mkdir(parents=True)
    (tmp_path / "broken" / "v1" / "manifest.json").write_text("{not json")
    rows = {r["dataset"]: r for r in dataset_version_rows(tmp_path)}
    assert rows["sft_accepted"]["examples"] == 100
    assert rows["sft_accepted"]["format"] == "openai-chat-sft"
    assert rows["sft_accepted"]["bytes"] > 1000
    assert rows["broken"]["examples"] is None


def test_the_serving_asset_builds_the_snapshot_in_dagster(business_home: BusinessHome) -> None:
    result = dg.materialize(
        [serving_snapshot], resources={"flywheel": FlywheelHome(home=str(business_home.paths.home))},
        raise_on_error=False,
    )
    assert result.success
    checks = result.get_asset_check_evaluations()
    assert [(c.check_name, c.passed) for c in checks] == [(ALL_MARTS_CHECK, True)]
    metadata = result.asset_materializations_for_node("serving_snapshot")[0].metadata
    assert metadata["tables"].value == len(SERVED_TABLES)


def test_the_serving_asset_runs_after_every_mart_in_the_history_job() -> None:
    graph = defs.resolve_asset_graph()
    node = graph.get(serving_snapshot.key)
    assert node.group_name == "serving"
    assert serving_snapshot in HISTORY_ASSETS
    assert {dg.AssetKey(name) for name in UPSTREAM_MODELS} <= set(node.parent_keys)
    job_keys = defs.resolve_job_def(REFRESH_JOB).asset_layer.executable_asset_keys
    assert serving_snapshot.key in job_keys


def test_every_business_mart_is_a_dagster_asset_of_the_history_job() -> None:
    graph = defs.resolve_asset_graph()
    job_keys = defs.resolve_job_def(REFRESH_JOB).asset_layer.executable_asset_keys
    business = [p.stem for p in (Path(__file__).parents[2] / "dbt/models/marts/business").glob("*.sql")]
    missing = [name for name in business
               if not (graph.has(dg.AssetKey(name)) and graph.get(dg.AssetKey(name)).is_materializable)]
    assert not missing, f"not Dagster assets (the dagster-dbt wiring must include marts/business): {missing}"
    assert all(dg.AssetKey(name) in job_keys for name in business)


def test_the_launch_command_binds_locally_without_prompts() -> None:
    command = launch.streamlit_command(port=8765)
    joined = " ".join(command)
    assert command[1:4] == ["-m", "streamlit", "run"] and command[4].endswith("dashboards/app.py")
    for flag in ("--server.address 127.0.0.1", "--server.port 8765", "--server.headless true",
                 "--browser.gatherUsageStats false"):
        assert flag in joined
