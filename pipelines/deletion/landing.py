"""Rewrite landing files without the subject's lines (billing lines: under pseudonyms instead).

Only files that hold something of the subject are rewritten, each atomically. A gzip that was cut
short stays cut short (its trailer is left off again), so a replay quarantines it as before; every
other line keeps its bytes. A line that does not parse is the subject's when it names one of
their ids as a whole token (a truncated copy of their event, an oversize line, invalid UTF-8).
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipelines import lake
from pipelines.deletion.pseudonyms import replace_ids_bytes, replace_ids_pattern
from pipelines.deletion.subject import Footprint, id_token_pattern, mentions
from pipelines.ingest.reader import landing_files
from pipelines.settings import FlywheelPaths

GZIP_TRAILER_BYTES = 8


@dataclass
class LandingReport:
    files_rewritten: int = 0
    lines_removed: int = 0
    lines_pseudonymized: int = 0
    removed_by_file: dict[str, int] = field(default_factory=dict)


def read_gzip(data: bytes) -> tuple[bytes, bool]:
    """The decompressed bytes of every gzip member, and whether the stream ends early."""
    out, rest = [], data
    while rest:
        decoder = zlib.decompressobj(wbits=31)
        try:
            out.append(decoder.decompress(rest))
        except zlib.error:
            return b"".join(out), True
        if not decoder.eof:
            return b"".join(out), True
        rest = decoder.unused_data
    return b"".join(out), False


def write_gzip(content: bytes, truncated: bool) -> bytes:
    """Deterministic gzip (mtime 0); without its trailer when the original was cut short."""
    data = gzip.compress(content, mtime=0)
    return data[:-GZIP_TRAILER_BYTES] if truncated else data


def split_lines(content: bytes) -> list[bytes]:
    """Physical lines with their newlines, so that joining them gives the bytes back."""
    return content.splitlines(keepends=True) if content else []


def line_decision(line: bytes, owns: Callable[[dict], bool], pattern) -> bool:
    """Whether a physical line is the subject's: by its record when it parses, else by its bytes."""
    stripped = line.rstrip(b"\r\n")
    try:
        record = orjson.loads(stripped)
    except orjson.JSONDecodeError:
        record = None
    if isinstance(record, dict):
        return owns(record)
    return mentions(pattern, stripped)


def filter_lines(content: bytes, is_theirs: Callable[[bytes], bool]) -> tuple[bytes, int]:
    kept, removed = [], 0
    for line in split_lines(content):
        if is_theirs(line):
            removed += 1
        else:
            kept.append(line)
    return b"".join(kept), removed


def rewrite_landing(paths: FlywheelPaths, footprint: Footprint, billing_ids: dict[str, str]) -> LandingReport:
    report = LandingReport()
    subject = footprint.subject
    event_ids = footprint.event_ids
    pattern = id_token_pattern(footprint.ids())

    def owns(record: dict) -> bool:
        return subject.owns(record) or record.get("event_id") in event_ids

    def is_theirs(line: bytes) -> bool:
        return line_decision(line, owns, pattern)

    for source in ("events", "billing"):
        root = paths.landing / source
        for folder in sorted(root.glob("date=*")) if root.is_dir() else []:
            for path in landing_files(folder):
                relative = str(path.relative_to(paths.landing))
                if source == "billing":
                    changed = _pseudonymize_file(paths, path, billing_ids)
                    report.lines_pseudonymized += changed
                    report.files_rewritten += bool(changed)
                    continue
                removed = _rewrite_file(paths, path, is_theirs, owns)
                if removed:
                    report.files_rewritten += 1
                    report.lines_removed += removed
                    report.removed_by_file[relative] = removed
    return report


def _rewrite_file(paths: FlywheelPaths, path: Path, is_theirs: Callable[[bytes], bool],
                  owns: Callable[[dict], bool]) -> int:
    name = path.name.lower()
    if name.endswith(".parquet"):
        return _rewrite_parquet(paths, path, owns)
    if not name.endswith((".jsonl", ".jsonl.gz")):
        return 0
    raw = path.read_bytes()
    gzipped = name.endswith(".gz")
    content, truncated = read_gzip(raw) if gzipped else (raw, False)
    kept, removed = filter_lines(content, is_theirs)
    if removed:
        with lake.atomic_path(path, paths.tmp) as scratch:
            scratch.write_bytes(write_gzip(kept, truncated) if gzipped else kept)
    return removed


def _rewrite_parquet(paths: FlywheelPaths, path: Path, owns: Callable[[dict], bool]) -> int:
    try:
        table = pq.read_table(path)
    except Exception:  # an unreadable file holds nothing ingest could read either  # noqa: BLE001
        return 0
    theirs = pa.array([owns(row) for row in table.select(
        [c for c in ("event_id", "user_id", "workspace_id") if c in table.column_names]).to_pylist()],
        type=pa.bool_())
    removed = int(pc.sum(theirs).as_py() or 0)
    if removed:
        with lake.atomic_path(path, paths.tmp) as scratch:
            pq.write_table(table.filter(pc.invert(theirs)), scratch, compression=lake.PARQUET_COMPRESSION)
    return removed


def _pseudonymize_file(paths: FlywheelPaths, path: Path, billing_ids: dict[str, str]) -> int:
    """Billing: the workspace's ids replaced by their pseudonyms, every other byte kept."""
    pattern = replace_ids_pattern(billing_ids)
    name = path.name.lower()
    if pattern is None or not name.endswith((".jsonl", ".jsonl.gz")):
        return 0
    raw = path.read_bytes()
    gzipped = name.endswith(".gz")
    content, truncated = read_gzip(raw) if gzipped else (raw, False)
    text = content.decode("utf-8", "surrogateescape")
    changed = sum(1 for line in text.splitlines() if pattern.search(line))
    if changed:
        rewritten = replace_ids_bytes(content, billing_ids)
        with lake.atomic_path(path, paths.tmp) as scratch:
            scratch.write_bytes(write_gzip(rewritten, truncated) if gzipped else rewritten)
    return changed
