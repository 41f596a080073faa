"""Who is being forgotten, and every id the pipeline holds that leads back to them (the footprint).

A deletion request names one user or one workspace. The pipeline's stores hold more than that id:
the events they produced (event ids), their sessions, apps, turns and response ids. A row in any
store that carries one of these ids is theirs. Ids shared with someone else (a session of two
users) are never in the footprint: deleting by them would delete another person's data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from pipelines.deletion.tombstones import SUBJECT_KINDS

# The contract's id alphabet (schemas/: ^[A-Za-z0-9][A-Za-z0-9_.:@-]*$) minus '@', which dbt uses
# to join ids into composite keys (``ws_0008@2025-11``): an id is matched as a whole token.
_ID_CHARS = r"A-Za-z0-9_.:\-"
ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,127}$")

# Typed event columns (pipelines.contract) that hold ids derived from a person's activity.
DERIVED_ID_COLUMNS = ("event_id", "session_id", "app_id", "turn_id", "response_id")


class InvalidSubject(ValueError):
    """The id given is not a contract id (so it can match nothing)."""


@dataclass(frozen=True)
class Subject:
    kind: str  # "user" | "workspace"
    subject_id: str

    def __post_init__(self) -> None:
        if self.kind not in SUBJECT_KINDS:
            raise InvalidSubject(f"unknown subject kind {self.kind!r}: expected one of {SUBJECT_KINDS}")
        if not ID_PATTERN.match(self.subject_id):
            raise InvalidSubject(
                f"{self.kind} id {self.subject_id!r} is not a valid id (letters, digits and _.:@- only, "
                "at most 128 characters): nothing could match it"
            )

    @property
    def column(self) -> str:
        """The event column that names the subject."""
        return "user_id" if self.kind == "user" else "workspace_id"

    def owns(self, record: dict[str, Any]) -> bool:
        return record.get(self.column) == self.subject_id


@dataclass
class Footprint:
    """Every id of the subject found in the stores, and their texts (in memory only, never written)."""

    subject: Subject
    event_ids: set[str] = field(default_factory=set)
    derived_ids: set[str] = field(default_factory=set)  # sessions, apps, turns, responses they alone used
    generation_ids: set[str] = field(default_factory=set)
    sessions: set[str] = field(default_factory=set)
    turns: dict[tuple[str, str], list[str]] = field(default_factory=dict)  # (session, turn) -> generations
    raw_texts: dict[str, set[str]] = field(default_factory=dict)  # text column -> unscrubbed texts
    scrubbed_texts: dict[str, set[str]] = field(default_factory=dict)  # text column -> lake texts
    subscriptions: set[str] = field(default_factory=set)  # a workspace's billing subscriptions

    def ids(self) -> set[str]:
        """Every id a row can be matched on (the subject id included)."""
        return {self.subject.subject_id} | self.event_ids | self.derived_ids

    def needles(self, min_length: int = 8) -> set[str]:
        """Strings whose presence in a file means the subject is still there: ids and long texts."""
        texts = {t for group in (*self.raw_texts.values(), *self.scrubbed_texts.values()) for t in group}
        return {n for n in self.ids() | {t for t in texts if len(t) >= 24} if len(n) >= min_length}


def id_token_pattern(ids: set[str]) -> re.Pattern[bytes] | None:
    """A bytes regex that finds any of ``ids`` as a whole id token (not inside a longer id)."""
    if not ids:
        return None
    alternatives = b"|".join(re.escape(i.encode()) for i in sorted(ids, key=len, reverse=True))
    boundary = _ID_CHARS.encode()
    return re.compile(rb"(?<![" + boundary + rb"])(?:" + alternatives + rb")(?![" + boundary + rb"])")


def mentions(pattern: re.Pattern[bytes] | None, data: bytes) -> bool:
    return pattern is not None and pattern.search(data) is not None
