"""Search a whole $FLYWHEEL_HOME for strings: raw bytes of every file, plus what compression hides.

Parquet and DuckDB compress their strings, and gzip everything, so a byte search alone would miss
most of the data: .gz files are decompressed, Parquet files and DuckDB databases are opened and
every string value read. SQLite stores text as is, so its bytes (and its WAL's) are enough.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq

from pipelines.deletion.landing import read_gzip


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, bytes):
        yield value.decode("utf-8", "replace")
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


def _parquet_text(path: Path) -> str:
    try:
        table = pq.read_table(path)
    except Exception:  # noqa: BLE001 - a deliberately broken landing file: its bytes were searched
        return ""
    return "\n".join(s for column in table.columns for s in _strings(column.to_pylist()))


def _duckdb_text(path: Path) -> str:
    texts = []
    with duckdb.connect(str(path), read_only=True) as con:
        tables = con.execute("SELECT schema_name, table_name FROM duckdb_tables() WHERE NOT internal").fetchall()
        for schema, table in tables:
            rows = con.execute(f'SELECT * FROM "{schema}"."{table}"').fetchall()
            texts.extend(s for row in rows for s in _strings(list(row)))
    return "\n".join(texts)


def file_views(path: Path) -> Iterator[tuple[str, str]]:
    """(how, text) views of one file's content."""
    data = path.read_bytes()
    yield "bytes", data.decode("utf-8", "replace")
    if path.name.endswith(".gz"):
        yield "gunzip", read_gzip(data)[0].decode("utf-8", "replace")
    if path.suffix == ".parquet":
        yield "parquet", _parquet_text(path)
    if path.suffix == ".duckdb" and data[8:12] == b"DUCK":
        yield "duckdb", _duckdb_text(path)


def search_home(home: Path, needles: set[str]) -> dict[str, list[str]]:
    """needle -> every 'file (view)' it was found in."""
    found: dict[str, list[str]] = {}
    for path in sorted(p for p in home.rglob("*") if p.is_file()):
        for how, text in file_views(path):
            for needle in needles:
                if needle in text:
                    found.setdefault(needle, []).append(f"{path.relative_to(home)} ({how})")
    return found
