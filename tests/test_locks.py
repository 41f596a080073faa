"""Two runs at once: the second stops with a clear message or waits; a killed holder frees the lock."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipelines.locks import RunLockHeld, exclusive_run

HOLD = """
import sys, time
from pathlib import Path
from pipelines.locks import exclusive_run
with exclusive_run(Path(sys.argv[1])):
    print("held", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def _holder(lock: Path, seconds: float) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(lock), str(seconds)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "held"
    return proc


def test_second_run_stops_with_a_clear_message(tmp_path: Path) -> None:
    lock = tmp_path / "state" / "run.lock"
    holder = _holder(lock, 30)
    try:
        with pytest.raises(RunLockHeld, match=rf"pid {holder.pid}.*--wait"), exclusive_run(lock):
            pass
    finally:
        holder.kill()
        holder.wait()


def test_second_run_waits_for_the_first(tmp_path: Path) -> None:
    lock = tmp_path / "run.lock"
    holder = _holder(lock, 1.0)
    started = time.monotonic()
    with exclusive_run(lock, wait_seconds=30, poll_seconds=0.05):
        waited = time.monotonic() - started
    assert 0.5 < waited < 30  # we only got in once the first run (1 s) had finished
    holder.wait()


def test_a_killed_run_leaves_no_stale_lock(tmp_path: Path) -> None:
    lock = tmp_path / "run.lock"
    holder = _holder(lock, 60)
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    with exclusive_run(lock):
        pass
