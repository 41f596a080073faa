"""The dbt project as Dagster sees it: keys, groups, lineage from scrubbing, checks, manifest, args."""

from __future__ import annotations

import json
import os
import shutil
import time
from datetime import datetime
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtProject

from pipelines.definitions import DAILY_JOB, REFRESH_JOB, defs
from pipelines.signals import assets, project
from pipelines.signals.bench import BenchResult, StageCost

SIGNAL_MARTS = ["fct_generations", "fct_sessions", "fct_model_quality_daily", "fct_model_quality",
                "dim_users", "dim_workspaces"]
HEALTH_MARTS = ["fct_events_daily", "fct_ingest_daily", "fct_quarantine_daily", "fct_pii_findings_daily"]


def test_groups_come_from_folders() -> None:
    assert assets.group_for(["flywheel", "staging", "lake", "base", "base_lake__events"], "model") == "staging"
    assert assets.group_for(["flywheel", "intermediate", "int_actions_attributed"], "model") == "intermediate"
    assert assets.group_for(["flywheel", "marts", "signals", "fct_generations"], "model") == "marts_signals"
    assert assets.group_for(["flywheel", "marts", "health", "fct_events_daily"], "model") == "marts_health"
    assert assets.group_for(["flywheel", "model_prices"], "seed") == "reference_data"


def test_every_daily_model_is_an_asset_downstream_of_scrubbing() -> None:
    graph = defs.resolve_asset_graph()
    scrubbed = dg.AssetKey("scrubbed_events")
    for key in assets.signals_dbt_daily.keys:
        name = key.to_user_string()
        if name.startswith(("stg_lake__subscription", "stg_lake__ingest", "stg_lake__quarantine",
                            "fct_ingest", "fct_quarantine", "stg_lake__pii", "fct_pii")):
            continue  # billing and ingest's own counters are not interaction events
        assert scrubbed in _ancestors(graph, key), f"{name} is not downstream of scrubbed_events"
    for name in [*SIGNAL_MARTS, *HEALTH_MARTS]:
        node = graph.get(dg.AssetKey(name))
        assert node.group_name in ("marts_signals", "marts_health")
        assert node.partitions_def is not None


def _ancestors(graph: dg.AssetGraph, key: dg.AssetKey) -> set[dg.AssetKey]:
    seen, todo = set(), [key]
    while todo:
        for parent in graph.get(todo.pop()).parent_keys:
            if parent not in seen:
                seen.add(parent)
                todo.append(parent)
    return seen


def test_lake_sources_map_to_the_assets_that_write_them() -> None:
    deps = {spec.key.to_user_string(): {d.asset_key.to_user_string() for d in spec.deps}
            for spec in assets.signals_dbt_daily.specs}
    assert deps["base_lake__events"] == {"scrubbed_events"}
    assert deps["stg_lake__subscription_events"] == {"billing_events"}
    assert deps["stg_lake__pii_findings"] == {"scrubbed_events"}


def test_dbt_tests_are_asset_checks_and_errors_block() -> None:
    checks = {(c.asset_key.to_user_string(), c.name): c for c in assets.signals_dbt_daily.check_specs}
    unique = checks[("fct_generations", "unique_fct_generations_generation_id")]
    assert unique.blocking
    assert ("fct_generations", "fct_generations_match_staging") in checks  # a reconciliation test


def test_jobs_run_the_daily_models_per_day_and_the_gates_before_the_export() -> None:
    daily = defs.resolve_job_def(DAILY_JOB).asset_layer.executable_asset_keys
    assert {dg.AssetKey(name) for name in [*SIGNAL_MARTS, *HEALTH_MARTS]} <= set(daily)
    refresh = defs.resolve_job_def(REFRESH_JOB)
    gate = dg.AssetCheckKey(dg.AssetKey("fct_generations"), "ge_acceptance_rate_plausible")
    assert gate in refresh.asset_layer.asset_graph.asset_check_keys


def test_run_window_covers_the_partition_days_inclusive() -> None:
    one_day = project.run_window(datetime(2026, 11, 2), datetime(2026, 11, 3))
    assert one_day == {"min_date": "2026-11-02", "max_date": "2026-11-02"}
    assert project.run_window(datetime(2026, 11, 2), datetime(2026, 11, 5))["max_date"] == "2026-11-04"
    args = project.daily_build_args(one_day)
    assert args[0] == "build" and json.loads(args[args.index("--vars") + 1]) == one_day
    assert "unit_test" in args


def test_manifest_is_parsed_when_missing_or_older_than_a_file(tmp_path: Path) -> None:
    copy = tmp_path / "dbt"
    shutil.copytree(project.DBT_PROFILES_DIR, copy, ignore=shutil.ignore_patterns("target", "logs", ".user.yml"))
    fresh = DbtProject(project_dir=copy, profiles_dir=copy)
    assert project.manifest_is_stale(fresh.manifest_path, copy)
    manifest = project.prepare_manifest(fresh)
    assert manifest.exists() and not project.manifest_is_stale(manifest, copy)
    assert "model.flywheel.fct_generations" in json.loads(manifest.read_text())["nodes"]
    later = time.time() + 5
    os.utime(copy / "models" / "marts" / "signals" / "fct_generations.sql", (later, later))
    assert project.manifest_is_stale(manifest, copy)


def test_bench_ratio_uses_medians() -> None:
    result = BenchResult("2026-10-31", 100_000, 30, 100_000,
                         alone=[StageCost(10.0, 900, True, 8.0), StageCost(12.0, 900, True, 9.0),
                                StageCost(11.0, 900, True, 10.0)],
                         history=[StageCost(12.0, 1000, True, 9.0), StageCost(13.0, 1000, True, 9.5),
                                  StageCost(12.5, 1000, True, 11.0)])
    assert result.alone_seconds == 11.0 and result.history_seconds == 12.5
    assert abs(result.ratio - 12.5 / 11.0) < 1e-9
    assert abs(result.cpu_ratio - 9.5 / 9.0) < 1e-9
    assert "ratio history / alone: 1.14 wall time (target <= 1.2), 1.06 CPU time" in result.report()
