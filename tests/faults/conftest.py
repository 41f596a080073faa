"""One small simulated platform, and the reference: its uninterrupted run, watched while it runs.

While the reference run works, a second ``flywheel run`` on the same home is started (it must be
refused) and a dashboard reader keeps querying the serving snapshot (it must never fail). Every
crash test then compares its recovered home with this reference.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb
import pytest

from pipelines import settings
from pipelines.serving.snapshot import build_for_home
from pipelines.simulator import SimulationConfig, generate
from tests.faults import harness

# One arrival day of about 3,000 events: enough for the training set's minimum example counts
# (its preference split is the smallest: about 15 pairs for the 10 required), small enough that a
# run takes well under a minute on an idle 2-core machine.
SIMULATION = SimulationConfig(seed=3, start=date(2026, 11, 2), days=1, interactions_per_day=600,
                              huge_line_bytes=1_100_000)
# The same key in every home, so that homes built from the same inputs hold the same pseudonyms.
PSEUDONYM_KEY = "faults-test-key-0123456789abcdef"
LOCK_WAIT_S = 300


@pytest.fixture(scope="session", autouse=True)
def _pseudonym_key() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as env:
        env.setenv(settings.PSEUDONYM_KEY_ENV, PSEUDONYM_KEY)
        yield


@pytest.fixture(scope="session")
def landed(tmp_path_factory: pytest.TempPathFactory) -> settings.FlywheelPaths:
    """The platform's landing files and ground truth, generated once; never run."""
    paths = settings.paths(tmp_path_factory.mktemp("faults") / "landed")
    settings.ensure_layout(paths)
    generate(paths, SIMULATION)
    return paths


@dataclass
class SnapshotReader:
    """A dashboard's reads of the serving snapshot, in a thread, as ``dashboards/data.py`` makes them.

    One connection stays open on the snapshot found at the start (a query in flight across the
    swap) and a fresh read-only connection is opened for every other query, as the dashboards do.
    """

    path: Path
    errors: list[str] = field(default_factory=list)
    reads: int = 0
    copied_tables_seen: set[int] = field(default_factory=set)
    old_copied_tables: int | None = None
    old_still_readable: bool = False

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="snapshot-reader", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(60)

    def _copied(self, con: duckdb.DuckDBPyConnection) -> int:
        return con.execute("select count(*) from snapshot_tables where status = 'copied'").fetchone()[0]

    def _loop(self) -> None:
        old = duckdb.connect(str(self.path), read_only=True)
        try:
            self.old_copied_tables = self._copied(old)
            while not self._stop.is_set():
                try:
                    with duckdb.connect(str(self.path), read_only=True) as con:
                        self.copied_tables_seen.add(self._copied(con))
                        con.execute("select * from snapshot_info").fetchall()
                    if self._copied(old) != self.old_copied_tables:
                        self.errors.append("the open connection's snapshot changed under it")
                    self.reads += 1
                except Exception as error:  # noqa: BLE001 - every failure is what the test reports
                    self.errors.append(f"{type(error).__name__}: {error}")
                time.sleep(0.05)
            self.old_still_readable = self._copied(old) == self.old_copied_tables
        finally:
            old.close()


@dataclass(frozen=True)
class Reference:
    paths: settings.FlywheelPaths
    outcome: harness.RunOutcome
    second_run: harness.RunOutcome
    reader: SnapshotReader


def _wait_for_lock(paths: settings.FlywheelPaths, run: harness.PipelineRun) -> None:
    """Until ``run`` holds the home's run lock (the lock file then names its pid)."""
    lock = paths.state / "run.lock"
    deadline = time.monotonic() + LOCK_WAIT_S
    while time.monotonic() < deadline:
        if lock.exists() and lock.read_text().strip() == str(run.pid):
            return
        if run.process.poll() is not None:
            raise AssertionError(f"the reference run ended before taking the lock:\n{run.finish().tail()}")
        time.sleep(0.1)
    raise AssertionError(f"the reference run did not take {lock} within {LOCK_WAIT_S} s")


@pytest.fixture(scope="session")
def reference(landed: settings.FlywheelPaths, tmp_path_factory: pytest.TempPathFactory) -> Reference:
    """The uninterrupted run, with a second run attempted and a dashboard reading meanwhile.

    The home starts with the snapshot a dashboard sees before any run (every table listed as
    missing), so that the run publishes a NEW snapshot under the reader's feet; the run replaces
    that file whole, so the final state is the same as without it.
    """
    paths = harness.copy_inputs(landed, tmp_path_factory.mktemp("faults") / "reference")
    build_for_home(paths)
    reader = SnapshotReader(paths.serving_db)
    reader.start()
    try:
        run = harness.PipelineRun(paths)
        _wait_for_lock(paths, run)
        second_run = harness.run(paths)
        outcome = run.finish()
    finally:
        reader.stop()
    assert outcome.returncode == 0, f"the uninterrupted reference run failed:\n{outcome.tail()}"
    return Reference(paths, outcome, second_run, reader)
