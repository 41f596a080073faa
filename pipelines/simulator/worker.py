"""One unit of parallel work: simulate and write one part file of one day.

A part depends only on the config, the population (rebuilt deterministically in each worker
process, once) and its shard of the day plan, so parts can run in any process in any order and
the bytes stay the same. Results travel back small: counts, the part's feedback rows and the
lines that arrive on later days.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import orjson

from pipelines.simulator import faults
from pipelines.simulator.catalog import fx_rates
from pipelines.simulator.config import SimulationConfig
from pipelines.simulator.landing import ArrivalPart, PartOutcome, part_name
from pipelines.simulator.output import Compressor, GzipLineWriter
from pipelines.simulator.population import Population, build_population
from pipelines.simulator.sessions import Event, PartSimulator, SessionPlan
from pipelines.simulator.truth import TruthCounts

INJECTED_SHARD = "injected.jsonl"

_populations: dict[SimulationConfig, Population] = {}


def population_for(config: SimulationConfig) -> Population:
    """The run's population, built once per process (it is a pure function of the config)."""
    population = _populations.get(config)
    if population is None:
        _populations.clear()
        population = _populations[config] = build_population(config, fx_rates())
    return population


def remember_population(config: SimulationConfig, population: Population) -> None:
    """Share the parent's population with parts run in-process."""
    _populations.clear()
    _populations[config] = population


@dataclass(frozen=True)
class PartTask:
    config: SimulationConfig
    day_index: int
    part: int
    sessions: list[SessionPlan]
    consent: list[Event]
    oversize: bool
    folder: Path  # the day's staging folder
    shard: Path  # this part's folder for injected rows and faults


@dataclass
class PartResult:
    day_index: int
    part: int
    outcome: PartOutcome
    counts: TruthCounts = field(default_factory=TruthCounts)


def run_part(task: PartTask) -> PartResult:
    config = task.config
    population = population_for(config)
    counts = TruthCounts()
    fault_log = faults.FaultLog(task.shard)
    with Compressor() as compressor, (task.shard / INJECTED_SHARD).open("wb") as injected:

        def record_injection(event_id: str, user_id: str, field_name: str, entity: str, value: str) -> None:
            injected.write(orjson.dumps({"event_id": event_id, "user_id": user_id, "field": field_name,
                                         "entity_type": entity, "value": value}) + b"\n")
            counts.injected(field_name, entity)

        simulator = PartSimulator(config, population, task.day_index, task.part, task.sessions, task.consent,
                                  record_injection)
        writer = GzipLineWriter(task.folder / part_name(task.part), compressor)
        arrival = ArrivalPart(config, task.day_index, task.part, writer, fault_log, len(task.sessions), task.oversize)
        for slot, batch in simulator.events():
            counts.observe(batch)
            arrival.add_batch(slot, batch)
        outcome = arrival.close()
    fault_log.close()
    counts.sessions = simulator.sessions
    counts.outcomes = Counter(simulator.outcome_counts)
    counts.drop_cache()
    return PartResult(task.day_index, task.part, outcome, counts)
