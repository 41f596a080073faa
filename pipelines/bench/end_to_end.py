"""End-to-end benchmark (``flywheel bench``): N interactions through every stage, timed stage by stage.

The run is the real pipeline: the simulator writes ``days`` arrival days into a fresh home, then
each day goes through the daily job's assets (ingest, scrub, dbt) and, after the first and the
last day, the history job's assets (history dbt models and quality gates, training set, serving
snapshot), with the definitions, resources and runner that ``flywheel run`` uses. Each stage of
each day is its own in-process Dagster run of that stage's assets (``asset_selection``), so that
it can be timed and its memory sampled alone; the work done is the same as one run of the job.

Measured per stage and day: wall time, peak resident memory of the whole process tree (dbt is a
child process, scrub workers grandchildren: see memory.py), CPU seconds of the whole tree (this
process exactly, the others sampled), and the load average (other work on the machine slows a stage
without it being slower). Reported: totals per stage, interactions per second end to end, and
day N against day 1 per stage (the history stages: their run after day N against their run
after day 1), against the goals of issue 7 (whole run under 15 minutes, peak under 4 GB, day 31
within 1.2x of day 1).
"""

from __future__ import annotations

import json
import os
import platform
import resource
import shutil
import statistics
import time
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from pipelines.bench.memory import TreeSampler
from pipelines.settings import FlywheelPaths

DAILY_STAGES = ("ingest", "scrub", "dbt")
HISTORY_STAGES = ("dbt_history", "dataset", "serving")
STAGES = ("generate", *DAILY_STAGES, *HISTORY_STAGES)
GOAL_SECONDS = 15 * 60
GOAL_PEAK_MB = 4 * 1024
GOAL_DAY_RATIO = 1.2
DEFAULT_INTERACTIONS = 1_000_000
DEFAULT_DAYS = 31
QUICK_INTERACTIONS = 3_000
QUICK_DAYS = 2


@dataclass
class StageRun:
    """One stage over one day (or, for history stages, after one day)."""

    stage: str
    day: str
    seconds: float
    peak_mb: float
    cpu_seconds: float
    load_before: float
    load_after: float
    success: bool = True
    detail: str = ""


@dataclass
class BenchConfig:
    interactions: int = DEFAULT_INTERACTIONS
    days: int = DEFAULT_DAYS
    stages: tuple[str, ...] = STAGES
    seed: int = 7
    workspaces: int | None = None  # default: scaled with the interactions per day
    # >1: catching up, dbt's daily models build that many consecutive days per run (runner.run_days)
    days_per_dbt_build: int = 1

    @property
    def interactions_per_day(self) -> int:
        return max(1, self.interactions // self.days)

    start: date | None = None  # default: the window ends yesterday (partitions stop at today)

    @property
    def first_day(self) -> date:
        return self.start or datetime.now(UTC).date() - timedelta(days=self.days)

    @property
    def day_labels(self) -> list[str]:
        return [(self.first_day + timedelta(days=i)).isoformat() for i in range(self.days)]


@dataclass
class BenchResult:
    config: dict[str, Any]
    machine: dict[str, Any]
    runs: list[StageRun] = field(default_factory=list)
    wall_seconds: float = 0.0
    peak_mb: float = 0.0
    events: int = 0
    failed: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["summary"] = summarize(self)
        return out


def _own_cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    return own.ru_utime + own.ru_stime


def _timed(
    sampler: TreeSampler, stage: str, day: str, action: Callable[[], tuple[bool, str]]
) -> StageRun:
    load_before = os.getloadavg()[0]
    cpu_before = _own_cpu_seconds()
    started = time.perf_counter()
    with sampler.measure() as peak:
        try:
            success, detail = action()
        except Exception as error:  # noqa: BLE001 - a stage that raises is a failed stage, reported
            success, detail = False, f"{type(error).__name__}: {error}"
    own_cpu = _own_cpu_seconds() - cpu_before
    return StageRun(
        stage=stage,
        day=day,
        seconds=round(time.perf_counter() - started, 3),
        peak_mb=round(peak.tree_mb, 1),
        cpu_seconds=round(own_cpu + peak.descendants_cpu_seconds, 2),
        load_before=round(load_before, 2),
        load_after=round(os.getloadavg()[0], 2),
        success=success,
        detail=detail,
    )


def _stage_keys() -> dict[str, tuple[str, list[Any]]]:
    """Which job and which asset keys make each Dagster stage (imports the definitions)."""
    from pipelines.datasets.assets import training_dataset
    from pipelines.definitions import DAILY_JOB, REFRESH_JOB
    from pipelines.ingest.assets import billing_events, raw_events
    from pipelines.privacy.assets import scrubbed_events
    from pipelines.serving.assets import serving_snapshot
    from pipelines.signals.assets import HISTORY_DBT_ASSETS, signals_dbt_daily

    return {
        "ingest": (DAILY_JOB, [*raw_events.keys, *billing_events.keys]),
        "scrub": (DAILY_JOB, list(scrubbed_events.keys)),
        "dbt": (DAILY_JOB, list(signals_dbt_daily.keys)),
        "dbt_history": (REFRESH_JOB, [k for a in HISTORY_DBT_ASSETS for k in a.keys]),
        "dataset": (REFRESH_JOB, list(training_dataset.keys)),
        "serving": (REFRESH_JOB, list(serving_snapshot.keys)),
    }


# Runs one Dagster stage: (stage, a day, a range of days (first, last) when dbt catches up, or
# None for the history job) -> (success, detail).
Partition = str | tuple[str, str] | None
StageExecutor = Callable[[str, Partition], tuple[bool, str]]


def run_bench(
    paths: FlywheelPaths,
    config: BenchConfig,
    on_stage: Callable[[StageRun], None] | None = None,
    execute: StageExecutor | None = None,
) -> BenchResult:
    """Run the benchmark in ``paths`` (wiped first when the simulator runs) and return its figures.

    ``execute`` replaces the Dagster runs of the stages (tests of the benchmark's own logic).
    """
    from pipelines import runner

    unknown = [s for s in config.stages if s not in STAGES]
    if unknown:
        raise ValueError(f"unknown stage(s) {unknown}: choose among {', '.join(STAGES)}")
    if "generate" in config.stages and paths.home.exists():
        shutil.rmtree(paths.home)  # a fresh home: ingest, dedup and dbt start from nothing
    runner.prepare_environment(paths)
    result = BenchResult(config=_config_dict(config), machine=_machine())
    started = time.perf_counter()

    def record(run: StageRun) -> bool:
        result.runs.append(run)
        if on_stage:
            on_stage(run)
        if not run.success:
            result.failed = f"{run.stage} {run.day}: {run.detail}"
        return run.success

    with TreeSampler() as sampler:
        if "generate" in config.stages and not record(
            _timed(sampler, "generate", "all days", lambda: _generate(paths, config, result))
        ):
            return _finish(result, started, sampler)
        days = config.day_labels
        missing = [d for d in days if not (paths.landing / "events" / f"date={d}").is_dir()]
        if missing and any(s != "generate" for s in config.stages):
            raise FileNotFoundError(
                f"no landing files for {len(missing)} day(s) in {paths.landing} (first {missing[0]}): "
                "include the generate stage or point --home at a generated home"
            )
        daily = [s for s in DAILY_STAGES if s in config.stages]
        history = [s for s in HISTORY_STAGES if s in config.stages]
        with ExitStack() as stack:
            if execute is None and (daily or history):
                execute = _dagster_executor(stack, paths)

            def stage_action(stage: str, partition: Partition) -> Callable[[], tuple[bool, str]]:
                return lambda: execute(stage, partition)  # type: ignore[misc]

            # catching up: dbt runs on the last day of each range, over the range
            dbt_ranges = {group[-1]: (group[0], group[-1])
                          for group in runner.consecutive_groups(days, config.days_per_dbt_build)}
            for index, day in enumerate(days):
                for stage in daily:
                    partition: Partition = day
                    if stage == "dbt" and config.days_per_dbt_build > 1:
                        if day not in dbt_ranges:
                            continue
                        partition = dbt_ranges[day]
                    if not record(_timed(sampler, stage, day, stage_action(stage, partition))):
                        return _finish(result, started, sampler)
                # history stages after day 1 and the last day; alone (no daily stage), once
                if index in ({0, len(days) - 1} if daily else {len(days) - 1}):
                    final = index == len(days) - 1
                    for stage in history:
                        run = _timed(sampler, stage, day, stage_action(stage, None))
                        if final:
                            if not record(run):
                                return _finish(result, started, sampler)
                        else:
                            # after day 1 the history may be too small for a gate (min_examples):
                            # the run is kept for its time, and the benchmark goes on
                            result.runs.append(run)
                            if on_stage:
                                on_stage(run)
    return _finish(result, started, sampler)


def _dagster_executor(stack: ExitStack, paths: FlywheelPaths) -> StageExecutor:
    """Each stage as an in-process run of its assets, with the definitions ``flywheel run`` uses."""
    from pipelines import runner
    from pipelines.dagster_instance import open_instance
    from pipelines.definitions import defs

    keys = _stage_keys()
    instance = stack.enter_context(open_instance(paths.dagster_home))

    def execute(stage: str, partition: Partition) -> tuple[bool, str]:
        job, selection = keys[stage]
        if isinstance(partition, tuple):
            outcome = runner._execute(defs, job, instance, None, selection, partition_range=partition)
        else:
            outcome = runner._execute(defs, job, instance, partition, asset_selection=selection)
        problems = outcome.failed_steps + [f"check {c}" for c in outcome.failed_checks]
        return outcome.success, "; ".join(problems) or f"run {outcome.run_id}"

    return execute


def _finish(result: BenchResult, started: float, sampler: TreeSampler) -> BenchResult:
    result.wall_seconds = round(time.perf_counter() - started, 2)
    result.peak_mb = round(max([sampler.overall_mb, *(r.peak_mb for r in result.runs)]), 1)
    result.machine["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    return result


def _generate(paths: FlywheelPaths, config: BenchConfig, result: BenchResult) -> tuple[bool, str]:
    from pipelines.simulator import SimulationConfig
    from pipelines.simulator import generate as simulate

    per_day = config.interactions_per_day
    simulation = SimulationConfig(
        seed=config.seed,
        start=config.first_day,
        days=config.days,
        interactions_per_day=per_day,
        # the default 120 workspaces suit 2,000 turns a day; keep turns per workspace about the same
        workspaces=config.workspaces or max(120, per_day * 120 // 2000),
    )
    report = simulate(paths, simulation)
    result.events = report.events_written
    return True, f"{report.events_written} events, {report.bytes_written / 2**20:.0f} MiB"


def _config_dict(config: BenchConfig) -> dict[str, Any]:
    return {
        "interactions": config.interactions_per_day * config.days,
        "days": config.days,
        "interactions_per_day": config.interactions_per_day,
        "stages": list(config.stages),
        "seed": config.seed,
        "workspaces": config.workspaces or max(120, config.interactions_per_day * 120 // 2000),
        "days_per_dbt_build": config.days_per_dbt_build,
    }


def _machine() -> dict[str, Any]:
    from pipelines.resources import FlywheelHome

    return {
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "memory_total_mb": _mem_total_mb(),
        "load_average_start": [round(x, 2) for x in os.getloadavg()],
        "scrub_workers": FlywheelHome.model_fields["scrub_workers"].default,
        "started_at": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
    }


def _mem_total_mb() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024)
    except OSError:
        pass
    return None


# --- summary and report --------------------------------------------------------------------------


def _ratio(last: float, first: float) -> float | None:
    return round(last / first, 2) if first > 0 else None


def _asked_for_a_million(interactions: int, days: int) -> bool:
    """Whether a run of ``interactions`` (whole days of ``interactions // days``) was the goal's
    million: splitting into days drops fewer than ``days`` of them (999,998 over 31 days)."""
    return interactions + days > DEFAULT_INTERACTIONS


def summarize(result: BenchResult) -> dict[str, Any]:
    """Totals per stage, end-to-end throughput, day N against day 1, and the goals."""
    stages: dict[str, Any] = {}
    for stage in STAGES:
        runs = [r for r in result.runs if r.stage == stage]
        if not runs:
            continue
        total = sum(r.seconds for r in runs)
        entry: dict[str, Any] = {
            "runs": len(runs),
            "seconds": round(total, 2),
            "share": round(total / result.wall_seconds, 3) if result.wall_seconds else None,
            "peak_mb": max(r.peak_mb for r in runs),
            "cpu_seconds": round(sum(r.cpu_seconds for r in runs), 1),
            "mean_load": round(
                statistics.fmean((r.load_before + r.load_after) / 2 for r in runs), 2
            ),
        }
        if len(runs) >= 2:
            first, last = runs[0], runs[-1]
            entry.update(first_day=first.day, last_day=last.day, first_seconds=first.seconds,
                         last_seconds=last.seconds, day_ratio=_ratio(last.seconds, first.seconds),
                         first_peak_mb=first.peak_mb, last_peak_mb=last.peak_mb,
                         peak_ratio=_ratio(last.peak_mb, first.peak_mb),
                         first_cpu_seconds=first.cpu_seconds, last_cpu_seconds=last.cpu_seconds,
                         # work done: little moved by other load on a shared machine (wall time is)
                         cpu_ratio=_ratio(last.cpu_seconds, first.cpu_seconds))  # fmt: skip
            if stage in DAILY_STAGES and len(runs) >= 6:
                # less noisy than one day against another on a shared machine
                head = statistics.fmean(r.seconds for r in runs[:3])
                tail = statistics.fmean(r.seconds for r in runs[-3:])
                entry["last3_vs_first3_ratio"] = _ratio(tail, head)
        stages[stage] = entry
    interactions = result.config["interactions"]
    complete = result.failed is None and set(result.config["stages"]) == set(STAGES)
    # a stage run once (one day; dbt catching up all days in one build) has no ratio to judge
    judged = {s: v for s, v in stages.items() if s in DAILY_STAGES and v["runs"] >= 2}
    daily_ratios = {s: v.get("day_ratio") for s, v in judged.items()}
    daily_cpu_ratios = {s: v.get("cpu_ratio") for s, v in judged.items()}
    return {
        "stages": stages,
        "interactions": interactions,
        "interactions_per_second": round(interactions / result.wall_seconds, 1)
        if result.wall_seconds
        else None,
        "wall_seconds": result.wall_seconds,
        "peak_mb": result.peak_mb,
        "complete": complete,
        "goals": {
            # the time goal is for a million interactions: a smaller run neither meets nor fails it
            "wall_under_15_min": (
                result.wall_seconds <= GOAL_SECONDS
                if complete and _asked_for_a_million(interactions, result.config["days"])
                else None
            ),
            "peak_under_4_gb": result.peak_mb <= GOAL_PEAK_MB,
            "daily_stages_day_ratio_within_1_2": (
                all(r is not None and r <= GOAL_DAY_RATIO for r in daily_ratios.values())
                if daily_ratios
                else None
            ),
            "daily_stages_cpu_ratio_within_1_2": (
                all(r is not None and r <= GOAL_DAY_RATIO for r in daily_cpu_ratios.values())
                if daily_cpu_ratios
                else None
            ),
        },
    }


def format_markdown(result: BenchResult) -> str:
    s = summarize(result)
    c, m = result.config, result.machine
    minutes = result.wall_seconds / 60
    lines = [
        f"# End-to-end benchmark: {c['interactions']:,} interactions over {c['days']} days",
        "",
        f"- machine: {m['cpu_count']} CPUs, {m.get('memory_total_mb')} MB RAM, Python {m['python']}; "
        f"load average at start {m['load_average_start']}, at end {m.get('load_average_end')} "
        "(other work on the machine counts in the wall times)",
        f"- started {m['started_at']}; {c['interactions_per_day']:,} interactions a day, "
        f"{c['workspaces']} workspaces, seed {c['seed']}, {result.events:,} events generated, "
        f"{m['scrub_workers']} scrub workers",
        f"- whole run: **{result.wall_seconds:,.0f} s ({minutes:.1f} min)**, "
        f"**{s['interactions_per_second']} interactions/s** end to end, "
        f"peak memory **{result.peak_mb:,.0f} MB** (process tree)",
    ]
    if c.get("days_per_dbt_build", 1) > 1:
        lines.append(f"- catching up: dbt's daily models built up to {c['days_per_dbt_build']} days per run "
                     "(a dbt run is listed under the last day of its range; its last/first compares builds)")
    if result.failed:
        lines.append(f"- **FAILED** at {result.failed}")
    goals = s["goals"]

    def mark(value: bool | None) -> str:
        return "n/a" if value is None else ("met" if value else "**not met**")

    lines += [
        f"- goals: under 15 min {mark(goals['wall_under_15_min'])}; peak under 4 GB "
        f"{mark(goals['peak_under_4_gb'])}; daily stages' day {c['days']} within 1.2x of day 1 "
        f"{mark(goals['daily_stages_day_ratio_within_1_2'])} in wall time, "
        f"{mark(goals['daily_stages_cpu_ratio_within_1_2'])} in CPU time",
        "",
        "| stage | runs | total s | share | peak MB | CPU s | mean load | first s | last s "
        "| last/first | last 3/first 3 | CPU last/first |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for stage, v in s["stages"].items():
        lines.append(
            f"| {stage} | {v['runs']} | {v['seconds']:,.1f} | {_pct(v['share'])} | {v['peak_mb']:,.0f} | "
            f"{v['cpu_seconds']:,.0f} | {v['mean_load']} | {_num(v.get('first_seconds'))} | "
            f"{_num(v.get('last_seconds'))} | {_num(v.get('day_ratio'))} | {_num(v.get('last3_vs_first3_ratio'))} | {_num(v.get('cpu_ratio'))} |"
        )
    lines += [
        "",
        "Daily stages (ingest, scrub, dbt) run once per arrival day; last/first is day "
        f"{c['days']} against day 1. History stages run after day 1 and after day {c['days']} "
        "(a rebuild over all history: its cost grows with the history by design). CPU s: the whole "
        "process tree (dbt, scrub workers included), a measure of work that other load on the "
        "machine does not inflate much.",
    ]
    return "\n".join(lines) + "\n"


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:,.2f}"


def write_report(result: BenchResult, directory: Path) -> tuple[Path, Path]:
    """``e2e-<interactions>x<days>.{json,md}`` under ``directory``; returns both paths."""
    directory.mkdir(parents=True, exist_ok=True)
    stem = f"e2e-{result.config['interactions']}x{result.config['days']}"
    json_path, md_path = directory / f"{stem}.json", directory / f"{stem}.md"
    json_path.write_text(json.dumps(result.to_dict(), indent=2) + "\n")
    md_path.write_text(format_markdown(result))
    return json_path, md_path


def stage_line(run: StageRun) -> str:
    mark = "ok" if run.success else "FAILED"
    return (
        f"{mark} {run.stage:<11} {run.day:<10} {run.seconds:8.1f} s  peak {run.peak_mb:7.0f} MB  "
        f"cpu {run.cpu_seconds:7.1f} s  load {run.load_before:.1f}->{run.load_after:.1f}"
        + ("" if run.success else f"  {run.detail}")
    )


def parse_stages(values: Sequence[str] | None) -> tuple[str, ...]:
    """Stage names from ``--stage`` options (repeatable, or comma separated), in pipeline order."""
    if not values:
        return STAGES
    chosen = {s.strip() for v in values for s in v.split(",") if s.strip()}
    unknown = sorted(chosen - set(STAGES))
    if unknown:
        raise ValueError(f"unknown stage(s) {unknown}: choose among {', '.join(STAGES)}")
    return tuple(s for s in STAGES if s in chosen)
