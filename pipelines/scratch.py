"""Scratch space under ``$FLYWHEEL_HOME/tmp``: each entry is named after the process that made it.

A stage writes its half-done work here (a Parquet day before it is moved into the lake, dbt's
target folder, a training-set version being staged, a compacted warehouse) and removes it when
it ends, whatever happened. A SIGKILL gives it no chance to: the names say which process owns
an entry (``<label>-<pid>-<random>``), so what a dead process left behind can be told apart from
what a live one is using and swept at the start of the next run.
"""

from __future__ import annotations

import os
import re
import shutil
import uuid
from collections.abc import Iterable
from pathlib import Path

from pipelines.objectstore import ObjectPath

# DuckDB's spill files: dbt's profile points temp_directory here (only dbt inside a run uses it).
DUCKDB_SPILL_DIR = "duckdb"
# A file being copied into place from another filesystem (lake.replace_across_filesystems): a
# hidden name beside its final one, which no reader lists.
PARTIAL_SUFFIX = ".partial"
# <label>-<pid>-<12 hex>[.suffix]; the label may hold dashes and underscores
_OWNED = re.compile(r"^(?P<label>[A-Za-z][\w-]*?)-(?P<pid>\d+)-[0-9a-f]{12}(?:\.|$)")


def owned_name(label: str, suffix: str = "") -> str:
    """A fresh entry name for this process: ``<label>-<pid>-<random><suffix>``."""
    return f"{label}-{os.getpid()}-{uuid.uuid4().hex[:12]}{suffix}"


def owner(name: str, label: str | None = None) -> int | None:
    """The pid in an owned name (of ``label``, if given); None for any other name."""
    match = _OWNED.match(name)
    if match is None or (label is not None and match["label"] != label):
        return None
    return int(match["pid"])


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    return True


def live_owners(scratch_dir: Path, label: str) -> list[int]:
    """The live processes that own a ``label`` entry (e.g. training-set builds in progress)."""
    if not scratch_dir.is_dir():
        return []
    pids = {owner(entry.name, label) for entry in scratch_dir.iterdir()}
    return sorted(pid for pid in pids if pid is not None and pid_alive(pid))


def sweep(scratch_dir: Path, label: str | None = None) -> list[Path]:
    """Remove the entries (of ``label``, if given) whose owning process is gone; return them."""
    removed: list[Path] = []
    if not scratch_dir.is_dir():
        return removed
    for entry in sorted(scratch_dir.iterdir()):
        pid = owner(entry.name, label)
        if pid is None or pid == os.getpid() or pid_alive(pid):
            continue
        remove(entry)
        removed.append(entry)
    return removed


def remove(entry: Path) -> None:
    if entry.is_dir() and not entry.is_symlink():
        shutil.rmtree(entry, ignore_errors=True)
    else:
        entry.unlink(missing_ok=True)


def sweep_after_crash(scratch_dir: Path, data_roots: Iterable[Path | ObjectPath] = ()) -> list[Path]:
    """Everything a killed process left: its owned entries in ``scratch_dir``, DuckDB's spill
    files, and the partial copies under the local ``data_roots`` (raw zone, lake). Only for a
    holder of the home's run lock (nothing else then spills or copies there)."""
    removed = sweep(scratch_dir)
    spill = scratch_dir / DUCKDB_SPILL_DIR
    for leftover in sorted(spill.iterdir()) if spill.is_dir() else []:
        remove(leftover)
        removed.append(leftover)
    for root in data_roots:
        removed += sweep_partial_copies(root)
    return removed


def sweep_partial_copies(root: Path | ObjectPath) -> list[Path]:
    """Remove the copies killed cross-filesystem replaces left under a local ``root``."""
    if isinstance(root, ObjectPath) or not root.is_dir():
        return []
    leftovers = sorted(root.rglob(f".*{PARTIAL_SUFFIX}"))
    for leftover in leftovers:
        leftover.unlink(missing_ok=True)
    return leftovers
