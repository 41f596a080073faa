"""A read-only ``$FLYWHEEL_HOME`` (or a read-only part of it): a clear error, the last good state kept.

The tests run as root, which ignores file permissions, so "unwritable" is made the way an
operator meets it on a server: a read-only mount. Each run happens in a mount namespace of its
own (``unshare --mount``) where the directory is bind-mounted read-only; writes then fail with
EROFS for every user, root included, and nothing outside the run sees the mount.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from pipelines import settings
from tests.faults import harness
from tests.faults.conftest import Reference

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("faults")]

# sh -c SCRIPT DIR COMMAND...: $0 is the directory, "$@" the command run once it is read-only
READ_ONLY_SCRIPT = 'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" "$0" && exec "$@"'


def read_only(directory: Path) -> list[str]:
    """A command prefix: what follows runs with ``directory`` mounted read-only, for it alone."""
    return ["unshare", "--mount", "--propagation", "private", "sh", "-c", READ_ONLY_SCRIPT, str(directory)]


def fingerprint(root: Path) -> dict[str, str]:
    """Every file under ``root`` (its relative path) and a digest of its bytes."""
    return {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*")) if path.is_file()
    }


def test_a_read_only_home_stops_the_run_before_any_stage_and_changes_nothing(
    reference: Reference, tmp_path: Path
) -> None:
    # the last good state: a home after a complete run (warehouse, lake, training set, snapshot)
    home = settings.paths(tmp_path / "home")
    shutil.copytree(reference.paths.home, home.home, symlinks=True)
    before = fingerprint(home.home)

    outcome = harness.run(home, prefix=read_only(home.home))

    assert outcome.returncode == 4, outcome.tail()
    said = " ".join((outcome.stdout + outcome.stderr).split())  # rich wraps long lines
    assert f"cannot use {home.home}" in said, outcome.tail()
    assert "Read-only file system" in said and "the last good state is intact" in said, outcome.tail()
    assert "Mount $FLYWHEEL_HOME read-write" in said, outcome.tail()
    assert "Traceback" not in outcome.stdout + outcome.stderr, outcome.tail()
    assert fingerprint(home.home) == before


def test_a_read_only_lake_fails_the_run_with_the_reason_and_a_writable_rerun_completes_it(
    reference: Reference, landed: settings.FlywheelPaths, tmp_path: Path
) -> None:
    """Only the lake is read-only (a mount gone read-only under a running platform): the stage that
    writes it fails with the reason, no half-written file is left, and once the lake is writable
    again a plain re-run ends in exactly the state of an uninterrupted run."""
    home = harness.copy_inputs(landed, tmp_path / "home")
    outcome = harness.run(home, prefix=read_only(home.lake))

    assert outcome.returncode == 1, outcome.tail()
    said = " ".join((outcome.stdout + outcome.stderr).split())
    assert "step failed" in said and "Read-only file system" in said, outcome.tail()
    assert "the last good state is intact" in said, outcome.tail()
    assert not [p for p in home.lake.rglob("*") if p.is_file()], "the read-only lake holds files"
    assert not [p for p in home.tmp.rglob("*.parquet")], "scratch files were left behind"

    rerun = harness.run(home)
    assert rerun.returncode == 0, rerun.tail()
    assert harness.state_differences(reference.paths, home) == []
