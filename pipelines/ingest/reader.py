"""Read a landing file line by line without ever trusting it.

Yields one ``RawLine`` per physical line (JSONL, JSONL.gz) or row (Parquet), and one ``FileFault``
where the file itself is broken (a gzip that ends early, a Parquet file that will not open, a
format we do not read). Memory stays bounded whatever a line's length: an oversize line is kept
as an excerpt and the rest of it is skipped in chunks.
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

MAX_LINE_BYTES = 1 << 20  # 1 MiB: no valid event comes near it (free text is capped at 1M chars)
EXCERPT_BYTES = 4096
_SKIP_CHUNK = 1 << 20
PARQUET_BATCH_ROWS = 10_000

SUPPORTED_SUFFIXES = (".jsonl", ".jsonl.gz", ".parquet")


@dataclass(frozen=True, slots=True)
class RawLine:
    """A physical line (without its newline) or a Parquet row already decoded to a dict."""

    line_number: int
    data: bytes | None = None  # JSONL: the line's bytes (an excerpt if oversize)
    record: dict[str, Any] | None = None  # Parquet: the row, null columns dropped
    byte_length: int = 0
    oversize: bool = False


@dataclass(frozen=True, slots=True)
class FileFault:
    """Something wrong with the file rather than a line: counts as one quarantined line."""

    line_number: int
    reason_code: str
    reason: str


def landing_files(folder: Path) -> list[Path]:
    """The files of a landing folder in a stable order; hidden and in-progress files are skipped.

    Uploaders write ``.name`` or ``_name`` while a file is in flight and rename when done.
    """
    if not folder.is_dir():
        return []
    return sorted(
        f for f in folder.iterdir() if f.is_file() and not f.name.startswith((".", "_"))
    )


def file_format(path: Path) -> str | None:
    name = path.name.lower()
    for suffix in SUPPORTED_SUFFIXES:
        if name.endswith(suffix):
            return suffix.lstrip(".")
    return None


def read_file(path: Path, max_line_bytes: int = MAX_LINE_BYTES) -> Iterator[RawLine | FileFault]:
    fmt = file_format(path)
    if fmt is None:
        yield FileFault(
            1,
            "unsupported_file",
            f"unsupported file format '{path.suffix}' (landing files are .jsonl, .jsonl.gz or .parquet)",
        )
    elif fmt == "parquet":
        yield from _read_parquet(path)
    else:
        opener = gzip.open if fmt == "jsonl.gz" else open
        yield from _read_jsonl(path, opener, max_line_bytes)


def _read_jsonl(path: Path, opener: Any, max_line_bytes: int) -> Iterator[RawLine | FileFault]:
    line_number = 0
    try:
        with opener(path, "rb") as stream:
            while True:
                chunk = stream.readline(max_line_bytes + 1)
                if not chunk:
                    return
                line_number += 1
                if len(chunk) > max_line_bytes and not chunk.endswith(b"\n"):
                    length = len(chunk) + _skip_rest_of_line(stream)
                    yield RawLine(line_number, chunk[:EXCERPT_BYTES], byte_length=length, oversize=True)
                    continue
                line = chunk.rstrip(b"\r\n")
                yield RawLine(line_number, line, byte_length=len(line))
    except EOFError:
        yield FileFault(
            line_number + 1,
            "truncated_gzip",
            f"gzip stream ended early after {line_number} complete lines: the file was cut short "
            "(the unreadable rest is lost; ask the producer to re-send the file)",
        )
    except (gzip.BadGzipFile, zlib.error, OSError) as exc:
        yield FileFault(
            line_number + 1,
            "unreadable_file",
            f"file could not be read after {line_number} lines ({type(exc).__name__}): "
            "corrupt compression or I/O error",
        )


def _skip_rest_of_line(stream: Any) -> int:
    """Consume the remainder of an oversize line; return how many bytes were skipped."""
    skipped = 0
    while True:
        chunk = stream.readline(_SKIP_CHUNK)
        skipped += len(chunk)
        if not chunk or chunk.endswith(b"\n"):
            return skipped


def _jsonable(record: dict[str, Any]) -> dict[str, Any]:
    """A Parquet row as the JSON object it stands for.

    Null columns are dropped (a column exists for every row; null means "absent" in the JSON
    contract), timestamps become RFC 3339 UTC strings and decimals become numbers.
    """
    out: dict[str, Any] = {}
    for key, value in record.items():
        if value is None:
            continue
        if isinstance(value, datetime):
            utc = value.astimezone(UTC) if value.tzinfo else value
            value = utc.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"
        elif isinstance(value, Decimal):
            value = float(value)
        elif isinstance(value, dict):
            value = _jsonable(value)
        out[key] = value
    return out


def _read_parquet(path: Path) -> Iterator[RawLine | FileFault]:
    try:
        parquet = pq.ParquetFile(path)
    except Exception as exc:  # pyarrow raises several unrelated types for a corrupt file
        yield FileFault(1, "unreadable_file", f"Parquet file could not be opened ({type(exc).__name__})")
        return
    row_number = 0
    try:
        for batch in parquet.iter_batches(batch_size=PARQUET_BATCH_ROWS):
            for record in batch.to_pylist():
                row_number += 1
                # A Parquet column exists for every row; null means "absent" in the JSON contract.
                yield RawLine(row_number, record=_jsonable(record))
    except Exception as exc:
        yield FileFault(
            row_number + 1,
            "unreadable_file",
            f"Parquet file could not be read after {row_number} rows ({type(exc).__name__})",
        )
