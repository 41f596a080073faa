"""What a scrub returns for one text: the scrubbed text and counts, never the values found."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class ScrubResult:
    """The scrubbed ``text`` (None for a None input or a quarantined one), how many findings of
    each entity type were replaced, and why the text was quarantined, if it was.

    ``output_verified``: the scrub replaced something, then read its own output again and found
    nothing more, and ``clean()`` passes the output as it is, so scrubbing the output gives it
    back unchanged (``scrub_batch``). A scrubber with ``keeps_verified_outputs`` (the lake's)
    records that of the output in its cache (``Scrubber._keep``); a result read from a cache says
    False.
    """

    text: str | None
    findings: Mapping[str, int] = field(default_factory=dict)
    quarantine_reason: str | None = None
    output_verified: bool = field(default=False, compare=False, repr=False)

    @property
    def quarantined(self) -> bool:
        return self.quarantine_reason is not None

    @property
    def finding_count(self) -> int:
        return sum(self.findings.values())


NONE_RESULT = ScrubResult(None)
EMPTY_RESULT = ScrubResult("")


def quarantined(reason: str) -> ScrubResult:
    return ScrubResult(None, {}, reason)
