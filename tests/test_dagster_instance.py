"""The instance Flywheel's runs record into: Dagster's files, written with kept connections."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import dagster as dg
import pytest
from sqlalchemy import event
from sqlalchemy.pool import Pool

from pipelines import dagster_instance
from pipelines.dagster_instance import KeptConnectionSqliteEventLogStorage, open_instance

CHECKS = 12


@dg.asset(check_specs=[dg.AssetCheckSpec(f"check_{i}", asset="checked") for i in range(CHECKS)])
def checked():
    yield dg.MaterializeResult(metadata={"rows": 3})
    for i in range(CHECKS):
        yield dg.AssetCheckResult(check_name=f"check_{i}", passed=i != 0)


@dg.asset(deps=[checked])
def downstream() -> None:
    return None


JOB = dg.Definitions(assets=[checked, downstream], jobs=[dg.define_asset_job("both")]).resolve_job_def("both")


def _home(tmp_path: Path, yaml: str = "telemetry:\n  enabled: false\n") -> Path:
    home = tmp_path / "dagster"
    home.mkdir(parents=True)
    (home / "dagster.yaml").write_text(yaml)
    return home


def _what_was_recorded(instance: dg.DagsterInstance) -> tuple[list[str], Counter, int, list[bool]]:
    runs = instance.get_run_records()
    types = Counter(e.dagster_event_type for r in runs for e in instance.all_logs(r.dagster_run.run_id))
    materializations = instance.fetch_materializations(dg.AssetKey("checked"), limit=10).records
    history = instance.event_log_storage.get_asset_check_execution_history(
        dg.AssetCheckKey(dg.AssetKey("checked"), "check_0"), limit=10)
    return ([r.dagster_run.status.value for r in runs], types, len(materializations),
            [h.evaluation.passed for h in history if h.evaluation])


def test_runs_recorded_with_kept_connections_read_the_same_with_dagsters_own_class(tmp_path: Path) -> None:
    kept_home, plain_home = _home(tmp_path / "kept"), _home(tmp_path / "plain")
    with open_instance(kept_home) as instance:
        assert isinstance(instance.event_log_storage, KeptConnectionSqliteEventLogStorage)
        for _ in range(2):
            assert JOB.execute_in_process(instance=instance, raise_on_error=False).success
    with dg.DagsterInstance.from_config(str(plain_home)) as instance:
        for _ in range(2):
            assert JOB.execute_in_process(instance=instance, raise_on_error=False).success

    # what `dagster dev` shows: the default class, on both homes, finds the same things
    with dg.DagsterInstance.from_config(str(kept_home)) as kept, dg.DagsterInstance.from_config(str(plain_home)) as plain:
        assert type(kept.event_log_storage) is type(plain.event_log_storage)
        statuses, types, materializations, check_0 = _what_was_recorded(kept)
        assert (statuses, types, materializations, check_0) == _what_was_recorded(plain)
    assert statuses == ["SUCCESS", "SUCCESS"] and materializations == 2 and check_0 == [False, False]
    assert types[dg.DagsterEventType.ASSET_CHECK_EVALUATION] == 2 * CHECKS


def test_a_run_opens_one_event_log_connection_not_some_per_event(tmp_path: Path) -> None:
    opened: list[str] = []

    def on_connect(dbapi_connection, record) -> None:  # noqa: ANN001 - SQLAlchemy's event signature
        [(_, _, path)] = dbapi_connection.execute("pragma database_list").fetchall()
        opened.append(Path(path).name)

    event.listen(Pool, "connect", on_connect)
    try:
        with open_instance(_home(tmp_path)) as instance:
            JOB.execute_in_process(instance=instance)
            before = len(opened)
            result = JOB.execute_in_process(instance=instance)
            second_run = opened[before:]
    finally:
        event.remove(Pool, "connect", on_connect)
    # the event log (the index and each run's database; runs.db is the run storage, Dagster's own
    # class): one connection for the new run's database, the index's is still open. Dagster's
    # class opened 150 here, two or three per event.
    assert [name for name in second_run if name != "runs.db"] == [f"{result.run_id}.db"]


def test_a_forked_child_or_a_wiped_log_gets_new_connections(tmp_path: Path) -> None:
    with open_instance(_home(tmp_path)) as instance:
        storage = instance.event_log_storage
        assert isinstance(storage, KeptConnectionSqliteEventLogStorage)
        JOB.execute_in_process(instance=instance)
        inherited = list(storage._engines.values())
        assert inherited and len(inherited) <= 4
        storage._engines_pid = -1  # as a forked child finds it
        JOB.execute_in_process(instance=instance)
        assert not any(e is old for e in storage._engines.values() for old in inherited)
        assert all(any(e is old for e in dagster_instance._INHERITED_ENGINES) for old in inherited)
        before_wipe = list(storage._engines.values())
        instance.wipe()
        assert not any(e is old for e in storage._engines.values() for old in before_wipe)
        assert JOB.execute_in_process(instance=instance).success
        assert len(instance.get_run_records()) == 1


@pytest.mark.parametrize("yaml", [
    "event_log_storage:\n  module: dagster._core.storage.event_log\n  class: ConsolidatedSqliteEventLogStorage\n"
    "  config:\n    base_dir: {base}\n",
    "storage:\n  sqlite:\n    base_dir: {base}\n",
], ids=["another event log", "sqlite storage elsewhere"])
def test_a_storage_configured_in_dagster_yaml_is_kept_as_configured(tmp_path: Path, yaml: str) -> None:
    base = tmp_path / "elsewhere"
    home = _home(tmp_path, yaml.format(base=base))
    with open_instance(home) as instance:
        JOB.execute_in_process(instance=instance)
        if "Consolidated" in yaml:
            assert type(instance.event_log_storage).__name__ == "ConsolidatedSqliteEventLogStorage"
        else:  # Dagster's own layout under the configured folder, kept open
            assert isinstance(instance.event_log_storage, KeptConnectionSqliteEventLogStorage)
            assert (base / "history" / "runs" / "index.db").exists()
    # the event log is where the configuration puts it, not under the home
    assert list(base.rglob("*.db")) and not list((home / "history").glob("runs/*.db"))


def test_the_kept_connections_commit_without_an_fsync_each(tmp_path: Path) -> None:
    # WAL with synchronous=NORMAL: a killed process loses nothing committed (the WAL is written),
    # only a power cut may lose a run's last events; FULL (SQLite's default) syncs every commit.
    with open_instance(_home(tmp_path)) as instance:
        JOB.execute_in_process(instance=instance)
        storage = instance.event_log_storage
        assert isinstance(storage, KeptConnectionSqliteEventLogStorage) and storage._engines
        for shard in list(storage._engines):
            with storage._connect(shard) as conn:
                assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
                assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
