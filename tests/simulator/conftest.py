"""Fixtures for the simulator tests: small generated runs, read back the way a consumer would."""

from __future__ import annotations

import csv
import gzip
import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC
from pathlib import Path
from typing import Any

import orjson
import pyarrow.parquet as pq
import pytest

from pipelines.settings import FlywheelPaths
from pipelines.simulator import GenerationReport, SimulationConfig
from pipelines.simulator.engine import generate

# Big enough for the configured rates to be measured within a few standard errors, small enough
# to generate in about a second.
RATES_CONFIG = SimulationConfig(seed=11, days=4, interactions_per_day=1200, huge_line_bytes=1_200_000)
SMALL_CONFIG = SimulationConfig(seed=5, days=2, interactions_per_day=150, huge_line_bytes=1_100_000)


@dataclass
class Landed:
    """A real event as it landed (first copy), and where."""

    doc: dict[str, Any]
    file: str
    line: int


@dataclass
class Dataset:
    """One generated run, every file read back."""

    paths: FlywheelPaths
    config: SimulationConfig
    report: GenerationReport
    truth: dict[str, Any] = field(default_factory=dict)
    faults: dict[str, Any] = field(default_factory=dict)
    injected: list[dict[str, Any]] = field(default_factory=list)
    consent: list[dict[str, str]] = field(default_factory=list)
    mrr: list[dict[str, str]] = field(default_factory=list)
    # (file, line) -> raw bytes, for every line of every readable JSONL file.
    raw_lines: dict[tuple[str, int], bytes] = field(default_factory=dict)
    # Real events (first landing of each event_id), and how many times each id landed.
    events: dict[str, Landed] = field(default_factory=dict)
    copies: dict[str, list[tuple[str, int]]] = field(default_factory=lambda: defaultdict(list))
    billing: list[dict[str, Any]] = field(default_factory=list)

    @property
    def malformed(self) -> dict[tuple[str, int], dict[str, Any]]:
        return {(m["file"], m["line"]): m for m in self.faults["malformed"]}

    @property
    def broken_files(self) -> dict[str, dict[str, Any]]:
        return {f["file"]: f for f in self.faults["files"]}

    def by_type(self, event_type: str) -> list[dict[str, Any]]:
        return [e.doc for e in self.events.values() if e.doc["event_type"] == event_type]


def parquet_docs(path: Path) -> list[dict[str, Any]]:
    """Parquet rows as the JSON objects they stand for: nulls dropped, timestamps as RFC 3339 UTC."""
    docs = []
    for row in pq.read_table(path).to_pylist():
        doc = {}
        for key, value in row.items():
            if value is None:
                continue
            if key == "occurred_at":
                value = value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
            doc[key] = value
        docs.append(doc)
    return docs


def read_dataset(paths: FlywheelPaths, config: SimulationConfig, report: GenerationReport) -> Dataset:
    data = Dataset(paths, config, report)
    truth_dir = paths.ground_truth
    data.truth = json.loads((truth_dir / "truth.json").read_text())
    data.faults = json.loads((truth_dir / "faults.json").read_text())
    data.injected = [orjson.loads(line) for line in gzip.decompress((truth_dir / "injected.jsonl.gz").read_bytes()).splitlines()]
    with (truth_dir / "consent.csv").open() as handle:
        data.consent = list(csv.DictReader(handle))
    with (truth_dir / "mrr.csv").open() as handle:
        data.mrr = list(csv.DictReader(handle))
    malformed = data.malformed
    broken = data.broken_files
    for folder in sorted(paths.landing.glob("events/date=*")):
        for path in sorted(folder.iterdir()):
            name = str(path.relative_to(paths.landing))
            if name in broken:
                continue
            if path.suffix == ".parquet":
                rows = [(i, doc) for i, doc in enumerate(parquet_docs(path), start=1)]
            else:
                lines = gzip.decompress(path.read_bytes()).split(b"\n")
                assert lines[-1] == b"", f"{name} must end with a newline"
                rows = []
                for i, line in enumerate(lines[:-1], start=1):
                    data.raw_lines[(name, i)] = line
                    if (name, i) not in malformed:
                        rows.append((i, orjson.loads(line)))
            for i, doc in rows:
                data.copies[doc["event_id"]].append((name, i))
                data.events.setdefault(doc["event_id"], Landed(doc, name, i))
    for path in sorted(paths.landing.glob("billing/date=*/*.jsonl")):
        data.billing.extend(orjson.loads(line) for line in path.read_bytes().splitlines())
    return data


def _run(root: Path, config: SimulationConfig, workers: int = 1) -> tuple[FlywheelPaths, GenerationReport]:
    paths = FlywheelPaths(home=root)
    return paths, generate(paths, config, workers=workers)


@pytest.fixture(scope="session")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Dataset:
    paths, report = _run(tmp_path_factory.mktemp("rates"), RATES_CONFIG)
    return read_dataset(paths, RATES_CONFIG, report)


@pytest.fixture(scope="session")
def small_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[FlywheelPaths, GenerationReport]:
    return _run(tmp_path_factory.mktemp("small"), SMALL_CONFIG)


@pytest.fixture(scope="session")
def small_config() -> SimulationConfig:
    return SMALL_CONFIG


@pytest.fixture(scope="session")
def run_small():
    """Generate SMALL_CONFIG (or a variant) into a directory: for determinism checks."""
    return _run
