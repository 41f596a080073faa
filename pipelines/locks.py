"""One pipeline run at a time per ``$FLYWHEEL_HOME``: an advisory file lock with a clear message.

DuckDB allows one writer process per database file; two runs writing the same warehouse would
fail half way. The lock is taken with ``flock`` so it is released by the kernel if the holder is
killed (a SIGKILLed run never leaves a stale lock behind).
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class RunLockHeld(RuntimeError):
    """Another process is running the pipeline on this home."""


@contextmanager
def exclusive_run(lock_file: Path, wait_seconds: float = 0.0, poll_seconds: float = 0.5) -> Iterator[None]:
    """Hold the run lock for the block; wait up to ``wait_seconds`` for it, then give up clearly."""
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_file, os.O_RDWR | os.O_CREAT, 0o600)
    deadline = time.monotonic() + wait_seconds
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "unknown"
                    raise RunLockHeld(
                        f"another Flywheel run (pid {holder}) is using {lock_file.parent.parent}; "
                        "wait for it to finish or pass --wait SECONDS"
                    ) from None
                time.sleep(poll_seconds)
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the flock
