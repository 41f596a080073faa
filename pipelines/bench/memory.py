"""Peak resident memory of this process and everything it started, sampled from /proc.

dbt runs as a child process and the scrubber's workers as grandchildren (through the forkserver),
so neither ``ru_maxrss`` of this process nor ``RUSAGE_CHILDREN`` (the largest single child, and
only once it was waited for; grandchildren never) says what a stage held at once or the CPU it
used. ``TreeSampler`` sums the resident memory of the process tree every ``interval`` seconds in
a thread and follows each process's CPU time; ``measure()`` reports one stage's peak and CPU. psutil is not needed (and not in the lock file): Linux's /proc is read directly;
elsewhere only this process's own peak is known.
"""

from __future__ import annotations

import os
import resource
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
# The sampler reads these files ~10 times a second for every thread of every process of the tree
# (DuckDB and dbt start many): plain string paths and unbuffered reads, no pathlib objects; the
# bench's own overhead is part of what it measures.


def _read(path: str) -> bytes | None:
    try:
        with open(path, "rb", buffering=0) as file:
            return file.read()
    except OSError:  # the process or thread ended meanwhile
        return None


def _children(pid: int) -> list[int]:
    """The children of every thread of ``pid`` (a child belongs to the thread that started it)."""
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return []
    children: list[int] = []
    for task in tasks:
        listed = _read(f"/proc/{pid}/task/{task}/children")
        if listed:
            children.extend(map(int, listed.split()))
    return children


def tree_pids(root: int) -> list[int]:
    """``root`` and all its descendants (Linux), or just ``root``."""
    pids, todo = [], [root]
    while todo:
        pid = todo.pop()
        pids.append(pid)
        todo.extend(_children(pid))
    return pids


def _stat(pid: int) -> tuple[int, float] | None:
    """Resident bytes and user + system CPU seconds of a live process (Linux), or None."""
    text = _read(f"/proc/{pid}/stat")
    if text is None:
        return None
    try:
        # after the command name (which may hold spaces and parentheses): state is field 3 of stat(5)
        fields = text.rsplit(b")", 1)[1].split()
        return int(fields[21]) * _PAGE, (int(fields[11]) + int(fields[12])) / _TICKS
    except (IndexError, ValueError):
        return None


def tree_rss_mb(root: int | None = None) -> float:
    """Resident memory of a process tree now, in MB (0 where /proc is missing)."""
    stats = (_stat(p) for p in tree_pids(root or os.getpid()))
    return sum(stat[0] for stat in stats if stat is not None) / 2**20


@dataclass
class Peak:
    """What ``TreeSampler.measure`` found for one stage."""

    tree_mb: float = 0.0  # the largest sum over the process tree seen in one sample
    samples: int = 0
    # CPU seconds of the other processes of the tree (dbt, scrub workers, their forkserver): per
    # process, the last sample minus what it had used when the stage started (a process that
    # ends between two samples loses at most one interval of CPU).
    _cpu_start: dict[int, float] = field(default_factory=dict)
    _cpu_last: dict[int, float] = field(default_factory=dict)

    @property
    def descendants_cpu_seconds(self) -> float:
        return sum(last - self._cpu_start.get(pid, 0.0) for pid, last in self._cpu_last.items())


class TreeSampler:
    """Samples the process tree's resident memory in a background thread."""

    def __init__(self, interval: float = 0.1) -> None:
        self.interval = interval
        self.available = os.path.exists(f"/proc/{os.getpid()}/stat")
        self._current: Peak | None = None
        self._overall = Peak()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> TreeSampler:
        if self.available:
            self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    @property
    def overall_mb(self) -> float:
        return self._overall.tree_mb

    @contextmanager
    def measure(self) -> Iterator[Peak]:
        """The peak over the ``with`` block (one sample at its start and end at least)."""
        peak = Peak()
        self._sample_into(peak, first=True)
        self._current = peak
        try:
            yield peak
        finally:
            self._current = None
            self._sample_into(peak)
            if not self.available:  # no /proc: this process's own lifetime peak is all we have
                peak.tree_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    def _sample_into(self, peak: Peak, first: bool = False) -> None:
        if not self.available:
            return
        me = os.getpid()
        value = 0
        for pid in tree_pids(me):
            stat = _stat(pid)
            if stat is None:
                continue
            value += stat[0]
            if pid == me:
                continue  # this process's own CPU comes exactly from getrusage
            if first:
                peak._cpu_start[pid] = stat[1]
            peak._cpu_last[pid] = stat[1]
        mb = value / 2**20
        peak.tree_mb = max(peak.tree_mb, mb)
        peak.samples += 1
        self._overall.tree_mb = max(self._overall.tree_mb, mb)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            current = self._current
            if current is not None:
                self._sample_into(current)
