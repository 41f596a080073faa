"""The lake's helpers: the atomic replace when the lake and the scratch directory are on different
filesystems, and where a stage's DuckDB connection spills."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

from pipelines import lake, scratch

# tmpfs: another filesystem than the one pytest's tmp_path is on (asserted below)
OTHER_FILESYSTEM = Path("/dev/shm")


def test_a_file_is_moved_into_place_across_filesystems_with_nothing_left_beside(tmp_path: Path) -> None:
    assert os.stat(OTHER_FILESYSTEM).st_dev != os.stat(tmp_path).st_dev, "need two filesystems"
    source = OTHER_FILESYSTEM / f"flywheel-test-{uuid.uuid4().hex}.parquet"
    final = tmp_path / "ingest_date=2026-11-02" / "part-0.parquet"
    final.parent.mkdir()
    final.write_bytes(b"the old day")
    source.write_bytes(b"the new day")
    try:
        lake.replace_across_filesystems(source, final)
    finally:
        source.unlink(missing_ok=True)
    assert final.read_bytes() == b"the new day"
    assert not source.exists()
    assert [p.name for p in final.parent.iterdir()] == ["part-0.parquet"]


def test_atomic_path_writes_through_a_scratch_directory_on_another_filesystem(tmp_path: Path) -> None:
    scratch_dir = OTHER_FILESYSTEM / f"flywheel-test-{uuid.uuid4().hex}"
    final = tmp_path / "lake" / "events" / "ingest_date=2026-11-02" / "part-0.parquet"
    try:
        with lake.atomic_path(final, scratch_dir) as scratch:
            scratch.write_bytes(b"rows")
        assert final.read_bytes() == b"rows"
        assert not list(scratch_dir.iterdir())
    finally:
        for leftover in scratch_dir.glob("*"):
            leftover.unlink()
        scratch_dir.rmdir()



def test_a_stage_connection_spills_under_the_homes_tmp_never_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ingest, the leak check and a deletion's search read the raw zone through this connection:
    DuckDB's default spill folder for an in-memory database is ``.tmp`` in the working directory,
    which would put unscrubbed text outside the home."""
    home_tmp, working_dir = tmp_path / "home" / "tmp", tmp_path / "cwd"
    working_dir.mkdir()
    monkeypatch.chdir(working_dir)
    con = lake.scratch_connection(home_tmp)
    try:
        con.execute("SET memory_limit = '100MB'")
        con.execute("SET threads = 1")
        # ~150 MB of rows sorted under a 100 MB limit: DuckDB must spill
        con.execute("CREATE TEMP TABLE sorted AS SELECT md5(range::VARCHAR) AS v FROM range(3000000) ORDER BY v")
        (spill_dir,) = home_tmp.iterdir()  # this connection's own folder, named for its process
        assert scratch.owner(spill_dir.name, "duckdb-spill") == os.getpid()
        assert any(spill_dir.iterdir())
        assert con.execute("SELECT count(*) FROM sorted").fetchone() == (3000000,)
    finally:
        con.close()
    assert not any(working_dir.iterdir())
    assert not any(home_tmp.iterdir())  # DuckDB removes its folder when the connection closes
