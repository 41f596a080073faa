"""Test hook: kill the pipeline at a named point of its work, as a power cut or the OOM killer would.

``failpoint("scrub.mid_write")`` does nothing unless ``$FLYWHEEL_CRASH_AT`` names that point; then
it kills this process with SIGKILL (no cleanup, no ``finally``), and, when this process leads its
process group (``flywheel run`` started in a session of its own, as the fault tests do), the whole
group with it: dbt and the scrubber's worker processes die at the same instant.
``FLYWHEEL_CRASH_AT=name#N`` fires on the N-th time the point is reached in this process (the
second day's ingest, say). Before the kill it says which point fired on stderr and, since stderr
may be a pipe read by a process of the same group (Dagster's log capture), appends the same line to
the file ``$FLYWHEEL_CRASH_RECORD`` names, if any. Only the tests in ``tests/faults`` set these
variables; unset, a failpoint costs one environment lookup. ``FAILPOINTS`` lists every point.

(``pipelines/simulator/faults.py`` is something else: faults in the simulated DATA.)
"""

from __future__ import annotations

import collections
import os
import signal
import sys
import threading
import time
from collections.abc import Callable

CRASH_ENV = "FLYWHEEL_CRASH_AT"
CRASH_RECORD_ENV = "FLYWHEEL_CRASH_RECORD"

FAILPOINTS: dict[str, str] = {
    "ingest.before_bookkeeping": "ingest_day: the day's valid events are in place, its quarantine and "
    "per-file counts are not written yet (pipelines/ingest/load.py)",
    "scrub.mid_write": "scrub_day: a batch of scrubbed events is in the scratch Parquet file, the "
    "file is not closed nor moved into the lake (pipelines/privacy/stage.py)",
    "dbt.mid_build": "dbt build is running and has just started fct_generations (fct_generation_costs "
    "in the history build): the models upstream of it are written to the warehouse, it and those "
    "downstream of it are not (pipelines/signals/assets.py)",
    "dataset.before_publish": "a training-set version is staged, gated, with its manifest and card, "
    "not yet renamed into exports/datasets (pipelines/datasets/publish.py)",
    "dataset.before_index": "the version directory is in place, versions.json does not list it yet "
    "(pipelines/datasets/publish.py)",
}

_hits: collections.Counter[str] = collections.Counter()
_hits_lock = threading.Lock()


def _armed(name: str) -> bool:
    """Whether this call of point ``name`` is the one ``$FLYWHEEL_CRASH_AT`` asks to crash at."""
    wanted = os.environ.get(CRASH_ENV)
    if not wanted:
        return False
    target, _, nth = wanted.partition("#")
    if target != name:
        return False
    with _hits_lock:
        _hits[name] += 1
        return _hits[name] == int(nth or 1)


def crash(name: str) -> None:
    """SIGKILL this process (and its process group when it leads one); says which point first."""
    line = f"failpoint {name}: SIGKILL (pid {os.getpid()}, ${CRASH_ENV})\n"
    record = os.environ.get(CRASH_RECORD_ENV)
    if record:
        with open(record, "a") as handle:
            handle.write(line)
    sys.stderr.write(line)
    sys.stderr.flush()
    if os.getpgrp() == os.getpid():
        os.killpg(os.getpgrp(), signal.SIGKILL)
    os.kill(os.getpid(), signal.SIGKILL)


def failpoint(name: str) -> None:
    """Crash here when ``$FLYWHEEL_CRASH_AT`` names this point (see the module docstring)."""
    if _armed(name):
        crash(name)


def failpoint_when(name: str, condition: Callable[[], bool], poll_seconds: float = 0.01) -> None:
    """For work done by a subprocess (dbt): when armed, crash as soon as ``condition()`` holds.

    A daemon thread polls ``condition``; the caller goes on with the work it watches.
    """
    if not _armed(name):
        return

    def watch() -> None:
        while True:
            try:
                if condition():
                    crash(name)
            except OSError:
                pass  # the watched files are being written or moved: look again
            time.sleep(poll_seconds)

    threading.Thread(target=watch, name=f"failpoint-{name}", daemon=True).start()
