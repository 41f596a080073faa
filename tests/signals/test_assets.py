"""The dbt project as Dagster sees it: keys, groups, lineage from scrubbing, checks, manifest, args."""

from __future__ import annotations

import inspect
import json
import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import dagster as dg
import pytest
from dagster_dbt import DbtCliResource, DbtProject

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


def test_run_window_covers_the_partition_days_inclusive_and_reaches_dbt_in_the_environment() -> None:
    one_day = project.run_window(datetime(2026, 11, 2), datetime(2026, 11, 3))
    assert one_day == {"min_date": "2026-11-02", "max_date": "2026-11-02"}
    assert project.run_window(datetime(2026, 11, 2), datetime(2026, 11, 5))["max_date"] == "2026-11-04"
    assert project.window_environment(one_day) == {
        "FLYWHEEL_DBT_MIN_DATE": "2026-11-02", "FLYWHEEL_DBT_MAX_DATE": "2026-11-02"}
    assert project.window_environment(None) == {"FLYWHEEL_DBT_MIN_DATE": None, "FLYWHEEL_DBT_MAX_DATE": None}
    args = project.build_args()
    assert args[0] == "build" and "--vars" not in args and "unit_test" in args
    assert args[args.index("--log-level-file") + 1] == "info"  # not every query's text (debug)
    assert "--no-write-json" in args  # no artifacts that a successful run deletes unread


def test_a_window_is_in_the_environment_only_while_dbt_starts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLYWHEEL_DBT_MIN_DATE", "2026-01-01")
    monkeypatch.delenv("FLYWHEEL_DBT_MAX_DATE", raising=False)
    with project.window_in_environment({"min_date": "2026-11-02", "max_date": "2026-11-03"}):
        assert (os.environ["FLYWHEEL_DBT_MIN_DATE"], os.environ["FLYWHEEL_DBT_MAX_DATE"]) == ("2026-11-02", "2026-11-03")
    assert os.environ["FLYWHEEL_DBT_MIN_DATE"] == "2026-01-01" and "FLYWHEEL_DBT_MAX_DATE" not in os.environ
    with project.window_in_environment(None):  # a history run: no window, whatever came before
        assert "FLYWHEEL_DBT_MIN_DATE" not in os.environ and "FLYWHEEL_DBT_MAX_DATE" not in os.environ
    assert os.environ["FLYWHEEL_DBT_MIN_DATE"] == "2026-01-01"


def test_parse_state_is_kept_from_a_run_and_given_to_the_next(tmp_path: Path) -> None:
    saved = project.parse_state_file(tmp_path / "state")
    assert saved.is_relative_to(tmp_path / "state")
    first, second = tmp_path / "run-1", tmp_path / "run-2"
    project.restore_partial_parse(saved, first)  # nothing kept yet: dbt parses everything
    assert not (first / project.PARTIAL_PARSE_FILE).exists()
    first.mkdir()
    project.keep_partial_parse(first, saved)  # a run that wrote no state leaves none
    assert not saved.exists()
    (first / project.PARTIAL_PARSE_FILE).write_bytes(b"state of run 1")
    project.keep_partial_parse(first, saved)
    project.restore_partial_parse(saved, second)
    assert (second / project.PARTIAL_PARSE_FILE).read_bytes() == b"state of run 1"
    assert [p.name for p in saved.parent.iterdir()] == [project.PARTIAL_PARSE_FILE]


def _dbt(command: list[str], target: Path, home: Path, window_env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """dbt ``command`` on the project into ``target`` for ``home``, with exactly ``window_env`` as
    the window's environment (none of this process's)."""
    env = {k: v for k, v in os.environ.items() if k not in project.WINDOW_ENV.values()}
    env.update({**window_env, "FLYWHEEL_HOME": str(home), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"})
    return subprocess.run([project.dbt_executable(), *command, "--profiles-dir", str(project.DBT_PROFILES_DIR),
                           "--target-path", str(target), "--log-path", str(target)],
                          cwd=project.DBT_PROFILES_DIR, env=env, capture_output=True, text=True, check=False)


def _window_env(window: tuple[str, str] | None) -> dict[str, str]:
    ends = window and {"min_date": window[0], "max_date": window[1]}
    return {k: v for k, v in project.window_environment(ends).items() if v}


@dataclass(frozen=True)
class ParsedHome:
    """A home and the parse state a windowless ``dbt parse`` left for it (the profile names the
    home's warehouse, so the state serves this home only)."""

    home: Path
    state: Path

    def dbt(self, command: list[str], target: Path, window_env: dict[str, str]) -> subprocess.CompletedProcess[str]:
        """``command`` started from the kept parse state, which it then keeps (as runs do)."""
        project.restore_partial_parse(self.state, target)
        done = _dbt(command, target, self.home, window_env)
        project.keep_partial_parse(target, self.state)
        return done


@pytest.fixture(scope="module")
def parsed_home(tmp_path_factory: pytest.TempPathFactory) -> ParsedHome:
    root = tmp_path_factory.mktemp("parsed-home")
    parsed = ParsedHome(root / "home", root / "state" / project.PARTIAL_PARSE_FILE)
    parsed.home.mkdir()  # where dbt opens the warehouse when it compiles
    first = parsed.dbt(["parse"], root / "target", {})
    assert first.returncode == 0, first.stdout[-3000:]
    return parsed


def test_a_changed_window_makes_dbt_parse_nothing_again(parsed_home: ParsedHome, tmp_path: Path) -> None:
    # Every daily build has a new window, and the history build after it none: a file that read
    # the window while dbt parsed would be parsed again each time (21 files, ~5 s a build). The
    # window is read when the models run, so the kept parse state holds no window at all.
    configs = []
    for number, window in enumerate([("2026-11-02", "2026-11-02"), ("2026-11-03", "2026-11-04"), None,
                                     ("2026-11-05", "2026-11-05")]):
        target = tmp_path / f"target-{number}"
        parsed = parsed_home.dbt(["parse"], target, _window_env(window))
        assert parsed.returncode == 0, parsed.stdout[-3000:]
        log = (target / "dbt.log").read_text()
        assert "Partial parsing enabled, no changes found, skipping parsing" in log, (window, log[-2000:])
        nodes = json.loads((target / "manifest.json").read_text())["nodes"]
        configs.append({key: node["config"] for key, node in nodes.items()})
        assert "2026-11-0" not in json.dumps(configs[-1]), window
    assert all(config == configs[0] for config in configs)
    # what the delete predicates are made of is data, the same for every window
    generations = configs[0]["model.flywheel.fct_generations"]
    assert generations["incremental_strategy"] == "delete_insert_in_window"
    assert generations["window_predicates"] == [{"recomputed_from": "ingest_date", "days_before": 2}]


def test_the_delete_predicates_are_made_from_the_window_when_the_model_runs(parsed_home: ParsedHome, tmp_path: Path) -> None:
    specs = "[{'recomputed_from': 'ingest_date', 'days_before': 2}, {'later_than_window': 'ingest_date'}]"
    inline = ["compile", "--inline", f"{{{{ tojson(window_predicates({specs})) }}}}"]
    for window, expected in [
        (("2026-11-03", "2026-11-04"), ["ingest_date >= date '2026-11-03' - 2", "ingest_date > date '2026-11-04'"]),
        (None, ["false"]),  # no window: no row is recomputed by age, no later copy replaced by key
    ]:
        compiled = parsed_home.dbt(inline, tmp_path / f"target-{bool(window)}", _window_env(window))
        assert compiled.returncode == 0, compiled.stdout[-3000:]
        assert json.loads(compiled.stdout.rstrip().splitlines()[-1]) == expected, compiled.stdout[-1000:]


def test_a_window_that_is_not_a_date_stops_dbt_with_its_name(parsed_home: ParsedHome, tmp_path: Path) -> None:
    # the window is pasted into SQL: anything but a date must stop the model that reads it, named,
    # before its SQL runs
    compiled = parsed_home.dbt(["compile", "--select", "base_lake__events"], tmp_path / "target",
                               {"FLYWHEEL_DBT_MIN_DATE": "2026-11-02' or true --", "FLYWHEEL_DBT_MAX_DATE": "2026-11-02"})
    assert compiled.returncode != 0
    assert "FLYWHEEL_DBT_MIN_DATE must be a date (YYYY-MM-DD)" in compiled.stdout + compiled.stderr


def test_dagster_builds_no_dbt_adapter_in_this_process() -> None:
    # dagster-dbt calls this before every command; a release that stops calling it (or renames it)
    # would bring back the cost silently
    assert "self._initialize_dbt_core_adapter(" in inspect.getsource(DbtCliResource.cli)
    assert project.dbt_resource()._initialize_dbt_core_adapter(["build"]) is None


def test_the_dbt_version_comes_from_the_installed_package_without_starting_dbt(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
) -> None:
    import dagster_dbt.core.resource as dbt_resource_module
    import dbt.version

    def no_process(*args: object, **kwargs: object) -> bytes:
        raise AssertionError(f"dbt was started to read its version: {args}")

    monkeypatch.setattr(dbt_resource_module, "check_output", no_process)
    # the version the executable beside this interpreter runs (`dbt --version` prints it, after
    # asking PyPI for the latest release: a network call that runs no longer make)
    assert str(project.dbt_resource()._cli_version) == dbt.version.__version__
    # another executable (another environment's dbt, say) is still asked
    elsewhere = tmp_path / "bin" / "dbt"
    elsewhere.parent.mkdir()
    elsewhere.symlink_to(project.dbt_executable())
    monkeypatch.setattr(dbt_resource_module, "check_output", lambda *a, **k: b"Core:\n  - installed: 1.9.4\n")
    other = project.FlywheelDbtCliResource(project_dir=project.dbt_project, dbt_executable=str(elsewhere))
    assert str(other._cli_version) == "1.9.4"


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
