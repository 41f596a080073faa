"""How fast is the signals stage? Time and peak memory of the daily dbt run, alone and after history.

Two warehouses process the SAME arrival day D (same lake files, byte for byte):

- ``alone``: a home whose lake holds only day D;
- ``history``: a home whose warehouse already holds the H days before D, processed day by day.

Each is timed over the same ``dbt build`` that the Dagster partition runs (same selection and
window), as the day's first processing through the incremental path (the history warehouse is
restored to its state before D; the alone one holds every table, empty), so the ratio history /
alone shows what history costs a daily run: an incremental stage keeps it near 1 (target: at
most 1.2). dbt runs as a child process; its peak resident memory is
read from the kernel (wait4), time is wall clock. Preparing the data (simulate, ingest) is not
timed; lake/events is a copy of raw/events (``lake_stand_in``), since scrubbing does not change
what dbt does or costs.

    python -m pipelines.signals.bench [--interactions 100000] [--history-days 30]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
import uuid
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from pathlib import Path

from pipelines import settings
from pipelines.bench.lake_stand_in import copy_raw_events_to_lake
from pipelines.signals import project

MAX_RATIO = 1.2
PREPARED_MARKER = "bench-prepared.json"


@dataclass(frozen=True)
class StageCost:
    """One dbt run of the daily stage."""

    seconds: float
    peak_rss_mb: float
    succeeded: bool
    # CPU time of dbt and its threads (user + system): what the run cost the machine, much less
    # sensitive than wall time to whatever else the machine does
    cpu_seconds: float = 0.0
    # dbt's own accounting: time running nodes (the rest is start-up and parsing), and the
    # slowest nodes, to see what grows with history if anything does
    dbt_elapsed: float = 0.0
    slowest: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True)
class BenchResult:
    day: str
    interactions: int
    history_days: int
    history_interactions: int
    alone: list[StageCost]
    history: list[StageCost]

    @property
    def alone_seconds(self) -> float:
        return statistics.median(c.seconds for c in self.alone)

    @property
    def history_seconds(self) -> float:
        return statistics.median(c.seconds for c in self.history)

    @property
    def ratio(self) -> float:
        return self.history_seconds / self.alone_seconds

    @property
    def cpu_ratio(self) -> float:
        return (statistics.median(c.cpu_seconds for c in self.history)
                / statistics.median(c.cpu_seconds for c in self.alone))

    def report(self) -> str:
        def line(name: str, costs: list[StageCost]) -> str:
            times = ", ".join(f"{c.seconds:.2f}" for c in costs)
            peak = max(c.peak_rss_mb for c in costs)
            cpu = statistics.median(c.cpu_seconds for c in costs)
            return (f"{name:<28} median {statistics.median(c.seconds for c in costs):6.2f} s  (runs: {times})  "
                    f"CPU {cpu:6.2f} s  peak {peak:7.0f} MB")

        def nodes(name: str, costs: list[StageCost]) -> str:
            slowest = ", ".join(f"{node} {seconds:.2f}" for node, seconds in costs[-1].slowest)
            return f"  {name}: dbt ran nodes for {costs[-1].dbt_elapsed:.1f} s; slowest: {slowest}"

        return "\n".join([
            f"dbt daily stage, arrival day {self.day}: {self.interactions:,} interactions",
            line("alone", self.alone),
            line(f"after {self.history_days} days of history", self.history),
            f"ratio history / alone: {self.ratio:.2f} wall time (target <= {MAX_RATIO}), {self.cpu_ratio:.2f} CPU time",
            nodes("alone", self.alone),
            nodes("history", self.history),
        ])


def run_stage(paths: settings.FlywheelPaths, day: str) -> StageCost:
    """One `dbt build` of the daily models for ``day``, as the Dagster partition runs it, except
    that it writes run_results.json (read for the slowest nodes): ~1-2 CPU s more than the asset's
    build (``NO_JSON_ARTIFACTS`` in project.py)."""
    args = project.cli_args_with_selection(project.build_args(), project.DAILY_SELECTION)
    # a fresh target folder per run, as dagster-dbt gives every invocation, started from the
    # parse state the home's last run kept, as the Dagster asset does (assets._stream)
    target = paths.tmp / f"dbt-bench-{uuid.uuid4().hex}"
    parse_state = project.parse_state_file(paths.state)
    project.restore_partial_parse(parse_state, target)
    # the one difference: run_results.json is written, for the slowest nodes (dbt's last flag wins)
    command = [project.dbt_executable(), *args, "--write-json", "--profiles-dir", str(project.DBT_PROFILES_DIR),
               "--target-path", str(target), "--quiet"]
    with project.window_in_environment({"min_date": day, "max_date": day}):
        env = {**os.environ, settings.HOME_ENV: str(paths.home), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
               "DBT_LOG_PATH": str(target)}
    started = time.perf_counter()
    child = subprocess.Popen(command, cwd=project.dbt_project.project_dir, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    output = child.stdout.read() if child.stdout else b""
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - started
    elapsed, slowest = _node_times(target / "run_results.json")
    if child.returncode == 0:
        project.keep_partial_parse(target, parse_state)
    shutil.rmtree(target, ignore_errors=True)
    if child.returncode != 0:
        sys.stderr.write(output.decode(errors="replace")[-4000:])
    return StageCost(round(seconds, 3), round(usage.ru_maxrss / 1024, 1), child.returncode == 0,
                     round(usage.ru_utime + usage.ru_stime, 3), elapsed, slowest)


def _node_times(run_results: Path, top: int = 6) -> tuple[float, tuple[tuple[str, float], ...]]:
    if not run_results.exists():
        return 0.0, ()
    results = json.loads(run_results.read_text())
    nodes = sorted(((r["unique_id"].split(".")[-1], round(r["execution_time"], 2)) for r in results["results"]),
                   key=lambda item: -item[1])
    return round(results.get("elapsed_time", 0.0), 2), tuple(nodes[:top])


def prepare_home(paths: settings.FlywheelPaths, start: date, days: int, interactions: int,
                 last_day_interactions: int, seed: int) -> list[str]:
    """Simulate, ingest and fill the lake for ``days`` days (skipped when already prepared)."""
    from pipelines.ingest.load import ingest_day
    from pipelines.simulator import SimulationConfig, generate

    wanted = {"start": start.isoformat(), "days": days, "interactions": interactions,
              "last_day_interactions": last_day_interactions, "seed": seed}
    marker = paths.home / PREPARED_MARKER
    day_keys = [(start + timedelta(days=i)).isoformat() for i in range(days)]
    if marker.exists() and json.loads(marker.read_text()) == wanted:
        return day_keys
    settings.ensure_layout(paths)
    generate(paths, SimulationConfig(seed=seed, start=start, days=days, interactions_per_day=interactions))
    if last_day_interactions != interactions:
        # the measured day at full size, history smaller: only that day's landing folder changes
        generate(paths, SimulationConfig(seed=seed + 1, start=start + timedelta(days=days - 1), days=1,
                                         interactions_per_day=last_day_interactions))
    for day in day_keys:
        for source in ("events", "billing"):
            ingest_day(paths, source, day)
        copy_raw_events_to_lake(paths, day)
        print(f"  loaded {day}", flush=True)
    marker.write_text(json.dumps(wanted))
    return day_keys


def isolate_day(source: settings.FlywheelPaths, target: settings.FlywheelPaths, day: str) -> None:
    """A fresh home whose lake holds only ``day`` (every lake table's partition of that day)."""
    if target.home.exists():
        shutil.rmtree(target.home)
    settings.ensure_layout(target)
    for partition in source.lake.rglob(f"ingest_date={day}"):
        destination = target.lake / partition.relative_to(source.lake)
        shutil.copytree(partition, destination)


def bench(work_dir: Path, interactions: int, history_days: int, history_interactions: int,
          repeats: int = 3, seed: int = 11, start: date = date(2026, 10, 1)) -> BenchResult:
    history_home = settings.paths(work_dir / f"history-{history_days}x{history_interactions}-{interactions}")
    days = prepare_home(history_home, start, history_days + 1, history_interactions, interactions, seed)
    day = days[-1]

    before_day = history_home.home / "warehouse-before-measured-day.duckdb"
    if not _warehouse_holds(history_home, days[:-1]):  # else saved by an earlier run
        history_home.warehouse.unlink(missing_ok=True)
        for earlier in days[:-1]:
            cost = run_stage(history_home, earlier)
            print(f"  history {earlier}: {cost.seconds:.1f} s", flush=True)
            _require(cost, earlier)
        shutil.copyfile(history_home.warehouse, before_day)
        (history_home.home / "bench-history-done.json").write_text(json.dumps(_history_stamp(days[:-1])))

    alone_home = settings.paths(work_dir / "alone")
    isolate_day(history_home, alone_home, day)
    # The alone warehouse has every table, empty: its runs take the same incremental path as the
    # history's (a first run into no tables would create them instead, a different, cheaper
    # statement), so the two cases differ only by the 30 days already held.
    _require(run_stage(alone_home, day), day)
    empty = alone_home.home / "warehouse-empty-tables.duckdb"
    _empty_every_table(alone_home.warehouse, empty)
    # Every timed run is the day's FIRST processing, as in production: each warehouse is restored
    # to its state before day D. Interleaved, so that whatever else the machine does weighs on
    # both cases alike; restoring is not timed, and the copy is flushed to disk first so that its
    # write-back does not land in the timed run.
    alone, history = [], []
    for _ in range(repeats):
        _restore(before_day, history_home.warehouse)
        _restore(empty, alone_home.warehouse)
        history.append(_require(run_stage(history_home, day), day))
        alone.append(_require(run_stage(alone_home, day), day))
    return BenchResult(day, interactions, history_days, history_interactions, alone, history)


def _restore(saved: Path, warehouse: Path) -> None:
    """Put ``saved`` in place of ``warehouse``, its WAL dropped, flushed to disk."""
    warehouse.with_name(warehouse.name + ".wal").unlink(missing_ok=True)
    shutil.copyfile(saved, warehouse)
    os.sync()


def _empty_every_table(warehouse: Path, saved: Path) -> None:
    """Save a copy of ``warehouse`` whose tables hold no rows (views and schemas as they are)."""
    import duckdb

    shutil.copyfile(warehouse, saved)
    with duckdb.connect(str(saved)) as con:
        tables = con.execute(
            "select schema_name, table_name from duckdb_tables() where database_name = current_database()"
        ).fetchall()
        for schema, table in tables:
            con.execute(f'delete from "{schema}"."{table}"')
        con.execute("checkpoint")


def _history_stamp(days: list[str]) -> dict[str, object]:
    """What the saved history was built from: its days and the daily models' SQL (a change to a
    model or macro means rebuilding it; tests, docs, profiles and other folders do not matter)."""
    root = project.dbt_project.project_dir
    files = sorted(
        path for folder in (*(f"models/{f}" for f in project.DAILY_FOLDERS), "macros")
        for path in (root / folder).rglob("*.sql")
    )
    digest = hashlib.sha256()
    for path in [root / "dbt_project.yml", *files]:
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    return {"days": days, "daily_models_sha256": digest.hexdigest()}


def _warehouse_holds(paths: settings.FlywheelPaths, days: list[str]) -> bool:
    """True when the saved history warehouse was built from these days with the current models."""
    done = paths.home / "bench-history-done.json"
    saved = paths.home / "warehouse-before-measured-day.duckdb"
    return saved.exists() and done.exists() and json.loads(done.read_text()) == _history_stamp(days)


def _require(cost: StageCost, day: str) -> StageCost:
    if not cost.succeeded:
        raise SystemExit(f"the dbt stage failed for {day}: see the output above")
    return cost


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work-dir", type=Path, default=None,
                        help="where the benchmark homes live (default: $FLYWHEEL_HOME/cache/bench)")
    parser.add_argument("--interactions", type=int, default=100_000, help="interactions on the measured day")
    parser.add_argument("--history-days", type=int, default=30)
    parser.add_argument("--history-interactions", type=int, default=None,
                        help="interactions per history day (default: the same as the measured day)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args(argv)
    work_dir = args.work_dir or settings.paths().cache / "bench"
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    result = bench(work_dir, args.interactions, args.history_days,
                   args.history_interactions or args.interactions, args.repeats)
    if args.json:
        print(json.dumps({**asdict(result), "alone_seconds": result.alone_seconds,
                          "history_seconds": result.history_seconds, "ratio": result.ratio,
                          "cpu_ratio": result.cpu_ratio}))
    else:
        print(result.report())
    return 0 if result.ratio <= MAX_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
