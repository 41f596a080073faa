"""Decide, for one landing line, whether it is a typed event or a quarantined line and why."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from pipelines import contract
from pipelines.ingest.reader import MAX_LINE_BYTES, RawLine


@dataclass(frozen=True, slots=True)
class Rejection:
    reason_code: str
    reason: str


def classify(source: str, line: RawLine, latest_allowed: datetime) -> dict[str, Any] | Rejection:
    """The typed row of a valid event, or the reason the line is rejected.

    ``latest_allowed`` is the end of the arrival day plus clock skew: an event cannot have
    happened after the file that carries it was delivered.
    """
    if line.oversize:
        return Rejection(
            "oversize_line",
            f"line is {line.byte_length:,} bytes, over the {MAX_LINE_BYTES:,}-byte limit for one "
            "event (only an excerpt is kept)",
        )
    if line.record is not None:
        doc: Any = line.record
    else:
        doc_or_rejection = _parse_json(line.data or b"")
        if isinstance(doc_or_rejection, Rejection):
            return doc_or_rejection
        doc = doc_or_rejection

    if not contract.is_valid(source, doc):
        reason = contract.explain(source, doc)
        code = "unknown_event_type" if reason.startswith("unknown event_type") else "schema_violation"
        if not isinstance(doc, dict):
            code = "not_an_object"
        return Rejection(code, reason)

    try:
        row = contract.to_row(source, doc)
    except (ValueError, ArithmeticError):
        return Rejection("invalid_timestamp", "field 'occurred_at' is not a real date and time")
    if row["occurred_at"] > latest_allowed:
        return Rejection(
            "future_timestamp",
            f"field 'occurred_at' is later than the file's arrival day allows ({latest_allowed:%Y-%m-%d %H:%M} UTC)",
        )
    return row


def _parse_json(data: bytes) -> Any:
    if not data.strip():
        return Rejection("blank_line", "blank line (no event)")
    if b"\x00" in data:
        return Rejection("nul_byte", "line contains a NUL byte (binary data in a text file)")
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as decode_error:
            return Rejection(
                "invalid_utf8", f"line is not valid UTF-8 (bad byte at offset {decode_error.start})"
            )
        # orjson's message gives the position, never the content.
        hint = " (the line looks cut short)" if "end of data" in str(exc) or "EOF" in str(exc) else ""
        return Rejection("invalid_json", f"line is not valid JSON: {_position(exc)}{hint}")


def _position(exc: orjson.JSONDecodeError) -> str:
    return f"{exc.msg} at character {exc.pos}"
