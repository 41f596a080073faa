"""Typed, consistent, keyed placeholders for findings, and their replacement in a text.

Placeholder format: ``<ENTITY_TYPE_hhhhhh>``, e.g. ``<EMAIL_ADDRESS_3f9a1c>`` or
``<SECRET_OPENAI_KEY_07be42>``, where ``hhhhhh`` is the first 6 hex digits (24 bits) of

    HMAC-SHA256(k_pseudonym, normalise(entity_type, value))
    k_pseudonym = HMAC-SHA256(key, b"flywheel/pseudonym/v1")

and ``key`` comes from configuration (``pipelines.settings.pseudonym_key``), never from the data.
The same value gets the same placeholder everywhere the key is the same ("Ana@x.io" and
"ana@x.io" too), so a conversation stays readable; without the key nobody can test a guess
against a placeholder, and no table maps placeholders back to values. 24 bits make collisions
between the handful of values in one conversation negligible; they are not meant to be unique
across the lake. The derived key separates this use from the scrub cache's (cache.py).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

PLACEHOLDER_HEX_DIGITS = 6
PLACEHOLDER = re.compile(r"<([A-Z][A-Z0-9_]*)_([0-9a-f]{6})>")
_DIGITS_ONLY = ("PHONE_NUMBER", "CREDIT_CARD", "US_SSN")


def derive_key(key: bytes, purpose: str) -> bytes:
    """A sub-key for one purpose, so that one configured key serves several uses safely."""
    if not key:
        raise ValueError(
            "the pseudonym key is empty: set FLYWHEEL_PSEUDONYM_KEY or let "
            "pipelines.settings.pseudonym_key create the per-home key file"
        )
    return hmac.new(key, f"flywheel/{purpose}".encode(), hashlib.sha256).digest()


def normalise(entity_type: str, value: str) -> str:
    """The form of a value that decides its placeholder: case, spacing and punctuation removed
    where they do not change what the value is."""
    text = unicodedata.normalize("NFKC", value).strip()
    if entity_type in _DIGITS_ONLY:
        return "".join(c for c in text if c.isdigit())
    if entity_type == "IBAN_CODE":
        return "".join(c for c in text if c.isalnum()).upper()
    if entity_type.startswith("SECRET_"):
        return text  # secrets are case-sensitive
    return " ".join(text.casefold().split()).strip(".,;:!?\"'()[]<>")


class Pseudonymizer:
    """Computes placeholders with one key (HMAC state prepared once, copied per value)."""

    def __init__(self, key: bytes) -> None:
        self._mac = hmac.new(derive_key(key, "pseudonym/v1"), digestmod=hashlib.sha256)

    def placeholder(self, entity_type: str, value: str) -> str:
        mac = self._mac.copy()
        mac.update(normalise(entity_type, value).encode("utf-8", "surrogatepass"))
        return f"<{entity_type}_{mac.hexdigest()[:PLACEHOLDER_HEX_DIGITS]}>"


@dataclass(frozen=True)
class Finding:
    """One detected span. Spans and values stay in memory; only counts leave the scrubber."""

    entity_type: str
    start: int
    end: int
    score: float = 1.0
    recognizer: str = ""


def _priority(entity_type: str) -> int:
    # When spans overlap, the most specific type names the merged span: a secret or a checksummed
    # number before an e-mail, before a phone number, before a name found by NER.
    order = ("CREDIT_CARD", "IBAN_CODE", "US_SSN", "EMAIL_ADDRESS", "IP_ADDRESS", "PHONE_NUMBER",
             "PERSON", "LOCATION")  # fmt: skip
    if entity_type.startswith("SECRET_"):
        return -1
    return order.index(entity_type) if entity_type in order else len(order)


def merge_overlaps(findings: Sequence[Finding]) -> list[Finding]:
    """Overlapping findings become one finding over their union (so no part of either is left),
    typed by the most specific of them. The result is sorted and disjoint."""
    merged: list[Finding] = []
    for finding in sorted(findings, key=lambda f: (f.start, -f.end)):
        if merged and finding.start < merged[-1].end:
            current = merged[-1]
            best = min(
                (current, finding),
                key=lambda f: (_priority(f.entity_type), -f.score, f.start - f.end),
            )
            end = max(current.end, finding.end)
            merged[-1] = Finding(best.entity_type, current.start, end, best.score, best.recognizer)
        else:
            merged.append(finding)
    return merged


def replace_findings(
    text: str, findings: Sequence[Finding], pseudonymizer: Pseudonymizer
) -> tuple[str, Counter[str]]:
    """``text`` with every finding replaced by its placeholder, and the count per entity type."""
    counts: Counter[str] = Counter()
    pieces: list[str] = []
    cursor = 0
    for finding in merge_overlaps(findings):
        pieces.append(text[cursor : finding.start])
        pieces.append(
            pseudonymizer.placeholder(finding.entity_type, text[finding.start : finding.end])
        )
        counts[finding.entity_type] += 1
        cursor = finding.end
    pieces.append(text[cursor:])
    return "".join(pieces), counts


def placeholder_spans(text: str) -> list[tuple[int, int]]:
    """Where placeholders already are (so a second scrub leaves them alone)."""
    if "<" not in text:
        return []
    return [m.span() for m in PLACEHOLDER.finditer(text)]
