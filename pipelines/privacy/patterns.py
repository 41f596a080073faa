"""The pattern recognizer all of Flywheel's own rules share: regex + optional value group + validator.

Presidio's ``PatternRecognizer`` reports the whole regex match. Secrets and context rules need to
report only part of it (the value after ``password=``, the name after ``my name is``), and most need
a check no regex can express (Shannon entropy, a JSON header, a checksum). ``Rule`` adds both, and
``RuleRecognizer`` runs a list of rules behind a ``trigger``: a cheap regex that every match of
every rule must contain, so that the rules are skipped on the (vast majority of) texts without it.
The trigger is a necessary condition by construction, so screening cannot lose a finding; the
test suite checks this on the evaluation corpora with ``screen=False``.
"""

from __future__ import annotations

import bisect
import math
import re
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from presidio_analyzer import (
    AnalysisExplanation,
    EntityRecognizer,
    LocalRecognizer,
    Pattern,
    PatternRecognizer,
    RecognizerResult,
)

from pipelines.privacy.regex_syntax import literal_alternatives, match_prefixes

VALUE_GROUP = "value"


@dataclass(frozen=True)
class Rule:
    """One detection rule.

    ``regex`` may name a group ``value``: then only that group is reported (the rest is context).
    ``validate`` gets the reported value and may reject it; ``validate_match`` gets the whole
    match (to look at the context groups, such as the name a value is assigned to). ``name`` says which kind of finding
    this is (``openai_project_key``); it goes into the explanation, never the value.
    """

    name: str
    regex: str
    score: float = 0.9
    validate: Callable[[str], bool] | None = None
    flags: int = 0
    validate_match: Callable[[re.Match[str]], bool] | None = None
    # Numbers: when a run of digit groups fails as a whole, try its windows (see _refined_spans).
    refine: bool = False
    # Where matches can start: every match starts at most ``anchor_reach`` characters before a
    # match of ``anchor`` (e.g. "api_key" starts 4 before "key"). The regex is then tried only
    # there instead of at every position of the text, which gives the same matches (tested with
    # screening off).
    anchor: str | None = None
    anchor_reach: int = 0
    # Where matches can start, when no fixed reach from an anchor says it (a key name, then any
    # whitespace, then "="): every such position of a text, in order; more is allowed, never less.
    starts: Callable[[str], list[int]] | None = None
    # A regex every match of this rule contains: when a recognizer is split (lines.py), a part
    # whose rules all have one is screened by those alone rather than by the recognizer's trigger;
    # if they cannot cross a line break, lines.py screens a whole text's lines by them.
    trigger: str | None = None

    def compiled(self) -> re.Pattern[str]:
        return re.compile(self.regex, self.flags)


@dataclass(frozen=True)
class TriggerAcrossLines:
    """Where a trigger that can match a line break (``\\s`` after an operator) crosses one: only
    from a line whose end matches ``line_end`` to a later line whose start matches ``line_start``.
    lines.py screens whole texts line by line with it (a property test checks it is never wrong)."""

    line_end: str
    line_start: str


class RuleRecognizer(PatternRecognizer):
    """A Presidio ``PatternRecognizer`` driven by ``Rule``s, screened by a ``trigger`` regex."""

    def __init__(
        self,
        entity: str,
        rules: Sequence[Rule],
        trigger: str | None,
        name: str | None = None,
        trigger_flags: int = 0,
        across_lines: TriggerAcrossLines | None = None,
    ) -> None:
        self.rules = tuple(rules)
        self.trigger = re.compile(trigger, trigger_flags) if trigger else None
        self.across_lines = across_lines
        # (a compiled str pattern's flags always hold re.UNICODE: that one changes nothing here)
        plain = bool(trigger) and not trigger_flags & ~re.UNICODE
        self._trigger_words = literal_words(trigger) if plain else None
        self._trigger_strings = literal_alternatives(trigger) if plain else None  # type: ignore[arg-type]
        # Tests switch screening off to prove that it never changes a result.
        self.screen = True
        self._compiled = [(rule, rule.compiled()) for rule in self.rules]
        # Anchors as lookaheads, so that overlapping occurrences are all found ("secretoken").
        self._anchors = {
            rule.anchor: (re.compile(f"(?=(?:{rule.anchor}))"), literal_words(rule.anchor))
            for rule in self.rules
            if rule.anchor
        }
        # The trigger or an anchor is looked up as words in the lower-cased text (ASCII texts).
        self._reads_lowered = self._trigger_words is not None or any(w for _, w in self._anchors.values())
        super().__init__(
            supported_entity=entity,
            name=name or f"{entity.title().replace('_', '')}Recognizer",
            patterns=[Pattern(rule.name, rule.regex, rule.score) for rule in self.rules],
            global_regex_flags=0,
        )

    def with_rules(self, rules: Sequence[Rule]) -> RuleRecognizer:
        """The same recognizer (entity, trigger, name) with only ``rules`` (lines.py splits)."""
        if self.trigger is not None and all(rule.trigger for rule in rules):
            trigger, flags = "|".join(f"(?:{rule.trigger})" for rule in rules), 0
        elif self.trigger is not None:
            trigger, flags = self.trigger.pattern, self.trigger.flags
        else:
            trigger, flags = None, 0
        same_trigger = self.trigger is not None and trigger == self.trigger.pattern
        part = RuleRecognizer(
            self.supported_entities[0], rules, trigger=trigger, name=self.name, trigger_flags=flags,
            across_lines=self.across_lines if same_trigger else None,
        )  # fmt: skip
        part.screen = self.screen
        return part

    def analyze(
        self,
        text: str,
        entities: list[str],
        nlp_artifacts: object = None,
        regex_flags: int | None = None,
    ) -> list[RecognizerResult]:
        # Lower-cased once for the trigger and every anchor; rules that share an anchor and a
        # reach share their starts (a recognizer's rules often do: the token assignments).
        lowered = text.lower() if self.screen and self._reads_lowered and text.isascii() else None
        if self.screen and self.trigger is not None and not self._triggered(text, lowered):
            return []
        entity = self.supported_entities[0]
        results = []
        anchored: dict[tuple[str, int], list[int]] = {}
        for rule, compiled in self._compiled:
            starts = None
            if self.screen and rule.starts is not None:
                starts = rule.starts(text)
            elif self.screen and rule.anchor is not None:
                where = (rule.anchor, rule.anchor_reach)
                if where not in anchored:
                    anchored[where] = _anchored_starts(rule, self._anchors[rule.anchor], text, lowered)
                starts = anchored[where]
            scan = _scan_numbers if rule.refine else _scan
            for start, end in scan(rule, compiled, text, starts):
                results.append(make_result(entity, start, end, rule.score, self, rule.name))
        return EntityRecognizer.remove_duplicates(results) if len(results) > 1 else results


    def _triggered(self, text: str, lowered: str | None) -> bool:
        """``lowered``: ``text.lower()`` when the text is ASCII, else None."""
        if self._trigger_words is not None and lowered is not None:
            return any(word in lowered for word in self._trigger_words)
        if self._trigger_strings is not None:
            return any(string in text for string in self._trigger_strings)
        return self.trigger.search(text) is not None  # type: ignore[union-attr]


# "(?i:ssn|social security|ss#)": a case-insensitive choice of plain words, nothing else.
_LITERAL_WORDS = re.compile(r"\(\?i:([A-Za-z0-9 _#-]+(?:\|[A-Za-z0-9 _#-]+)*)\)")


def literal_words(pattern: str | None) -> tuple[str, ...] | None:
    """The lower-case words of a pattern that is only "(?i:word|word...)", else None.

    On ASCII text such a pattern matches exactly where ``text.lower()`` holds one of the words,
    and ``str.find`` looks for them far faster than the regex engine tries an alternation.
    """
    match = _LITERAL_WORDS.fullmatch(pattern or "")
    return tuple(w.lower() for w in match.group(1).split("|")) if match else None


def _word_positions(lowered: str, words: tuple[str, ...]) -> list[int]:
    """Every start of every word in ``lowered``, overlapping occurrences included."""
    positions = []
    for word in words:
        found = lowered.find(word)
        while found >= 0:
            positions.append(found)
            found = lowered.find(word, found + 1)
    return positions


def _scan(
    rule: Rule, compiled: re.Pattern[str], text: str, starts: list[int] | None = None
) -> list[tuple[int, int]]:
    return [_value_span(m) for m in _matches(compiled, text, starts) if _accepted(rule, m, text)]


def _matches(compiled: re.Pattern[str], text: str, starts: list[int] | None) -> Iterator[re.Match[str]]:
    """``compiled.finditer(text)``; with ``starts`` (every position where a match can start, in
    order), the regex is tried only there: left to right, resuming after each match."""
    if starts is None:
        yield from compiled.finditer(text)
        return
    resume = 0
    for start in starts:
        if start < resume:
            continue
        match = compiled.match(text, start)
        if match is not None:
            yield match
            resume = max(match.end(), start + 1)


class ScreenedPattern:
    """A compiled regex whose ``finditer`` tries it, on an ASCII text, only where one of its match
    prefixes (``match_prefixes``) occurs in the lower-cased text: the same matches, as every
    match starts at one of those positions (tested against the plain regex)."""

    def __init__(self, compiled: re.Pattern[str]) -> None:
        self.compiled = compiled
        self.prefixes = match_prefixes(compiled.pattern, compiled.flags)

    def finditer(self, text: str, lowered: str | None = None) -> Iterator[re.Match[str]]:
        """``compiled.finditer(text)``. ``lowered``: ``text.lower()`` of an ASCII text, when the
        caller has it (several patterns read one text); else it is worked out here."""
        if lowered is None and text.isascii():
            lowered = text.lower()
        if self.prefixes is None or lowered is None:
            return self.compiled.finditer(text)
        return _matches(self.compiled, text, sorted(set(_word_positions(lowered, self.prefixes))))

    def search(self, text: str, lowered: str | None = None) -> re.Match[str] | None:
        """``compiled.search(text)``, tried where ``finditer`` tries it."""
        return next(iter(self.finditer(text, lowered)), None)


def _anchored_starts(
    rule: Rule, anchor: tuple[re.Pattern[str], tuple[str, ...] | None], text: str, lowered: str | None
) -> list[int]:
    """Every position where a match of ``rule`` can start (``Rule.anchor``), in order.
    ``lowered``: ``text.lower()`` when the text is ASCII, else None."""
    lookahead, words = anchor
    if words is not None and lowered is not None:
        positions = _word_positions(lowered, words)
    else:
        positions = [occurrence.start() for occurrence in lookahead.finditer(text)]
    starts: set[int] = set()
    for position in positions:
        starts.update(range(max(0, position - rule.anchor_reach), position + 1))
    return sorted(starts)


def _search_from(
    compiled: re.Pattern[str], text: str, position: int, starts: list[int] | None
) -> re.Match[str] | None:
    """``compiled.search(text, position)``; with ``starts`` (every position where a match can
    start, in order), the regex is tried only there: the same leftmost match."""
    if starts is None:
        return compiled.search(text, position)
    for index in range(bisect.bisect_left(starts, position), len(starts)):
        match = compiled.match(text, starts[index])
        if match is not None:
            return match
    return None


def _scan_numbers(
    rule: Rule, compiled: re.Pattern[str], text: str, starts: list[int] | None = None
) -> list[tuple[int, int]]:
    """Like ``_scan``, but a rejected run of digit groups is searched again for valid windows,
    and the scan resumes at its next group rather than after it, so that a number straddling
    the end of a rejected run is still found."""
    found: list[tuple[int, int]] = []
    position = 0
    while (match := _search_from(compiled, text, position, starts)) is not None:
        if _accepted(rule, match, text):
            found.append(_value_span(match))
            position = max(match.end(), position + 1)
            continue
        windows = _refined_spans(rule, compiled, text, match)
        if windows:
            found += windows
            position = windows[-1][1]
            continue
        start, end = _value_span(match)
        separator = _GROUP_SEPARATOR.search(text, start, end)
        position = separator.end() if separator else max(match.end(), position + 1)
    return found


def _value_span(match: re.Match[str]) -> tuple[int, int]:
    return match.span(VALUE_GROUP) if VALUE_GROUP in match.re.groupindex else match.span()


def _accepted(rule: Rule, match: re.Match[str], text: str) -> bool:
    start, end = _value_span(match)
    if start < 0 or end <= start:
        return False
    if rule.validate is not None and not rule.validate(text[start:end]):
        return False
    return rule.validate_match is None or rule.validate_match(match)


def _refined_spans(
    rule: Rule, compiled: re.Pattern[str], text: str, match: re.Match[str]
) -> list[tuple[int, int]]:
    """The longest valid number at the start of a run that is invalid as a whole.

    A greedy regex takes adjacent numbers as one ("+44 7911 123456 4111 1111 ..."); the validator
    then rejects the run. Here the run is cut back one digit group at a time from its end; the
    caller then resumes at the next group, so numbers that start later are found too. The work is
    linear in the number of groups of a run.
    """
    start, end = _value_span(match)
    ends = [m.start() for m in _GROUP_SEPARATOR.finditer(text, start, end)]
    for window_end in reversed(ends):
        candidate = compiled.match(text, match.start(), window_end)
        if (
            candidate is not None
            and _value_span(candidate)[1] == window_end
            and _accepted(rule, candidate, text)
        ):
            return [_value_span(candidate)]
    return []


# A separator between two digit groups: where a run of numbers may be cut.
_GROUP_SEPARATOR = re.compile(r"[ .-](?=[\d(+])")


def make_result(
    entity: str, start: int, end: int, score: float, recognizer: LocalRecognizer, kind: str
) -> RecognizerResult:
    """A Presidio result whose explanation names the recognizer and the rule, never the value."""
    explanation = AnalysisExplanation(
        recognizer=recognizer.name,
        original_score=score,
        pattern_name=kind,
        textual_explanation=f"{entity} ({kind}) by {recognizer.name}",
    )
    return RecognizerResult(
        entity_type=entity,
        start=start,
        end=end,
        score=score,
        analysis_explanation=explanation,
        recognition_metadata={
            RecognizerResult.RECOGNIZER_NAME_KEY: recognizer.name,
            RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: recognizer.id,
        },
    )


def shannon_entropy(value: str) -> float:
    """Bits per character of ``value`` (0 for an empty string)."""
    if not value:
        return 0.0
    counts = Counter(value)
    total = len(value)
    return -sum(n / total * math.log2(n / total) for n in counts.values())
