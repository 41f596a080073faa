"""For benchmarks and mart tests that measure what comes after scrubbing: lake/events as a copy of raw/events.

dbt reads only the scrubbed lake (``lake/events``), which the ``scrubbed_events`` asset writes.
The dbt and dashboard benchmarks and the business-mart tests measure what comes after scrubbing,
which does not change what dbt does or costs, so they fill ``lake/events`` by copying ingest's
partitions instead of paying for scrubbing. Never use this in a deployment: raw text is not scrubbed.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from pipelines import lake
from pipelines.settings import FlywheelPaths


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
