"""The lake's atomic replace when the lake and the scratch directory are on different filesystems."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from pipelines import lake

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

