"""``generate``: simulate the platform day by day into the landing zone, with its ground truth.

Each day is planned here (who works when), then split into part files that are simulated
independently (in worker processes when the run is big enough: the machine's second core) and
finished here in day order (late arrivals, the feedback export, broken files). The bytes do not
depend on the number of workers.

Memory stays flat in the number of days: the population is bounded and computed up front; parts
are streamed into gzip writers; only events arriving on a later day (a few percent) are carried
over, and only a few parts are in flight at once. Every file is built under
``$FLYWHEEL_HOME/tmp/simulator`` and moved into place when complete, replacing what an earlier run
wrote for the same day; day folders this run does not cover are left alone.
"""

from __future__ import annotations

import collections
import dataclasses
import multiprocessing
import os
import shutil
import time
import zlib
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from decimal import Decimal
from pathlib import Path
from typing import Any

from pipelines.settings import FlywheelPaths
from pipelines.simulator import clock, truth
from pipelines.simulator.catalog import fx_rates
from pipelines.simulator.config import DayLines, GenerationReport, SimulationConfig
from pipelines.simulator.faults import FaultLog, write_faults_json
from pipelines.simulator.landing import Carried, finish_day, part_name, plant_file_faults
from pipelines.simulator.output import GZIP_LEVEL, Compressor, GzipLineWriter, write_jsonl
from pipelines.simulator.population import Population, build_population
from pipelines.simulator.randomness import below, stream
from pipelines.simulator.sessions import plan_day
from pipelines.simulator.worker import (
    INJECTED_SHARD,
    PartResult,
    PartTask,
    remember_population,
    run_part,
)
from pipelines.worker_pools import can_start_workers

BILLING_FILE = "billing.jsonl"
HISTORY_FILE = "history.jsonl"
# Below this many interactions in a run, starting worker processes costs more than it saves.
PARALLEL_MIN_INTERACTIONS = 30_000

FAULTS_DESCRIPTION = {
    "files": "broken files: empty_file (0 bytes); truncated_gzip (a re-upload of copy_of cut short; its "
             "complete_lines are copies of copy_of's first lines)",
    "malformed": "extra broken lines: file (relative to landing/), 1-based line, kind, the event_id it carries if any",
    "duplicates": "extra copies of a real event (same event_id, identical content): where each copy landed "
                  "(Parquet: 1-based row)",
    "late": "real events landing after the day they occurred: kind delayed (1-2 days, in the day's late-arrivals "
            "file or the feedback export) or consent_backfill (day 0 re-sends every earlier consent grant)",
}


def default_workers(config: SimulationConfig) -> int:
    if config.interactions_per_day * config.days < PARALLEL_MIN_INTERACTIONS or not can_start_workers():
        return 1
    return max(1, min(os.cpu_count() or 1, config.parts_per_day * config.days))


def _install(built: Path, destination: Path) -> None:
    """Move a finished folder into place, replacing an earlier run's copy."""
    if destination.exists():
        shutil.rmtree(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    os.replace(built, destination)


def _write_billing(population: Population, config: SimulationConfig, staging: Path) -> dict[str, tuple[Path, int]]:
    """Billing landing folders: each day's billing.jsonl, and history.jsonl on the first day."""
    start_ms = clock.day_start_ms(config.start)
    by_day: dict[str, list[dict[str, Any]]] = {day.isoformat(): [] for day in config.day_dates}
    history = []
    for t_ms, doc in population.billing_events:
        if t_ms < start_ms:
            history.append(doc)
        else:
            by_day[clock.ms_to_date(t_ms).isoformat()].append(doc)
    folders: dict[str, tuple[Path, int]] = {}
    for day, docs in by_day.items():
        folder = staging / "billing" / f"date={day}"
        folder.mkdir(parents=True)
        if day == config.start.isoformat():
            write_jsonl(folder / HISTORY_FILE, history)
        folders[day] = (folder, write_jsonl(folder / BILLING_FILE, docs))
    return folders


def _oversize_part(config: SimulationConfig, day_index: int) -> int | None:
    """The part that gets the day's oversize line: on day 0, then on about every other day."""
    rng = stream(config.seed, "oversize", day_index)
    if config.huge_line_bytes <= 0 or config.malformed_rate <= 0:
        return None
    if day_index > 0 and rng.random() >= 0.5:
        return None
    return below(rng, config.parts_per_day)


def _shard(staging: Path, day_index: int, name: str) -> Path:
    return staging / "shards" / f"{day_index:05d}" / name


def _tasks(config: SimulationConfig, population: Population, staging: Path) -> Iterator[PartTask]:
    for day_index, day in enumerate(config.day_dates):
        plan = plan_day(config, population, day_index)
        oversize = _oversize_part(config, day_index)
        folder = staging / "events" / f"date={day.isoformat()}"
        folder.mkdir(parents=True)
        for part in range(config.parts_per_day):
            sessions, consent = plan.shard(part, config.parts_per_day)
            shard = _shard(staging, day_index, f"part-{part:03d}")
            shard.mkdir(parents=True)
            yield PartTask(config, day_index, part, sessions, consent, part == oversize, folder, shard)


def _results(tasks: Iterator[PartTask], workers: int) -> Iterator[PartResult]:
    """Part results in task order, computed in this process or in ``workers`` spawned processes."""
    if workers <= 1 or not can_start_workers():
        yield from map(run_part, tasks)
        return
    # spawn, not fork: the caller may hold threads (Dagster, the gzip thread) that fork would copy mid-lock.
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        pending: collections.deque[Future[PartResult]] = collections.deque()
        for task in tasks:
            pending.append(pool.submit(run_part, task))
            if len(pending) >= 2 * workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def _concatenate_injected(shards: list[Path], destination: Path) -> None:
    """injected.jsonl.gz: every part's planted values, in day and part order."""
    compressor = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 31)
    with destination.open("wb") as out:
        for shard in shards:
            with (shard / INJECTED_SHARD).open("rb") as rows:
                while chunk := rows.read(1 << 20):
                    out.write(compressor.compress(chunk))
        out.write(compressor.flush())


def _days(results: Iterator[PartResult], parts_per_day: int) -> Iterator[list[PartResult]]:
    """Part results grouped by day (they arrive in task order: day by day, part by part)."""
    day: list[PartResult] = []
    for result in results:
        day.append(result)
        if len(day) == parts_per_day:
            yield day
            day = []


@dataclasses.dataclass
class _Run:
    """What the parent accumulates while days complete: counts, carried arrivals, shards, files."""

    config: SimulationConfig
    paths: FlywheelPaths
    staging: Path
    counts: truth.TruthCounts = dataclasses.field(default_factory=truth.TruthCounts)
    carried: dict[int, list[Carried]] = dataclasses.field(default_factory=dict)
    shards: list[Path] = dataclasses.field(default_factory=list)  # faults and injected rows, in order
    written: list[Path] = dataclasses.field(default_factory=list)
    day_lines: list[DayLines] = dataclasses.field(default_factory=list)

    def finish_day(self, parts: list[PartResult], billing: tuple[Path, int], compressor: Compressor) -> None:
        """Absorb a day's parts, write its late arrivals, feedback export and broken files, install it."""
        config, day_index = self.config, parts[0].day_index
        label = config.day_dates[day_index].isoformat()
        folder = self.staging / "events" / f"date={label}"
        for part in parts:
            self.counts.merge(part.counts)
            for item in part.outcome.carry_out:
                self.carried.setdefault(item.arrival_index, []).append(item)
            self.shards.append(_shard(self.staging, day_index, f"part-{part.part:03d}"))
        finishing = _shard(self.staging, day_index, "finish")
        fault_log = FaultLog(finishing)
        late_arrivals = GzipLineWriter(folder / part_name(config.parts_per_day), compressor)
        lines = finish_day(config, day_index, folder, [p.outcome for p in parts], self.carried.pop(day_index, []),
                           late_arrivals, fault_log)
        compressor.drain()  # every part of the day is on disk before part-00 is copied
        plant_file_faults(config, day_index, folder, fault_log)
        fault_log.close()
        self.shards.append(finishing)
        files = sorted(folder.iterdir())
        billing_folder, billing_lines = billing
        self.day_lines.append(dataclasses.replace(lines, billing_events=billing_lines, files=len(files),
                                                  bytes=sum(f.stat().st_size for f in files)))
        for built, destination in ((folder, self.paths.landing_day("events", label)),
                                   (billing_folder, self.paths.landing_day("billing", label))):
            _install(built, destination)
            self.written.extend(sorted(destination.iterdir()))

    def write_ground_truth(self, population: Population, fx: dict[str, Decimal]) -> None:
        truth_dir = self.staging / "truth"
        truth_dir.mkdir(parents=True, exist_ok=True)
        start_ms = clock.day_start_ms(self.config.start)
        billing_counts = {
            "history": sum(1 for t_ms, _ in population.billing_events if t_ms < start_ms),
            "window": sum(d.billing_events for d in self.day_lines),
        }
        _concatenate_injected([s for s in self.shards if (s / INJECTED_SHARD).exists()], truth_dir / truth.INJECTED)
        fault_counts = write_faults_json(truth_dir / truth.FAULTS_JSON, self.shards, FAULTS_DESCRIPTION)
        truth.write_truth_json(truth_dir / truth.TRUTH_JSON, self.config, population, self.counts, fault_counts,
                               billing_counts)
        truth.write_consent_csv(truth_dir / truth.CONSENT_CSV, population)
        truth.write_mrr_csv(truth_dir / truth.MRR_CSV, truth.mrr_rows(population, self.config.end, fx))
        _install(truth_dir, self.paths.ground_truth)
        self.written.extend(sorted(self.paths.ground_truth.iterdir()))


def generate(paths: FlywheelPaths, config: SimulationConfig, workers: int | None = None) -> GenerationReport:
    """Simulate ``config.days`` days into ``paths.landing`` and the ground truth into ``paths.ground_truth``.

    Deterministic: the same config gives byte-identical files, whatever ``workers`` is (default:
    one process for small runs, else one per CPU core). Re-running replaces the files of the
    simulated days and the ground truth.
    """
    started = time.perf_counter()
    workers = default_workers(config) if workers is None else workers
    fx = fx_rates()
    population = build_population(config, fx)
    remember_population(config, population)
    staging = paths.tmp / "simulator"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    billing_folders = _write_billing(population, config, staging)
    run = _Run(config, paths, staging)
    with Compressor() as compressor:
        for parts in _days(_results(_tasks(config, population, staging), workers), config.parts_per_day):
            label = config.day_dates[parts[0].day_index].isoformat()
            run.finish_day(parts, billing_folders[label], compressor)
    run.write_ground_truth(population, fx)
    shutil.rmtree(staging, ignore_errors=True)

    billing_events = len(population.billing_events)
    return GenerationReport(
        events_written=run.counts.interaction_events + billing_events,
        interaction_events=run.counts.interaction_events,
        billing_events=billing_events,
        days=tuple(run.day_lines),
        bytes_written=sum(p.stat().st_size for p in run.written),
        seconds=time.perf_counter() - started,
        landing_dir=paths.landing,
        ground_truth_dir=paths.ground_truth,
        files=tuple(run.written),
    )
