"""Run ``flywheel run`` as a separate process (killed or not) and compare two homes' whole state.

State is what a run leaves behind for everything downstream: the warehouse's tables, the raw
zone's and the lake's Parquet files, the published training-set versions and their index, and the
dashboards' serving snapshot. Two homes with the same landed files must hold the same state after
a run, whatever happened to earlier runs.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import orjson

from pipelines import scratch as scratch_space
from pipelines import settings
from pipelines.failpoints import CRASH_ENV, CRASH_RECORD_ENV
from pipelines.serving.snapshot import DATASET_VERSIONS_TABLE, SNAPSHOT_INFO_TABLE

FLYWHEEL = str(Path(sys.executable).with_name("flywheel"))
RUN_TIMEOUT_S = 1200
# What the platform drops and the simulator's ground truth (the scrubbing check reads it): the
# inputs of a run. Everything else under a home is written by the pipeline.
INPUTS = ("landing", "simulator")
# Environment a test run must not inherit from the test process (another test's home, a lake in
# an object store, an armed failpoint).
CLEARED_ENV = (settings.HOME_ENV, "DAGSTER_HOME", "FLYWHEEL_LAKE_URI", CRASH_ENV, CRASH_RECORD_ENV)

# Columns that differ between two correct runs, by design:
EXCLUDED_COLUMNS: dict[str, dict[str, str]] = {
    "serving": {
        # the time the snapshot was built and the warehouse it was built from (the home's path)
        f"{SNAPSHOT_INFO_TABLE}.built_at": "wall-clock time of the snapshot",
        f"{SNAPSHOT_INFO_TABLE}.warehouse": "absolute path of the home",
        # a manifest holds no wall-clock time; the listing falls back to the file's mtime
        f"{DATASET_VERSIONS_TABLE}.created_at": "mtime of manifest.json (publication time)",
        f"{DATASET_VERSIONS_TABLE}.path": "absolute path of the home",
    },
}
# versions.json records when each version was published (outside the content-addressed version).
INDEX_VOLATILE_KEYS = ("published_at",)


@dataclass
class RunOutcome:
    returncode: int
    stdout: str
    stderr: str
    crash_record: str = ""  # the line of the failpoint that fired, if one did

    @property
    def killed(self) -> bool:
        return self.returncode == -signal.SIGKILL

    def tail(self, chars: int = 4000) -> str:
        return f"exit {self.returncode}\n--- stdout\n{self.stdout[-chars:]}\n--- stderr\n{self.stderr[-chars:]}"


def copy_inputs(source: settings.FlywheelPaths, root: Path) -> settings.FlywheelPaths:
    """A fresh home holding only ``source``'s landed files and ground truth."""
    paths = settings.paths(root)
    settings.ensure_layout(paths)
    for name in INPUTS:
        if (source.home / name).exists():
            shutil.copytree(source.home / name, paths.home / name, dirs_exist_ok=True)
    return paths


def run_environment(crash_at: str | None = None, crash_record: Path | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in CLEARED_ENV}
    env.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    env["DAGSTER_DISABLE_TELEMETRY"] = "1"
    if crash_at:
        env[CRASH_ENV] = crash_at
    if crash_record:
        env[CRASH_RECORD_ENV] = str(crash_record)
    return env


class PipelineRun:
    """``flywheel run --home`` in a session (process group) of its own, as a scheduler starts it.

    Its output goes to ``<home>.run-N.out`` / ``.err`` beside the home (kept for a failed test), and
    the line of a failpoint that fired to ``<home>.run-N.crash``.
    """

    def __init__(self, paths: settings.FlywheelPaths, *args: str, crash_at: str | None = None,
                 prefix: Sequence[str] = ()) -> None:
        number = len(list(paths.home.parent.glob(f"{paths.home.name}.run-*.out"))) + 1
        self.log = paths.home.parent / f"{paths.home.name}.run-{number}"
        with open(f"{self.log}.out", "w") as stdout, open(f"{self.log}.err", "w") as stderr:
            self.process = subprocess.Popen(
                [*prefix, FLYWHEEL, "run", "--home", str(paths.home), *args],
                env=run_environment(crash_at, Path(f"{self.log}.crash")), stdout=stdout, stderr=stderr, start_new_session=True,
            )

    @property
    def pid(self) -> int:
        return self.process.pid

    def finish(self, timeout: float = RUN_TIMEOUT_S) -> RunOutcome:
        try:
            returncode = self.process.wait(timeout)
        finally:
            # whatever happened, nothing of this run (dbt, scrubber workers) may outlive it
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        out, err, crash = (Path(f"{self.log}{s}") for s in (".out", ".err", ".crash"))
        return RunOutcome(returncode, out.read_text(errors="replace"), err.read_text(errors="replace"),
                          crash.read_text() if crash.exists() else "")


def scratch_left_behind(paths: settings.FlywheelPaths) -> list[str]:
    """Scratch entries of any process, and DuckDB spill files, under the home's tmp."""
    owned = [p.name for p in paths.tmp.iterdir() if scratch_space.owner(p.name) is not None]
    spill = paths.tmp / scratch_space.DUCKDB_SPILL_DIR
    return owned + [f"{spill.name}/{p.name}" for p in spill.iterdir()] if spill.is_dir() else owned


def dagster_runs(paths: settings.FlywheelPaths) -> list[dict[str, str]]:
    """Every run recorded in the home's Dagster instance: its status and, if failed, why."""
    import dagster as dg

    runs = []
    with dg.DagsterInstance.from_config(str(paths.dagster_home)) as instance:
        for record in instance.get_run_records():
            failure = instance.all_logs(record.dagster_run.run_id, of_type=dg.DagsterEventType.RUN_FAILURE)
            runs.append({"run_id": record.dagster_run.run_id, "status": record.dagster_run.status.value,
                         "message": " ".join(e.message or "" for e in failure)})
    return runs


def run(paths: settings.FlywheelPaths, *args: str, crash_at: str | None = None,
        prefix: Sequence[str] = ()) -> RunOutcome:
    """``flywheel run`` to its end; ``prefix`` is a command that runs it (a namespace, a limit)."""
    return PipelineRun(paths, *args, crash_at=crash_at, prefix=prefix).finish()


# --- comparing two homes -------------------------------------------------------------------------


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _relations(con: duckdb.DuckDBPyConnection, database: str) -> dict[str, str]:
    """name -> 'table' or 'view' for the user relations of an attached database."""
    tables = con.execute(
        "select table_name from duckdb_tables() where database_name = ? and not internal", [database]
    ).fetchall()
    views = con.execute(
        "select view_name from duckdb_views() where database_name = ? and not internal", [database]
    ).fetchall()
    return {name: "table" for (name,) in tables} | {name: "view" for (name,) in views}


def _columns(con: duckdb.DuckDBPyConnection, database: str, table: str) -> list[tuple[str, str]]:
    return con.execute(
        "select column_name, data_type from duckdb_columns() where database_name = ? and table_name = ? "
        "order by column_index",
        [database, table],
    ).fetchall()


def database_differences(left: Path, right: Path, excluded: dict[str, str] | None = None) -> list[str]:
    """Row-for-row differences of every table and view of two DuckDB files (EXCEPT ALL both ways).

    ``excluded`` names ``table.column`` pairs left out of the comparison. The same idea as
    ``table_differences`` in tests/signals/pipeline.py, over views too, with exclusions.
    """
    excluded = excluded or {}
    problems: list[str] = []
    with duckdb.connect() as con:
        con.execute(f"attach {_literal(left)} as l (read_only)")
        con.execute(f"attach {_literal(right)} as r (read_only)")
        ours, theirs = _relations(con, "l"), _relations(con, "r")
        if ours != theirs:
            problems.append(
                f"{left.name}: relations differ: only in the reference {sorted(set(ours) - set(theirs))}, "
                f"only in the other {sorted(set(theirs) - set(ours))}, "
                f"kind differs {sorted(n for n in set(ours) & set(theirs) if ours[n] != theirs[n])}"
            )
        for name in sorted(set(ours) & set(theirs)):
            columns = _columns(con, "l", name)
            if columns != _columns(con, "r", name):
                problems.append(f"{left.name}:{name}: columns differ: {columns} vs {_columns(con, 'r', name)}")
                continue
            compared = ", ".join(_quote(c) for c, _ in columns if f"{name}.{c}" not in excluded) or "1"
            rows = []
            for a, b in (("l", "r"), ("r", "l")):
                rows.append(con.execute(
                    f"select count(*) from (select {compared} from {a}.main.{_quote(name)} "
                    f"except all select {compared} from {b}.main.{_quote(name)})"
                ).fetchone()[0])
            if any(rows):
                total = con.execute(f"select count(*) from l.main.{_quote(name)}").fetchone()[0]
                problems.append(
                    f"{left.name}:{name}: {rows[0]} of {total} reference rows missing, {rows[1]} extra rows"
                )
    return problems


def _literal(value: object) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def parquet_differences(left: Path, right: Path) -> list[str]:
    """Every Parquet file under two roots (raw zone, lake): same files, same rows, same types."""
    ours = {p.relative_to(left).as_posix(): p for p in left.rglob("*.parquet")}
    theirs = {p.relative_to(right).as_posix(): p for p in right.rglob("*.parquet")}
    problems = []
    if set(ours) != set(theirs):
        problems.append(
            f"{left.name}/: files only in the reference {sorted(set(ours) - set(theirs))}, "
            f"only in the other {sorted(set(theirs) - set(ours))}"
        )
    with duckdb.connect() as con:
        for relative in sorted(set(ours) & set(theirs)):
            a, b = (f"read_parquet({_literal(p)}, hive_partitioning = false)" for p in (ours[relative], theirs[relative]))
            schema_a = con.execute(f"describe select * from {a}").fetchall()
            if schema_a != con.execute(f"describe select * from {b}").fetchall():
                problems.append(f"{left.name}/{relative}: schemas differ")
                continue
            missing = con.execute(f"select count(*) from (from {a} except all from {b})").fetchone()[0]
            extra = con.execute(f"select count(*) from (from {b} except all from {a})").fetchone()[0]
            if missing or extra:
                problems.append(f"{left.name}/{relative}: {missing} reference rows missing, {extra} extra rows")
    return problems


def _index_entries(index: Path) -> list[dict]:
    if not index.exists():
        return []
    entries = orjson.loads(index.read_bytes()).get("versions", [])
    return [{k: v for k, v in e.items() if k not in INDEX_VOLATILE_KEYS} for e in entries]


def dataset_differences(left: Path, right: Path) -> list[str]:
    """Training sets: the same version ids, byte-identical versions, the same index (but its times)."""
    problems = []
    names = sorted({p.name for root in (left, right) if root.is_dir() for p in root.iterdir() if p.is_dir()})
    for name in names:
        ours = sorted(p.name for p in (left / name).glob("v*") if p.is_dir())
        theirs = sorted(p.name for p in (right / name).glob("v*") if p.is_dir())
        if ours != theirs:
            problems.append(f"datasets/{name}: versions {ours} in the reference, {theirs} in the other")
        for version in sorted(set(ours) & set(theirs)):
            files_a = {p.relative_to(left / name / version).as_posix(): p
                       for p in (left / name / version).rglob("*") if p.is_file()}
            files_b = {p.relative_to(right / name / version).as_posix(): p
                       for p in (right / name / version).rglob("*") if p.is_file()}
            if set(files_a) != set(files_b):
                problems.append(f"datasets/{name}/{version}: files differ: {sorted(set(files_a) ^ set(files_b))}")
            changed = sorted(f for f in set(files_a) & set(files_b) if files_a[f].read_bytes() != files_b[f].read_bytes())
            if changed:
                problems.append(f"datasets/{name}/{version}: bytes differ in {changed}")
        index_a, index_b = _index_entries(left / name / "versions.json"), _index_entries(right / name / "versions.json")
        if index_a != index_b:
            problems.append(f"datasets/{name}/versions.json: {index_a} in the reference, {index_b} in the other")
    return problems


def state_differences(reference: settings.FlywheelPaths, other: settings.FlywheelPaths) -> list[str]:
    """Everything by which ``other``'s state differs from ``reference``'s; empty when they agree."""
    problems = []
    for label, path in (("warehouse", reference.warehouse), ("serving snapshot", reference.serving_db)):
        counterpart = other.home / path.relative_to(reference.home)
        if not counterpart.exists():
            problems.append(f"{label}: {counterpart} does not exist")
    if problems:
        return problems
    problems += database_differences(reference.warehouse, other.warehouse)
    problems += database_differences(reference.serving_db, other.serving_db, EXCLUDED_COLUMNS["serving"])
    problems += parquet_differences(reference.raw, other.raw)
    problems += parquet_differences(reference.lake, other.lake)
    problems += dataset_differences(reference.datasets, other.datasets)
    return problems
