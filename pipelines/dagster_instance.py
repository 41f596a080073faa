"""The Dagster instance Flywheel's runs record into: ``$DAGSTER_HOME``'s, with an event log that keeps its connections.

Dagster's SQLite event log (``SqliteEventLogStorage``, the default storage) builds a new SQLAlchemy
engine for every event it stores and closes its connection afterwards: an engine, a connection
and, because closing the last connection to a database in WAL mode checkpoints it, a checkpoint
per event, twice for an asset or check event (its run's database and the index). A daily run
stores several hundred events (every step, output, materialization and asset check). In a
small process that only runs such jobs this was more than half of Dagster's own CPU time
(docs/benchmarks.md, run J).

``KeptConnectionSqliteEventLogStorage`` is that class with one engine and one open connection
per database (the index, and the few run databases this process writes): the same files, tables
and transactions (one per call, under the class's lock, as before). Its connections commit with
``synchronous=NORMAL`` (SQLite's default in WAL mode is FULL: an fsync per commit, two per asset
or check event): a process killed at any point loses nothing it committed, and a power cut may
lose the last events of a run, which ``runner.recover_after_crash`` then finds unfinished, as
after any crash (the warehouse and the lake, not the event log, hold the data). It is only used
by the processes Flywheel starts (``open_instance``); ``dagster.yaml`` stays Dagster's default, so
``dagster dev``, the daemon and any other reader open the same files with Dagster's own class.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import dagster as dg
from dagster._core.instance.ref import InstanceRef
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from dagster._serdes import ConfigurableClassData
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.pool import StaticPool

# Databases whose engine stays open: the index and the runs of the last few jobs (a process runs
# one job at a time; an evicted database just gets a new engine if it is written again).
KEPT_DATABASES = 4
# Engines a forked child inherited from its parent: kept referenced, never used or closed there
# (closing them, even by garbage collection, would act on the parent's SQLite handles).
_INHERITED_ENGINES: list[Engine] = []
_DAGSTER_EVENT_LOG = ("dagster._core.storage.event_log", "SqliteEventLogStorage")
_DAGSTER_SQLITE_STORAGE = ("dagster._core.storage.sqlite_storage", "DagsterSqliteStorage")


class KeptConnectionSqliteEventLogStorage(SqliteEventLogStorage):
    """Dagster's SQLite event log with one engine and one kept connection per shard database."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None) -> None:
        # before Dagster's __init__, which may already write (a new home's index)
        self._engines: OrderedDict[str, Engine] = OrderedDict()
        self._engines_pid = os.getpid()
        # index tables known to exist; Dagster's has_table opens a new engine to look, twice for
        # every asset check event (Dagster never drops them at run time; a wipe forgets them anyway)
        self._tables_present: set[str] = set()
        super().__init__(base_dir, inst_data)

    @classmethod
    def from_config_value(cls, inst_data: ConfigurableClassData, config_value: dict) -> KeptConnectionSqliteEventLogStorage:
        return cls(inst_data=inst_data, **config_value)

    def _forget_inherited_engines(self) -> None:
        """In a forked child: set the parent's engines aside, neither used nor closed here."""
        if self._engines_pid != os.getpid():
            _INHERITED_ENGINES.extend(self._engines.values())
            self._engines.clear()
            self._engines_pid = os.getpid()

    def _engine(self, shard: str) -> Engine:
        self._forget_inherited_engines()
        engine = self._engines.get(shard)
        if engine is not None:
            self._engines.move_to_end(shard)
            return engine
        # one connection, used by one caller at a time: every use is under self._db_lock
        engine = create_engine(
            self.conn_string_for_shard(shard), poolclass=StaticPool,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS, "check_same_thread": False},
        )
        event.listen(engine, "connect", _commit_without_fsync)
        self._engines[shard] = engine
        while len(self._engines) > KEPT_DATABASES:
            self._engines.popitem(last=False)[1].dispose()
        return engine

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:  # type: ignore[override]
        with self._db_lock:
            engine = self._engine(shard)
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with engine.connect() as conn, conn.begin():
                yield conn

    def has_table(self, table_name: str) -> bool:
        if table_name in self._tables_present:
            return True
        present = super().has_table(table_name)
        if present:
            self._tables_present.add(table_name)
        return present

    def _close_engines(self) -> None:
        with self._db_lock:
            self._forget_inherited_engines()
            for engine in self._engines.values():
                engine.dispose()
            self._engines.clear()

    def wipe(self) -> None:
        # the run databases are deleted: no connection may outlive them. (Another process's wipe
        # would go unnoticed by a kept connection; a wipe is an operator's act on an idle home, and
        # Flywheel's runs hold the home's run lock.)
        self._close_engines()
        self._tables_present.clear()
        super().wipe()

    def dispose(self) -> None:
        super().dispose()  # first the file watcher, whose callbacks could open an engine again
        self._close_engines()


def _commit_without_fsync(dbapi_connection: Any, _record: Any) -> None:
    """SQLite syncs the WAL file at checkpoints, not at every commit (see the module's docstring)."""
    dbapi_connection.execute("PRAGMA synchronous=NORMAL")


def kept_connection_ref(ref: InstanceRef) -> InstanceRef:
    """``ref`` with its event log kept open, if it is Dagster's default SQLite one; else ``ref``."""
    unified, event_log = ref.storage_data, ref.event_storage_data
    # the default ``storage: sqlite`` block keeps its event log as SqliteEventLogStorage under
    # history/runs, the ``base_dir`` the ref's separate event log entry names; any other storage
    # (Postgres, a class of its own) is left as configured
    if unified is not None and (unified.module_name, unified.class_name) != _DAGSTER_SQLITE_STORAGE:
        return ref
    if event_log is None or (event_log.module_name, event_log.class_name) != _DAGSTER_EVENT_LOG:
        return ref
    kept = ConfigurableClassData(__name__, KeptConnectionSqliteEventLogStorage.__name__, event_log.config_yaml)
    return ref._replace(storage_data=None, event_storage_data=kept)


def open_instance(dagster_home: Path) -> dg.DagsterInstance:
    """The instance of ``dagster_home`` (its ``dagster.yaml``), as ``DagsterInstance.get()`` opens it."""
    return dg.DagsterInstance.from_ref(kept_connection_ref(InstanceRef.from_dir(str(dagster_home))))
