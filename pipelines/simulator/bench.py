"""How fast the simulator writes events: ``python -m pipelines.simulator.bench [days] [interactions_per_day]``.

Reports wall-clock events/s, the CPU time spent (this process and its worker processes, so
a busy shared machine can be told apart from a slow simulator) and peak resident memory.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from pipelines.settings import FlywheelPaths
from pipelines.simulator.config import SimulationConfig
from pipelines.simulator.engine import default_workers, generate


def _cpu_seconds() -> tuple[float, float]:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def benchmark(days: int = 3, interactions_per_day: int = 20_000, workers: int | None = None,
              seed: int = 7) -> dict[str, Any]:
    """Run ``generate`` into a temporary home and return (and print) its speed and memory."""
    config = SimulationConfig(seed=seed, days=days, interactions_per_day=interactions_per_day)
    chosen = default_workers(config) if workers is None else workers
    load_before = os.getloadavg()[0]
    own_before, children_before = _cpu_seconds()
    with tempfile.TemporaryDirectory(prefix="flywheel-bench-") as home:
        started = time.perf_counter()
        report = generate(FlywheelPaths(home=Path(home)), config, workers=chosen)
        wall = time.perf_counter() - started
    own_after, children_after = _cpu_seconds()
    cpu = (own_after - own_before) + (children_after - children_before)
    result = {
        "days": days,
        "interactions_per_day": interactions_per_day,
        "workers": chosen,
        "cpu_count": os.cpu_count(),
        "events": report.events_written,
        "lines": sum(d.valid + d.duplicate + sum(d.malformed.values()) for d in report.days),
        "bytes_written": report.bytes_written,
        "seconds": round(wall, 3),
        "events_per_second": round(report.events_written / wall),
        "cpu_seconds": round(cpu, 3),
        "events_per_cpu_second": round(report.events_written / cpu) if cpu else None,
        # ru_maxrss is in KiB on Linux; children: the largest worker process.
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "peak_worker_rss_mib": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1),
        "load_average_before": round(load_before, 2),
    }
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    arguments = [int(a) for a in sys.argv[1:3]]
    benchmark(*arguments)
