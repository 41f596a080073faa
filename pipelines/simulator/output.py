"""Byte-reproducible file writers: gzip JSONL (compressed on a background thread), plain JSONL, Parquet.

Gzip streams come from ``zlib.compressobj(wbits=31)``: its header carries mtime 0, no file name
and a fixed OS byte, so the same lines always give the same bytes. zlib releases the GIL while it
compresses, so one background thread compresses and writes while the main thread simulates:
that is the second core of the machine doing useful work without giving up determinism (each
file's chunks are compressed in order on that one thread).
"""

from __future__ import annotations

import collections
import zlib
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

# Level 3 compresses this text about twice as fast as the default 6 for files ~25% larger: the
# simulator's throughput matters more than the landing zone's disk.
GZIP_LEVEL = 3
_FLUSH_BYTES = 1 << 20
_MAX_PENDING_CHUNKS = 8  # bounds memory if compression falls behind


class Compressor:
    """A single background worker; ``submit`` blocks once too many chunks are waiting."""

    def __init__(self) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="simulator-gzip")
        self._pending: collections.deque[Future[None]] = collections.deque()

    def submit(self, work: Callable[..., None], *args: Any) -> None:
        self._pending.append(self._executor.submit(work, *args))
        while len(self._pending) > _MAX_PENDING_CHUNKS:
            self._pending.popleft().result()

    def drain(self) -> None:
        """Wait for every submitted chunk (and raise the first error, if any)."""
        while self._pending:
            self._pending.popleft().result()

    def close(self) -> None:
        try:
            self.drain()
        finally:
            self._executor.shutdown(wait=True)

    def __enter__(self) -> Compressor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class GzipLineWriter:
    """Appends lines (without their newline) to a .jsonl.gz file; counts lines and bytes."""

    def __init__(self, path: Path, compressor: Compressor, level: int = GZIP_LEVEL) -> None:
        self.path = path
        self.lines = 0
        self.raw_bytes = 0
        self._compressor = compressor
        self._file = path.open("wb")
        self._zlib = zlib.compressobj(level, zlib.DEFLATED, 31)
        self._buffer: list[bytes] = []
        self._buffered = 0

    def write(self, line: bytes) -> int:
        """Append one line; returns its 1-based line number."""
        self._buffer.append(line)
        self._buffered += len(line) + 1
        self.lines += 1
        if self._buffered >= _FLUSH_BYTES:
            self._flush()
        return self.lines

    def _flush(self) -> None:
        if self._buffer:
            data = b"\n".join(self._buffer) + b"\n"
            self.raw_bytes += len(data)
            self._buffer, self._buffered = [], 0
            self._compressor.submit(self._compress, data)

    def _compress(self, data: bytes) -> None:
        self._file.write(self._zlib.compress(data))

    def _finish(self) -> None:
        self._file.write(self._zlib.flush())
        self._file.close()

    def close(self) -> None:
        """Queue the end of the stream; the file is complete once the compressor is drained."""
        self._flush()
        self._compressor.submit(self._finish)


def dumps(doc: Any) -> bytes:
    return orjson.dumps(doc)


def write_jsonl(path: Path, docs: Iterable[dict[str, Any]]) -> int:
    """Plain JSONL; returns the number of lines."""
    count = 0
    with path.open("wb") as handle:
        for doc in docs:
            handle.write(orjson.dumps(doc) + b"\n")
            count += 1
    return count


FEEDBACK_SCHEMA = pa.schema(
    [
        ("schema_version", pa.string()),
        ("event_id", pa.string()),
        ("event_type", pa.string()),
        ("occurred_at", pa.timestamp("ms", tz="UTC")),
        ("workspace_id", pa.string()),
        ("user_id", pa.string()),
        ("gen_ai.conversation.id", pa.string()),
        ("app_id", pa.string()),
        ("turn_id", pa.string()),
        ("gen_ai.response.id", pa.string()),
        ("gen_ai.evaluation.name", pa.string()),
        ("gen_ai.evaluation.score.value", pa.float64()),
        ("gen_ai.evaluation.score.label", pa.string()),
        ("gen_ai.evaluation.explanation", pa.string()),
    ]
)


def write_feedback_parquet(path: Path, rows: list[tuple[int, dict[str, Any]]]) -> None:
    """The feedback service's daily export: one row per evaluation event, contract keys as columns.

    ``rows`` are (occurred ms, document). ``occurred_at`` is a UTC timestamp column (the export's
    native type); absent optional fields are nulls, which readers treat as "absent".
    """
    columns: dict[str, list[Any]] = {name: [] for name in FEEDBACK_SCHEMA.names}
    for t_ms, doc in rows:
        for name in FEEDBACK_SCHEMA.names:
            columns[name].append(t_ms if name == "occurred_at" else doc.get(name))
    table = pa.table(
        {name: pa.array(values, type=FEEDBACK_SCHEMA.field(name).type) for name, values in columns.items()},
        schema=FEEDBACK_SCHEMA,
    )
    pq.write_table(table, path, compression="zstd")
