"""Same config, same bytes: across runs, re-runs into the same home, and worker counts."""

from __future__ import annotations

import dataclasses
import tracemalloc
from pathlib import Path

from pipelines.settings import FlywheelPaths
from pipelines.simulator import SimulationConfig, generate


def _files(home: Path) -> dict[str, bytes]:
    """Every file the simulator owns under ``home``, by relative path."""
    return {
        str(p.relative_to(home)): p.read_bytes()
        for root in ("landing", "simulator")
        for p in sorted((home / root).rglob("*"))
        if p.is_file()
    }


def test_same_seed_gives_byte_identical_files(small_run, run_small, small_config, tmp_path):
    paths, _ = small_run
    again, _ = run_small(tmp_path / "again", small_config)
    first, second = _files(paths.home), _files(again.home)
    assert first.keys() == second.keys()
    assert [name for name in first if first[name] != second[name]] == []
    assert any(name.endswith(".jsonl.gz") for name in first)
    assert any(name.endswith("feedback-export.parquet") for name in first)


def test_gzip_headers_carry_no_time_or_name(small_run):
    paths, _ = small_run
    for path in paths.landing.rglob("part-0[0-3].jsonl.gz"):
        header = path.read_bytes()[:10]
        assert header[:3] == b"\x1f\x8b\x08"
        assert header[3] & 0x08 == 0, f"{path.name}: a file name is stored in the gzip header"
        assert header[4:8] == b"\0\0\0\0", f"{path.name}: gzip mtime must be 0"


def test_different_seed_gives_different_data(small_run, run_small, small_config, tmp_path):
    paths, _ = small_run
    other, _ = run_small(tmp_path / "other", dataclasses.replace(small_config, seed=small_config.seed + 1))
    first, second = _files(paths.home), _files(other.home)
    day0 = "landing/events/date=2026-11-02/part-00.jsonl.gz"
    assert first[day0] != second[day0]
    assert first["simulator/mrr.csv"] != second["simulator/mrr.csv"]


def test_worker_processes_do_not_change_a_byte(small_run, run_small, small_config, tmp_path):
    paths, _ = small_run
    parallel, _ = run_small(tmp_path / "parallel", small_config, workers=2)
    assert _files(paths.home) == _files(parallel.home)


def test_rerun_into_the_same_home_replaces_the_files(small_run, run_small, small_config, tmp_path):
    paths, _ = small_run
    home = tmp_path / "rerun"
    run_small(home, dataclasses.replace(small_config, seed=99))
    stray = home / "landing/events/date=2026-11-02/part-77.jsonl.gz"
    stray.write_bytes(b"left over")
    run_small(home, small_config)
    assert not stray.exists()
    assert _files(home) == _files(paths.home)
    assert not (home / "tmp" / "simulator").exists(), "the staging area is cleaned up"


def _peak_bytes(home: Path, days: int) -> int:
    config = SimulationConfig(seed=3, days=days, interactions_per_day=120, huge_line_bytes=0)
    tracemalloc.start()
    try:
        generate(FlywheelPaths(home=home), config, workers=1)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_stays_flat_in_the_number_of_days(tmp_path):
    two, eight = _peak_bytes(tmp_path / "two", 2), _peak_bytes(tmp_path / "eight", 8)
    assert eight < 1.5 * two, f"peak memory grew from {two:,} B (2 days) to {eight:,} B (8 days)"
