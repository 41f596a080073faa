"""The whole Dagster code location loads, with the assets, groups, checks and triggers we expect."""

from __future__ import annotations

import subprocess
import sys

import dagster as dg

from pipelines import settings
from pipelines.definitions import DAILY_JOB, defs
from pipelines.resources import FlywheelHome


def test_definitions_load_with_expected_assets() -> None:
    graph = defs.resolve_asset_graph()
    keys = {k.to_user_string() for k in graph.get_all_asset_keys()}
    assert {"raw_events", "billing_events"} <= keys
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        if node.is_materializable:
            assert node.group_name != "default", f"{key} has no group"


def test_ingest_assets_carry_a_blocking_reconciliation_check() -> None:
    checks = {
        (c.asset_key.to_user_string(), c.name): c
        for c in defs.resolve_asset_graph().asset_check_keys
        for c in [defs.resolve_asset_graph().get_check_spec(c)]
    }
    for asset in ("raw_events", "billing_events"):
        assert checks[(asset, "lines_reconcile")].blocking


def test_ingest_of_a_day_depends_on_the_same_asset_the_day_before() -> None:
    """Ingest drops copies of ids loaded the previous days, so a backfill must ingest in day order:
    the graph says so, and the first day of the partitions needs nothing before it."""
    graph = defs.resolve_asset_graph()
    for name in ("raw_events", "billing_events"):
        key = dg.AssetKey(name)
        assert key in graph.get(key).parent_keys
        mapping, days = graph.get_partition_mapping(key, key), graph.get(key).partitions_def

        def upstream(day: str, mapping=mapping, days=days) -> list[str]:
            wanted = days.subset_with_partition_keys([day])
            return sorted(mapping.get_upstream_mapped_partitions_result_for_partitions(wanted, days, days)
                          .partitions_subset.get_partition_keys())

        assert upstream("2026-11-03") == ["2026-11-02"]
        assert upstream("2026-03-01") == ["2026-02-28"]
        assert upstream(days.get_first_partition_key()) == []


def test_daily_job_schedule_and_sensor_exist() -> None:
    assert defs.resolve_job_def(DAILY_JOB).partitions_def is not None
    assert defs.resolve_schedule_def("daily_schedule").job_name == DAILY_JOB
    assert defs.resolve_sensor_def("landing_sensor") is not None


def test_dagster_definitions_validate_passes_for_the_workspace(tmp_path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "dagster", "definitions", "validate", "-w", "workspace.yaml"],
        cwd=settings.PROJECT_ROOT,
        env={"PATH": "/usr/bin:/bin", "FLYWHEEL_HOME": str(tmp_path), "DAGSTER_HOME": str(tmp_path),
             "DAGSTER_DISABLE_TELEMETRY": "1", "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "All code locations passed validation" in result.stderr + result.stdout


def test_landing_sensor_requests_changed_days(home) -> None:
    from pipelines.ingest.triggers import landing_sensor

    folder = home.landing_day("events", "2026-11-02")
    folder.mkdir(parents=True)
    (folder / "a.jsonl").write_text("{}\n")
    with dg.build_sensor_context(resources={"flywheel": FlywheelHome(home=str(home.home))}) as ctx:
        first = landing_sensor(ctx)
        assert [r.partition_key for r in first.run_requests] == ["2026-11-02"]
        ctx.update_cursor(first.cursor)
        assert landing_sensor(ctx).run_requests == []
