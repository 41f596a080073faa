"""How events arrive: each part file of a day, the late-arrivals file, the feedback export, broken files.

The session simulator says what happened; this module says how it lands. Every real event is
delivered exactly once: on its own day in its part file, or (``late_rate``) one or two days later
in that day's late-arrivals file (the last part, ``part-{parts_per_day}``). Around the real lines
it adds copies and garbage, never touching a real line: duplicates (same ``event_id``, same
content: right after, later in the file, or the next day), malformed lines
(``faults.MALFORMED_KINDS`` and an occasional oversize line), and on some days an empty file and a
gzip cut short (a partial re-upload of part-00). Feedback events go to the day's
``feedback-export.parquet`` instead, as a separate feedback service would export them; they can
be late or duplicated but never malformed.

``ArrivalPart`` runs wherever its part is simulated (possibly another process); ``finish_day``
runs in the parent, in day order, once every part of the day and of the days before is done.
"""

from __future__ import annotations

import heapq
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipelines.simulator import clock, faults
from pipelines.simulator.config import DayLines, SimulationConfig
from pipelines.simulator.output import GzipLineWriter, dumps, write_feedback_parquet
from pipelines.simulator.randomness import below, stream
from pipelines.simulator.sessions import Event

FEEDBACK_TYPE = "gen_ai.evaluation.result"
FEEDBACK_FILE = "feedback-export.parquet"
_TRUNCATED_KEEP = 0.6  # share of part-00's compressed bytes the broken re-upload kept


def part_name(number: int) -> str:
    return f"part-{number:02d}.jsonl.gz"


def relative_name(day: str, name: str) -> str:
    """A landing file as the ground truth names it: relative to the landing root."""
    return f"events/date={day}/{name}"


@dataclass
class Carried:
    """A line or feedback row that arrives on a later day than it was produced."""

    arrival_index: int
    sequence: int  # unique across the run: orders carried items deterministically
    kind: str  # "late" or "duplicate"
    t_ms: int
    event_id: str
    line: bytes | None  # JSONL line; None for a feedback row
    doc: dict[str, Any] | None  # feedback row; None for a JSONL line


@dataclass
class PartCounts:
    valid: int = 0
    duplicate: int = 0
    malformed: dict[str, int] = field(default_factory=dict)


@dataclass
class PartOutcome:
    counts: PartCounts
    feedback: list[tuple[int, int, dict[str, Any], str]]  # (t, sequence, doc, role valid|duplicate)
    carry_out: list[Carried]


class ArrivalPart:
    """Writes one part file of one day and plants the per-line faults around its real lines."""

    def __init__(self, config: SimulationConfig, day_index: int, part: int, writer: GzipLineWriter,
                 fault_log: faults.FaultLog, slots: int, oversize: bool) -> None:
        self.config = config
        self.day_index = day_index
        self.day = config.day_dates[day_index].isoformat()
        self.day_start_ms = clock.day_start_ms(config.day_dates[day_index])
        self.day_end_ms = self.day_start_ms + clock.MS_PER_DAY
        self.writer = writer
        self.file = relative_name(self.day, writer.path.name)
        self.fault_log = fault_log
        self.rng = stream(config.seed, "landing", day_index, part)
        self.counts = PartCounts()
        self.feedback: list[tuple[int, int, dict[str, Any], str]] = []
        self.carry_out: list[Carried] = []
        self._sequence = (day_index * 1000 + part) * 10_000_000
        self._late = faults.Countdown(self.rng, config.late_rate)
        self._duplicate = faults.Countdown(self.rng, config.duplicate_rate)
        self._malformed = faults.Countdown(self.rng, config.malformed_rate)
        self._days_left = config.days - 1 - day_index
        self._pending_duplicates: list[tuple[int, int, Carried]] = []  # (due slot, sequence, copy)
        self._oversize_slot = below(self.rng, max(1, slots)) if oversize else None
        self._slot = 0

    def _next_sequence(self) -> int:
        self._sequence += 1
        return self._sequence

    def add_batch(self, slot: int, batch: list[Event]) -> None:
        """Deliver a session (or a consent change) that happened at session ``slot`` of this part."""
        self._slot = slot
        while self._pending_duplicates and self._pending_duplicates[0][0] <= slot:
            self._write_duplicate(heapq.heappop(self._pending_duplicates)[2])
        if self._oversize_slot is not None and slot >= self._oversize_slot and "turn_id" in batch[0][1]:
            self._oversize_slot = None
            line, event_id = faults.oversize_line(self.rng, batch[0][1], self.config.huge_line_bytes)
            self._write_malformed(faults.OVERSIZE, line, event_id)
        for t_ms, doc in batch:
            if t_ms < self.day_start_ms:  # day 0's consent backfill: already old, never made later
                self._deliver(t_ms, doc, backfill=True)
            elif self._days_left > 0 and self._late.fire():
                delay = 2 if self._days_left > 1 and self.rng.random() < 0.3 else 1
                feedback = doc["event_type"] == FEEDBACK_TYPE
                self.carry_out.append(Carried(self.day_index + delay, self._next_sequence(), "late", t_ms,
                                              doc["event_id"], None if feedback else dumps(doc),
                                              doc if feedback else None))
            else:
                self._deliver(t_ms, doc)

    def _deliver(self, t_ms: int, doc: dict[str, Any], backfill: bool = False) -> None:
        """Land a real event once, then maybe a duplicate and a malformed line after it."""
        self.counts.valid += 1
        if doc["event_type"] == FEEDBACK_TYPE:
            self.feedback.append((t_ms, self._next_sequence(), doc, "valid"))
            if self._duplicate.fire():
                self._schedule_duplicate(Carried(self.day_index, self._next_sequence(), "duplicate", t_ms,
                                                 doc["event_id"], None, doc))
            return
        line = dumps(doc)
        line_number = self.writer.write(line)
        if backfill:
            self.fault_log.add("late", {
                "event_id": doc["event_id"], "occurred_date": clock.ms_to_date(t_ms).isoformat(),
                "arrival_date": self.day, "file": self.file, "line": line_number, "kind": "consent_backfill"})
        if self._duplicate.fire():
            self._schedule_duplicate(Carried(self.day_index, self._next_sequence(), "duplicate", t_ms,
                                             doc["event_id"], line, None))
        if self._malformed.fire():
            kind = faults.MALFORMED_KINDS[below(self.rng, len(faults.MALFORMED_KINDS))]
            bad, event_id = faults.malformed_line(self.rng, kind, doc, self.day_end_ms)
            self._write_malformed(kind, bad, event_id)

    def _schedule_duplicate(self, copy: Carried) -> None:
        """A client retry: right after, later the same day, or (10%) in the next day's late-arrivals file."""
        roll = self.rng.random()
        if roll < 0.6:
            self._write_duplicate(copy)
        elif roll < 0.9 or self._days_left == 0:
            heapq.heappush(self._pending_duplicates, (self._slot + 1 + below(self.rng, 40), copy.sequence, copy))
        else:
            copy.arrival_index += 1
            self.carry_out.append(copy)

    def _write_duplicate(self, copy: Carried) -> None:
        self.counts.duplicate += 1
        if copy.line is None:
            self.feedback.append((copy.t_ms, copy.sequence, copy.doc or {}, "duplicate"))
            return
        self.fault_log.add("duplicates", {"event_id": copy.event_id, "file": self.file,
                                          "line": self.writer.write(copy.line)})

    def _write_malformed(self, kind: str, line: bytes, event_id: str | None) -> None:
        line_number = self.writer.write(line)
        self.counts.malformed[kind] = self.counts.malformed.get(kind, 0) + 1
        self.fault_log.add("malformed", {"file": self.file, "line": line_number, "kind": kind,
                                         "event_id": event_id, "bytes": len(line)})

    def close(self) -> PartOutcome:
        while self._pending_duplicates:
            self._write_duplicate(heapq.heappop(self._pending_duplicates)[2])
        self.writer.close()
        return PartOutcome(self.counts, self.feedback, self.carry_out)


def finish_day(config: SimulationConfig, day_index: int, folder: Path, outcomes: list[PartOutcome],
               carried_in: list[Carried], writer: GzipLineWriter, fault_log: faults.FaultLog) -> DayLines:
    """Complete a day folder: late arrivals, the feedback export, broken files; count what landed.

    ``writer`` is the day's late-arrivals file; the caller drains its compressor before the
    truncated re-upload copies part-00 (so every part must be complete on disk by then).
    """
    day = config.day_dates[day_index].isoformat()
    rng = stream(config.seed, "arrivals", day_index)
    duplicate = faults.Countdown(rng, config.duplicate_rate)
    late_file = relative_name(day, writer.path.name)
    valid = sum(o.counts.valid for o in outcomes)
    duplicates = sum(o.counts.duplicate for o in outcomes)
    late = 0
    feedback = [row for o in outcomes for row in o.feedback]

    arrivals = sorted(carried_in, key=lambda c: c.sequence)
    rng.shuffle(arrivals)
    for item in arrivals:
        if item.line is None:  # a feedback row: it goes to the Parquet export
            feedback.append((item.t_ms, item.sequence, item.doc or {}, item.kind))
            valid += item.kind == "late"
            late += item.kind == "late"
            duplicates += item.kind == "duplicate"
            continue
        line_number = writer.write(item.line)
        if item.kind == "duplicate":
            duplicates += 1
            fault_log.add("duplicates", {"event_id": item.event_id, "file": late_file, "line": line_number})
            continue
        valid += 1
        late += 1
        fault_log.add("late", {"event_id": item.event_id, "occurred_date": clock.ms_to_date(item.t_ms).isoformat(),
                               "arrival_date": day, "file": late_file, "line": line_number, "kind": "delayed"})
        if duplicate.fire():
            duplicates += 1
            fault_log.add("duplicates", {"event_id": item.event_id, "file": late_file,
                                         "line": writer.write(item.line)})
    writer.close()

    feedback.sort(key=lambda row: (row[0], row[1]))
    parquet = folder / FEEDBACK_FILE
    write_feedback_parquet(parquet, [(t_ms, doc) for t_ms, _, doc, _ in feedback])
    for row_number, (t_ms, _, doc, role) in enumerate(feedback, start=1):
        if role == "late":
            fault_log.add("late", {"event_id": doc["event_id"], "occurred_date": clock.ms_to_date(t_ms).isoformat(),
                                   "arrival_date": day, "file": relative_name(day, FEEDBACK_FILE),
                                   "line": row_number, "kind": "delayed"})
        elif role == "duplicate":
            fault_log.add("duplicates", {"event_id": doc["event_id"], "file": relative_name(day, FEEDBACK_FILE),
                                         "line": row_number})

    malformed: dict[str, int] = {}
    for outcome in outcomes:
        for kind, count in outcome.counts.malformed.items():
            malformed[kind] = malformed.get(kind, 0) + count
    return DayLines(
        day=day, valid=valid, late=late, duplicate=duplicates, malformed=dict(sorted(malformed.items())),
        feedback_rows=sum(1 for row in feedback if row[3] != "duplicate"), billing_events=0, files=0, bytes=0,
    )


def plant_file_faults(config: SimulationConfig, day_index: int, folder: Path, fault_log: faults.FaultLog) -> None:
    """On some days: an empty upload and a re-upload of part-00 cut short (extra files, nothing lost)."""
    rng = stream(config.seed, "file-faults", day_index)
    if not config.file_faults or not (day_index == 0 or rng.random() < 0.4):
        return
    day = config.day_dates[day_index].isoformat()
    number = config.parts_per_day + 1  # after the parts and the late-arrivals file
    empty = folder / part_name(number)
    empty.write_bytes(b"")
    fault_log.add("files", {"file": relative_name(day, empty.name), "kind": "empty_file"})
    original = folder / part_name(0)
    truncated = folder / part_name(number + 1)
    size = original.stat().st_size
    kept, complete_lines = _copy_prefix(original, truncated, int(size * _TRUNCATED_KEEP))
    fault_log.add("files", {
        "file": relative_name(day, truncated.name), "kind": "truncated_gzip",
        "copy_of": relative_name(day, part_name(0)), "bytes_kept": kept, "bytes_original": size,
        "complete_lines": complete_lines,
    })


def _copy_prefix(source: Path, destination: Path, keep: int) -> tuple[int, int]:
    """Copy the first ``keep`` bytes of a gzip file, in chunks; (bytes kept, complete lines readable)."""
    decompressor = zlib.decompressobj(31)
    lines = 0
    with source.open("rb") as reader, destination.open("wb") as writer:
        left = keep
        while left > 0:
            chunk = reader.read(min(left, 1 << 18))
            if not chunk:
                break
            writer.write(chunk)
            pending = chunk
            while pending:  # bounded output per call: memory stays small whatever the ratio
                lines += decompressor.decompress(pending, 1 << 20).count(b"\n")
                pending = decompressor.unconsumed_tail
            left -= len(chunk)
    return keep - left, lines
