"""What a simulation run is asked to do (``SimulationConfig``) and what it did (``GenerationReport``)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

_RATE_FIELDS = (
    "pii_rate",
    "secret_rate",
    "duplicate_rate",
    "late_rate",
    "malformed_rate",
    "consent_revoke_rate",
    "never_consented_share",
)


@dataclass(frozen=True)
class SimulationConfig:
    """The knobs of one simulated platform; the same config always gives the same bytes.

    Rates are probabilities in [0, 1]. Faults (duplicates, late arrivals, malformed lines, broken
    files) are always EXTRA lines or copies: they never remove or alter a real event, so the
    ground truth stays exact whatever the rates.
    """

    seed: int = 7
    start: date = date(2026, 11, 2)
    days: int = 7
    # One interaction = one turn: a prompt and the generation(s) that answer it.
    interactions_per_day: int = 2000
    # Workspaces that signed up before ``start`` (some of them have churned by then).
    workspaces: int = 120
    billing_history_months: int = 12
    # Share of free-text fields that get injected personal data / a secret.
    pii_rate: float = 0.06
    secret_rate: float = 0.02
    # Share of events re-sent with the same event_id (an extra, identical line).
    duplicate_rate: float = 0.01
    # Share of events that land in a later day's files (1-2 days late).
    late_rate: float = 0.02
    # Extra malformed lines per valid line.
    malformed_rate: float = 0.004
    # Daily probability that a consenting user revokes consent during the window.
    consent_revoke_rate: float = 0.004
    never_consented_share: float = 0.1
    # Size of the occasional oversize line; must exceed ingest's 1 MiB limit to be a fault.
    huge_line_bytes: int = 2_000_000
    # On some days, one empty file and one gzip cut short (a partial re-upload).
    file_faults: bool = True
    # Interaction-event JSONL files per day (an exporter writing shards in parallel).
    parts_per_day: int = 3

    def __post_init__(self) -> None:
        problems = []
        for name in _RATE_FIELDS:
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                problems.append(f"{name}={value} must be between 0 and 1")
        for name, minimum in (("days", 1), ("interactions_per_day", 1), ("workspaces", 1),
                              ("billing_history_months", 1), ("parts_per_day", 1)):
            if getattr(self, name) < minimum:
                problems.append(f"{name}={getattr(self, name)} must be at least {minimum}")
        if self.huge_line_bytes < 0:
            problems.append(f"huge_line_bytes={self.huge_line_bytes} must be >= 0 (0 turns oversize lines off)")
        if problems:
            raise ValueError("invalid SimulationConfig: " + "; ".join(problems))

    @property
    def day_dates(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range(self.days)]

    @property
    def end(self) -> date:
        """The last simulated day (inclusive)."""
        return self.start + timedelta(days=self.days - 1)

    def to_json(self) -> dict[str, Any]:
        return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in dataclasses.asdict(self).items()}


@dataclass(frozen=True)
class DayLines:
    """What landed in one arrival day's interaction-event files (JSONL lines and Parquet rows)."""

    day: str
    valid: int  # real events (unique ids) arriving this day, late arrivals included
    late: int  # of which occurred on an earlier day
    duplicate: int  # extra copies of a real event (same event_id)
    malformed: dict[str, int]  # extra broken lines by kind
    feedback_rows: int  # real events in feedback-export.parquet (part of ``valid``)
    billing_events: int  # lines of the day's billing.jsonl (history.jsonl excluded)
    files: int
    bytes: int

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class GenerationReport:
    """The outcome of ``generate``: counts, sizes, speed, and where things are."""

    events_written: int  # unique real events: interaction events plus billing events (history included)
    interaction_events: int
    billing_events: int
    days: tuple[DayLines, ...]
    bytes_written: int
    seconds: float
    landing_dir: Path
    ground_truth_dir: Path
    files: tuple[Path, ...] = field(default=())

    @property
    def events_per_second(self) -> float:
        return self.events_written / self.seconds if self.seconds > 0 else 0.0

    @property
    def lines_by_day(self) -> dict[str, dict[str, int]]:
        """Lines per day and kind: valid, late, duplicate, and ``malformed:<kind>``."""
        out: dict[str, dict[str, int]] = {}
        for d in self.days:
            row = {"valid": d.valid, "late": d.late, "duplicate": d.duplicate}
            row.update({f"malformed:{k}": v for k, v in sorted(d.malformed.items())})
            out[d.day] = row
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "events_written": self.events_written,
            "interaction_events": self.interaction_events,
            "billing_events": self.billing_events,
            "bytes_written": self.bytes_written,
            "seconds": round(self.seconds, 3),
            "events_per_second": round(self.events_per_second, 1),
            "landing_dir": str(self.landing_dir),
            "ground_truth_dir": str(self.ground_truth_dir),
            "days": [d.to_json() for d in self.days],
        }
