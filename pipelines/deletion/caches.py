"""Scrub caches (the privacy stage's and the training-set re-scan's), Dagster's storage, and tmp/.

A cache row is found by its key (a keyed hash of the input text: recomputed from the subject's
texts) and by its stored output (a scrubbed text that is theirs, or that holds one of the
placeholders their personal values became). SQLite keeps deleted rows in free pages and in its
write-ahead log, so every file that lost a row is vacuumed and its log truncated.
"""

from __future__ import annotations

import re
import shutil
import sqlite3
from collections.abc import Iterable
from pathlib import Path

from pipelines import lake
from pipelines.deletion.subject import Footprint
from pipelines.privacy.cache import CACHE_FILE, ScrubCache
from pipelines.privacy.policies import POLICIES
from pipelines.privacy.pseudonyms import PLACEHOLDER
from pipelines.settings import FlywheelPaths

SQLITE_HEADER = b"SQLite format 3\x00"
CACHE_DIRS = ("scrub", "dataset-rescan")


def placeholders_of(footprint: Footprint) -> set[str]:
    """The placeholders in the subject's scrubbed texts: pseudonyms of their personal values."""
    return {m.group(0) for texts in footprint.scrubbed_texts.values() for t in texts for m in PLACEHOLDER.finditer(t)}


def text_variants(texts: Iterable[str]) -> set[str]:
    """A text as the scrubber or the re-scan saw it (the re-scan reads trimmed pieces of answers,
    a patch ending with one line break)."""
    out = set()
    for text in texts:
        out |= {text, text.strip(), text.rstrip("\n"), text.rstrip("\n") + "\n", text.strip(" \t\r\n")}
    return {t for t in out if t}


def vacuum(path: Path) -> None:
    with sqlite3.connect(path, timeout=60, isolation_level=None) as db:
        db.execute("VACUUM")
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()


def forget_in_cache(directory: Path, key: bytes, footprint: Footprint) -> int:
    """Delete the subject's entries from one scrub cache; returns rows deleted."""
    if not (directory / CACHE_FILE).exists():
        return 0
    inputs = text_variants(t for group in (*footprint.raw_texts.values(), *footprint.scrubbed_texts.values())
                           for t in group)
    cache = ScrubCache(directory, key)
    try:
        deleted = sum(cache.forget(policy, inputs) for policy in POLICIES.values())
    finally:
        cache.close()
    outputs = sorted(text_variants(t for group in footprint.scrubbed_texts.values() for t in group))
    markers = sorted(placeholders_of(footprint))
    db = sqlite3.connect(directory / CACHE_FILE, timeout=60, isolation_level=None)
    try:
        db.execute("PRAGMA secure_delete = ON")
        db.execute("BEGIN IMMEDIATE")
        for text in outputs:
            deleted += db.execute("DELETE FROM scrubbed WHERE text = ?", (text,)).rowcount
        for marker in markers:
            deleted += db.execute("DELETE FROM scrubbed WHERE instr(text, ?) > 0", (marker,)).rowcount
        db.execute("COMMIT")
    finally:
        db.close()
    vacuum(directory / CACHE_FILE)
    return deleted


def forget_in_caches(paths: FlywheelPaths, key: bytes, footprint: Footprint) -> dict[str, int]:
    return {f"cache/{name}": forget_in_cache(paths.cache / name, key, footprint) for name in CACHE_DIRS}


# --- Dagster's storage ------------------------------------------------------------------------


def needle_pattern(needles: set[str]) -> re.Pattern[bytes] | None:
    if not needles:
        return None
    return re.compile(b"|".join(re.escape(n.encode()) for n in sorted(needles, key=len, reverse=True)))


def redact_sqlite(path: Path, needles: set[str]) -> int:
    """Delete every row of every table whose text mentions a needle; returns rows deleted."""
    deleted = 0
    db = sqlite3.connect(path, timeout=60, isolation_level=None)
    try:
        db.execute("PRAGMA secure_delete = ON")
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
        db.execute("BEGIN IMMEDIATE")
        for table in tables:
            columns = [r[1] for r in db.execute(f'PRAGMA table_info("{table}")')]
            for needle in needles:
                where = " OR ".join(f'instr(CAST("{c}" AS TEXT), ?) > 0' for c in columns)
                deleted += db.execute(f'DELETE FROM "{table}" WHERE {where}', [needle] * len(columns)).rowcount
        db.execute("COMMIT")
    finally:
        db.close()
    vacuum(path)
    return deleted


def redact_text_file(paths: FlywheelPaths, path: Path, pattern: re.Pattern[bytes]) -> int:
    lines = path.read_bytes().splitlines(keepends=True)
    kept = [line for line in lines if not pattern.search(line)]
    if len(kept) != len(lines):
        with lake.atomic_path(path, paths.tmp) as scratch:
            scratch.write_bytes(b"".join(kept))
    return len(lines) - len(kept)


def redact_dagster(paths: FlywheelPaths, needles: set[str]) -> dict[str, int]:
    """Dagster's run and event storage and compute logs: entries that mention the subject go.

    Flywheel's assets put counts and ids of files in their metadata, never a user id or a text;
    this is the proof (nothing found: nothing touched) and the remedy if a log line ever did.
    """
    pattern = needle_pattern(needles)
    counts = {"dagster/event_log_rows": 0, "dagster/log_lines": 0}
    if pattern is None or not paths.dagster_home.is_dir():
        return counts
    files = sorted(p for p in paths.dagster_home.rglob("*") if p.is_file())
    for path in files:
        if path.name.endswith(("-wal", "-shm", "-journal")):
            continue
        data = path.read_bytes()
        wal = Path(f"{path}-wal")
        hit = pattern.search(data) or (wal.exists() and pattern.search(wal.read_bytes()))
        if not hit:
            continue
        if data.startswith(SQLITE_HEADER):
            counts["dagster/event_log_rows"] += redact_sqlite(path, needles)
        else:
            counts["dagster/log_lines"] += redact_text_file(paths, path, pattern)
    return counts


# --- scratch space ----------------------------------------------------------------------------


def clear_tmp(paths: FlywheelPaths, keep: Iterable[Path] = ()) -> int:
    """Empty ``tmp/``: half-written files of killed runs may hold anything, the subject included."""
    kept = {p.resolve() for p in keep}
    removed = 0
    for entry in sorted(paths.tmp.iterdir()) if paths.tmp.is_dir() else []:
        if entry.resolve() in kept:
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)
        removed += 1
    return removed
