"""For benchmarks and mart tests that measure what comes after scrubbing: lake/events as a copy of raw/events.

dbt reads only the scrubbed lake (``lake/events``), which the ``scrubbed_events`` asset writes.
Where that asset is not available (a checkout without the privacy stage, or the benchmark, which
measures dbt alone), tests and the benchmark fill ``lake/events`` by copying ingest's partitions.
Never use this in a deployment: raw text is not scrubbed.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg

from pipelines import lake
from pipelines.settings import FlywheelPaths

SCRUBBED_EVENTS = dg.AssetKey("scrubbed_events")


def copy_raw_events_to_lake(paths: FlywheelPaths, day: str) -> Path:
    """Copy one arrival day of raw/events into lake/events, atomically; returns the lake file."""
    source = lake.partition_path(paths.raw_table("events"), day)
    if not source.exists():
        raise FileNotFoundError(
            f"no raw events for {day} at {source}: run ingest for that day first"
        )
    target = lake.partition_path(paths.lake_table("events"), day)
    with lake.atomic_path(target, paths.tmp) as scratch:
        shutil.copyfile(source, scratch)
    return target


def scrubbing_is_defined(defs: dg.Definitions) -> bool:
    """True when the code location materializes ``scrubbed_events`` (the privacy stage exists)."""
    graph = defs.resolve_asset_graph()
    return graph.has(SCRUBBED_EVENTS) and graph.get(SCRUBBED_EVENTS).is_materializable
