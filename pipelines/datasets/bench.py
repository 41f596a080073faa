"""Benchmark: build one training-set version from a million interactions; print time and peak memory.

Running the whole pipeline (simulate, ingest, scrub, dbt) on a million interactions would take far
longer than the build itself, and the build reads only three inputs, so the inputs are synthesised
in DuckDB at that scale (``synthetic.synthesize``: the scrubbed lake's prompt and generation events
with the contract's schema, ``fct_generations`` and ``dim_users``). Synthesis and the build run in
separate processes, so the peak resident memory printed is the build's alone (its PII re-scan
workers included).

    python -m pipelines.datasets.bench                        # 1,000,000 interactions
    python -m pipelines.datasets.bench --interactions 100000 --rescan patterns
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import shutil
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from pipelines.datasets.config import KINDS, SPLITS


class _NoScan:
    """Measures the build without the re-scan (the gate is then NOT meaningful: see --rescan)."""

    description = "none (benchmark --rescan skip: the re-scan gate was not run)"
    policy_version = "n/a"

    def findings(self, texts: list[str], kind: str) -> list[dict[str, int]]:
        return [{} for _ in texts]


def _synthesize(home: str, interactions: int, days: int) -> dict[str, Any]:
    from pipelines import settings
    from pipelines.datasets import synthetic

    paths = settings.paths(home)
    settings.ensure_layout(paths)
    started = time.perf_counter()
    report = synthetic.synthesize(paths, interactions, days=days)
    return {"seconds": time.perf_counter() - started, "generations": report.generations,
            "events": report.events, "users": report.users,
            "lake_bytes": sum(p.stat().st_size for p in paths.lake.rglob("*.parquet")),
            "warehouse_bytes": paths.warehouse.stat().st_size}


def _build(home: str, memory_limit: str, rescan: str, scan_workers: int) -> dict[str, Any]:
    from pipelines import settings
    from pipelines.datasets import gates, publish
    from pipelines.datasets.config import BuildOptions, DatasetConfig

    paths = settings.paths(home)
    options = BuildOptions(memory_limit=memory_limit, rescan_mode="patterns" if rescan == "skip" else rescan,
                           scan_workers=scan_workers)
    scanner: Any = _NoScan() if rescan == "skip" else "default"
    started = time.perf_counter()
    result = publish.build_version(paths, DatasetConfig(), options,
                                   upstream=gates.not_checked_upstream("benchmark: no Dagster instance"),
                                   scanner=scanner)
    seconds = time.perf_counter() - started
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    kept = result.manifest["counts"]["kept"] if result.manifest else {}
    version_bytes = sum(p.stat().st_size for p in result.path.rglob("*") if p.is_file()) if result.path else 0
    return {"seconds": seconds, "stages": result.stages, "steps": result.steps, "status": result.status, "error": result.error,
            "version": result.version, "peak_rss_mib": own / 1024, "peak_rss_children_mib": children / 1024,
            "kept": kept, "version_bytes": version_bytes,
            "gates": {g.name: g.passed for g in result.gates}}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--interactions", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--memory-limit", default="2GB", help="DuckDB's memory limit (it spills beyond)")
    parser.add_argument("--rescan", choices=("skip", "patterns", "full"), default="skip",
                        help="the PII re-scan gate: skip (build alone), patterns, or full (with NER)")
    parser.add_argument("--scan-workers", type=int, default=2)
    parser.add_argument("--home", type=Path, help="keep the inputs and the version here")
    parser.add_argument("--reuse-inputs", action="store_true",
                        help="with --home: build from the inputs already there (no synthesis)")
    args = parser.parse_args(argv)

    os.environ.setdefault("FLYWHEEL_PSEUDONYM_KEY", "benchmark-key")
    home = args.home or Path(tempfile.mkdtemp(prefix="flywheel-datasets-bench-"))
    spawn = multiprocessing.get_context("spawn")
    try:
        if not (args.reuse_inputs and args.home and (home / "warehouse.duckdb").exists()):
            print(f"synthesising {args.interactions:,} interactions over {args.days} days in {home} ...", flush=True)
            with ProcessPoolExecutor(1, mp_context=spawn) as pool:
                synth = pool.submit(_synthesize, str(home), args.interactions, args.days).result()
            print(f"  {synth['generations']:,} generations, {synth['events']:,} lake events, {synth['users']:,} "
                  f"users in {synth['seconds']:.1f} s (lake {synth['lake_bytes'] / 2**20:,.0f} MiB)", flush=True)
        shutil.rmtree(home / "exports", ignore_errors=True)  # measure a first publication
        print(f"building a version (memory limit {args.memory_limit}, re-scan {args.rescan}) ...", flush=True)
        with ProcessPoolExecutor(1, mp_context=spawn) as pool:
            built = pool.submit(_build, str(home), args.memory_limit, args.rescan, args.scan_workers).result()
    finally:
        if args.home is None:
            shutil.rmtree(home, ignore_errors=True)
    print(f"  {built['status']} {built['version']}" + (f": {built['error']}" if built["error"] else ""))
    print(f"build time: {built['seconds']:.1f} s  ("
          + ", ".join(f"{stage} {seconds:.1f} s" for stage, seconds in built["stages"].items()) + ")")
    print("  assembly steps: " + ", ".join(f"{step} {seconds:.1f} s" for step, seconds in built["steps"].items()))
    print(f"peak memory (RSS): {built['peak_rss_mib']:,.0f} MiB in the build process"
          + (f", {built['peak_rss_children_mib']:,.0f} MiB in its largest child (a scan worker)"
             if args.rescan != "skip" and args.scan_workers > 1 else ""))
    for kind in KINDS:
        counts = built["kept"].get(kind, {})
        print(f"  {kind:<10} " + "  ".join(f"{split} {counts.get(split, 0):>9,}" for split in SPLITS))
    print(f"version size: {built['version_bytes'] / 2**20:,.0f} MiB; gates: "
          + ", ".join(f"{name} {'ok' if ok else 'FAILED'}" for name, ok in built["gates"].items()))


if __name__ == "__main__":
    main()
