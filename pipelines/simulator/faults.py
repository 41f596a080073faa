"""Broken lines the way real pipelines receive them, each built as an EXTRA line from a clean copy.

A malformed line never replaces a real event: it is a copy of one with a fresh ``event_id`` and its
free text swapped for neutral text (so a quarantined line holds no personal data that the ground
truth does not list), then broken in one specific way. ``FaultLog`` streams every fault to disk
as it happens, so memory stays flat however many days are simulated.
"""

from __future__ import annotations

import math
import random
from pathlib import Path
from typing import Any

import orjson

from pipelines.simulator import clock
from pipelines.simulator.randomness import uuid4

MALFORMED_KINDS = (
    "truncated_json",
    "invalid_utf8",
    "nul_byte",
    "unknown_event_type",
    "missing_required_field",
    "mistyped_field",
    "future_timestamp",
    "not_an_object",
    "blank_line",
)
OVERSIZE = "oversize_line"
ALL_MALFORMED_KINDS = (*MALFORMED_KINDS, OVERSIZE)

_FREE_TEXT = ("prompt.text", "assistant.text", "gen_ai.evaluation.explanation", "build.error_message")
_NEUTRAL_TEXT = "make the buttons bigger"
_UNKNOWN_TYPES = ("generation.started", "app.deleted", "session.heartbeat", "prompt.updated")
_ENVELOPE_REQUIRED = ("occurred_at", "workspace_id", "user_id", "event_id", "schema_version")
_SESSION_REQUIRED = ("gen_ai.conversation.id", "app_id", "turn_id")
_TYPE_REQUIRED = {
    "prompt.submitted": ("prompt.text", "prompt.intent", "turn_index", "turn_id"),
    "generation.completed": ("gen_ai.request.model", "latency_ms", "code_change", "gen_ai.response.id"),
    "build.completed": ("build.status", "build.duration_ms"),
    "generation.edited": ("edit.lines_added",),
    "app.published": ("deploy.target",),
    "gen_ai.evaluation.result": ("gen_ai.evaluation.name", "gen_ai.evaluation.score.value"),
    "consent.changed": ("consent.status", "consent.scope"),
}
_MISTYPES = {
    "turn_index": "3",
    "latency_ms": "17s",
    "build.duration_ms": "8.4s",
    "gen_ai.usage.input_tokens": "5120",
    "gen_ai.evaluation.score.value": "five",
    "edit.lines_added": "four",
    "gen_ai.response.finish_reasons": "stop",
}
_GENERIC_MISTYPES = (("workspace_id", 42), ("occurred_at", 1762074000), ("user_id", ["usr_1"]), ("schema_version", 1.0))


class Countdown:
    """Bernoulli(p) trials drawn as geometric gaps: one random draw per success, not per trial."""

    def __init__(self, rng: random.Random, p: float) -> None:
        self._rng = rng
        self._p = p
        self._log_q = math.log1p(-p) if 0.0 < p < 1.0 else 0.0
        self._left = self._gap()

    def _gap(self) -> int:
        if self._p <= 0.0:
            return 1 << 62
        if self._p >= 1.0:
            return 0
        return int(math.log(1.0 - self._rng.random()) / self._log_q)

    def fire(self) -> bool:
        if self._left == 0:
            self._left = self._gap()
            return True
        self._left -= 1
        return False


def clean_copy(rng: random.Random, doc: dict[str, Any]) -> dict[str, Any]:
    """A copy with a fresh event id and neutral free text (no planted values leak into faults)."""
    copy = dict(doc)
    copy["event_id"] = uuid4(rng)
    for key in _FREE_TEXT:
        if key in copy:
            copy[key] = _NEUTRAL_TEXT
    if "code_change" in copy:
        copy["code_change"] = {"files_touched": ["src/App.tsx"], "lines_added": 1, "lines_removed": 0,
                               "patch": "--- a/src/App.tsx\n+++ b/src/App.tsx\n@@ -1,0 +1,1 @@\n+export {};\n"}
    return copy


def _insert_into_user_id(line: bytes, junk: bytes) -> bytes:
    marker = b'"user_id":"'
    at = line.find(marker)
    at = at + len(marker) + 2 if at >= 0 else len(line) // 2
    return line[:at] + junk + line[at:]


def malformed_line(rng: random.Random, kind: str, doc: dict[str, Any], arrival_day_end_ms: int) -> tuple[bytes, str | None]:
    """(line, event id it carries or None) for one malformed ``kind``, derived from real ``doc``."""
    copy = clean_copy(rng, doc)
    event_id: str | None = copy["event_id"]
    if kind == "truncated_json":
        line = orjson.dumps(copy)
        return line[: rng.randint(len(line) // 4, len(line) - 2)], event_id
    if kind == "invalid_utf8":
        return _insert_into_user_id(orjson.dumps(copy), rng.choice((b"\xff\xfe", b"\xc3\x28", b"\xe2\x82"))), event_id
    if kind == "nul_byte":
        return _insert_into_user_id(orjson.dumps(copy), b"\x00"), event_id
    if kind == "unknown_event_type":
        copy["event_type"] = rng.choice(_UNKNOWN_TYPES)
    elif kind == "missing_required_field":
        candidates = _ENVELOPE_REQUIRED + _SESSION_REQUIRED + _TYPE_REQUIRED.get(copy["event_type"], ())
        missing = rng.choice([c for c in candidates if c in copy])
        del copy[missing]
        if missing == "event_id":
            event_id = None
    elif kind == "mistyped_field":
        specific = [(k, v) for k, v in _MISTYPES.items() if k in copy]
        key, value = rng.choice(specific) if specific and rng.random() < 0.7 else rng.choice(_GENERIC_MISTYPES)
        copy[key] = value
    elif kind == "future_timestamp":
        copy["occurred_at"] = clock.format_ms(arrival_day_end_ms + rng.randint(clock.MS_PER_HOUR, 30 * clock.MS_PER_DAY))
    elif kind == "not_an_object":
        return rng.choice((b"[1, 2, 3]", b"42", b'"ok"', b"null", b"true", b"[" + orjson.dumps(copy) + b"]")), None
    elif kind == "blank_line":
        return b"", None
    else:
        raise ValueError(f"unknown malformed kind {kind!r}; expected one of {ALL_MALFORMED_KINDS}")
    return orjson.dumps(copy), event_id


def oversize_line(rng: random.Random, doc: dict[str, Any], size: int) -> tuple[bytes, str]:
    """A prompt that pastes a whole server log: one line of about ``size`` bytes."""
    copy = clean_copy(rng, doc)
    for key in list(copy):
        if key not in ("schema_version", "event_id", "occurred_at", "workspace_id", "user_id",
                       "gen_ai.conversation.id", "app_id", "turn_id"):
            del copy[key]
    log_lines, total, i = [], 0, 0
    while total < size:
        entry = f"[{i:07d}] GET /api/items?page={i % 50} 200 {i % 97 + 3}ms\n"
        log_lines.append(entry)
        total += len(entry)
        i += 1
    copy.update({"event_type": "prompt.submitted", "turn_index": 0, "prompt.intent": "fix_bug",
                 "prompt.text": "why is this slow? " + "".join(log_lines)})
    return orjson.dumps(copy), copy["event_id"]


class FaultLog:
    """Faults of one shard of the run (a part, or a day's finishing), streamed to one JSONL file per section.

    Shards are written independently (possibly in other processes) and assembled in a fixed order
    by ``write_faults_json``, so faults.json does not depend on scheduling.
    """

    SECTIONS = ("files", "malformed", "duplicates", "late")

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self._handles = {s: (folder / f"{s}.jsonl").open("wb") for s in self.SECTIONS}

    def add(self, section: str, record: dict[str, Any]) -> None:
        self._handles[section].write(orjson.dumps(record) + b"\n")

    def close(self) -> None:
        for handle in self._handles.values():
            handle.close()


def write_faults_json(path: Path, shards: list[Path], description: dict[str, str]) -> dict[str, int]:
    """Assemble faults.json from shard folders, in order; returns the record count per section.

    Layout: ``{"description": ..., "files": [...], "malformed": [...], "duplicates": [...], "late": [...]}``
    with one record per line.
    """
    counts = dict.fromkeys(FaultLog.SECTIONS, 0)
    with path.open("wb") as out:
        out.write(b'{"description": ' + orjson.dumps(description, option=orjson.OPT_SORT_KEYS))
        for section in FaultLog.SECTIONS:
            out.write(b',\n"' + section.encode() + b'": [')
            for shard in shards:
                with (shard / f"{section}.jsonl").open("rb") as records:
                    for record in records:
                        out.write((b"\n" if counts[section] == 0 else b",\n") + record.rstrip(b"\n"))
                        counts[section] += 1
            out.write(b"]")
        out.write(b"\n}\n")
    return counts
