"""Pattern detection line by line for texts without NER: each distinct line is read once per process.

Code patches, build logs and pasted files are made of lines that recur across texts (imports,
boilerplate, CSS, the same component), while the texts themselves almost never repeat. A
recognizer whose matches can never contain a line break finds on a text exactly what it finds on
each of its lines, shifted to the line's offset; so such "line-local" recognizers run once per
distinct line (``LineScanner`` caches their results per line), and only the other recognizers
(rules with ``\\s`` between a key and its value, private-key blocks, a key id next to its
secret...) read the whole text. Presidio's own clean-up (score threshold, then contained
duplicates of one type) is applied again to the union, which gives the same list as one analyzer
call over the whole text, because no line-local span crosses a line and that clean-up only ever
compares spans that overlap.

A regex is line-local (``regex_is_line_local``) when nothing in it, lookarounds included, can
match "\\n", and it has no ``^``/``$``/``\\A``/``\\Z`` that would mean "start or end of the
text": then at a line's edge a lookaround sees "\\n" in the text and nothing in the line, which
no such lookaround tells apart. Recognizers are split rule by rule (``split_recognizer``); the
name recognizer declares its own parts. tests/privacy check on every corpus that the split path
gives the same findings as the whole-text analyzer.

The whole-text recognizers are screened by the lines too (``TextScreens``): a recognizer finds
nothing in a text without its trigger, and a line-local trigger is in a text exactly when it is
in one of its lines; so what each distinct line shows of every trigger is remembered with the
line's results, and a text is read only by the recognizers its lines call for (most texts by
none). A trigger that crosses lines (``TriggerAcrossLines``) or the name recognizer's text part
say what a line shows of them.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Sequence
from itertools import chain
from typing import Any

from presidio_analyzer import AnalyzerEngine, EntityRecognizer, PatternRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from pipelines.privacy.names import NameRecognizer
from pipelines.privacy.patterns import RuleRecognizer, ScreenedPattern
from pipelines.privacy.regex_syntax import sre_constants, sre_parse

NEWLINE = ord("\n")
# Lines longer than this are scanned but not remembered (minified bundles, data URIs).
MAX_CACHED_LINE_CHARS = 2_000
# Distinct lines remembered per process and policy (~150 bytes each with their results).
LINE_CACHE_SIZE = 300_000
# Unseen lines are analysed joined by "\n" in blocks of about this many characters.
BLOCK_CHARS = 200_000

_CATEGORIES_WITH_NEWLINE = {
    sre_constants.CATEGORY_SPACE,
    sre_constants.CATEGORY_NOT_DIGIT,
    sre_constants.CATEGORY_NOT_WORD,
    sre_constants.CATEGORY_LINEBREAK,
}
_TEXT_EDGES = {sre_constants.AT_BEGINNING_STRING, sre_constants.AT_END_STRING}
_LINE_OR_TEXT_EDGES = {sre_constants.AT_BEGINNING, sre_constants.AT_END}


def _set_has_newline(items: list[tuple[Any, Any]]) -> bool:
    negate = False
    member = False
    for op, av in items:
        if op is sre_constants.NEGATE:
            negate = True
        elif op is sre_constants.LITERAL:
            member |= av == NEWLINE
        elif op is sre_constants.RANGE:
            member |= av[0] <= NEWLINE <= av[1]
        elif op is sre_constants.CATEGORY:
            member |= av in _CATEGORIES_WITH_NEWLINE
        else:  # CHARSET / BIGCHARSET only appear after compilation; be conservative
            return True
    return member != negate


def _local(parsed: Any, flags: int) -> bool:
    for op, av in parsed:
        if op is sre_constants.LITERAL:
            if av == NEWLINE:
                return False
        elif op is sre_constants.NOT_LITERAL:
            if av != NEWLINE:
                return False
        elif op is sre_constants.ANY:
            if flags & re.DOTALL:
                return False
        elif op is sre_constants.IN:
            if _set_has_newline(av):
                return False
        elif op is sre_constants.AT:
            if av in _TEXT_EDGES or (av in _LINE_OR_TEXT_EDGES and not flags & re.MULTILINE):
                return False
        elif op is sre_constants.SUBPATTERN:
            _, add_flags, del_flags, sub = av
            if not _local(sub, (flags | add_flags) & ~del_flags):
                return False
        elif op is sre_constants.BRANCH:
            if not all(_local(branch, flags) for branch in av[1]):
                return False
        elif op in (sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT, sre_constants.POSSESSIVE_REPEAT):
            if not _local(av[2], flags):
                return False
        elif op in (sre_constants.ASSERT, sre_constants.ASSERT_NOT):
            if not _local(av[1], flags):
                return False
        elif op is sre_constants.ATOMIC_GROUP:
            if not _local(av, flags):
                return False
        elif op is sre_constants.GROUPREF_EXISTS:
            _, yes, no = av
            if not _local(yes, flags) or (no is not None and not _local(no, flags)):
                return False
        elif op is sre_constants.GROUPREF:
            continue  # repeats what a group matched, which was checked where the group is
        else:
            return False  # anything unforeseen counts as crossing lines
    return True


def regex_is_line_local(pattern: str, flags: int = 0) -> bool:
    """True when no match of ``pattern`` (lookarounds included) can involve a line break or the
    text's own start or end: then matching a text and matching each of its lines agree."""
    try:
        parsed = sre_parse.parse(pattern, flags)
    except Exception:  # noqa: BLE001 - a syntax only the `regex` module knows: not provably local
        return False
    return _local(parsed, parsed.state.flags)


def split_recognizer(
    recognizer: EntityRecognizer,
) -> tuple[EntityRecognizer | None, EntityRecognizer | None]:
    """``(line-local part, whole-text part)`` of a recognizer; either may be None."""
    if isinstance(recognizer, NameRecognizer):
        return recognizer.part("line"), recognizer.part("text")
    if isinstance(recognizer, RuleRecognizer):
        local = [r for r in recognizer.rules if regex_is_line_local(r.regex, r.flags)]
        whole = [r for r in recognizer.rules if r not in local]
        if not whole:
            return recognizer, None
        if not local:
            return None, recognizer
        return recognizer.with_rules(local), recognizer.with_rules(whole)
    if isinstance(recognizer, PatternRecognizer) and not recognizer.deny_list:
        flags = recognizer.global_regex_flags or 0
        if all(regex_is_line_local(p.regex, flags) for p in recognizer.patterns):
            return recognizer, None
    return None, recognizer


def _analyzer(template: AnalyzerEngine, recognizers: list[EntityRecognizer]) -> AnalyzerEngine:
    from pipelines.privacy.engine import CachedRecognizerRegistry, ContextFreeAnalyzerEngine

    registry = CachedRecognizerRegistry(
        recognizers=recognizers, supported_languages=template.supported_languages
    )
    return ContextFreeAnalyzerEngine(
        registry=registry,
        nlp_engine=template.nlp_engine,
        supported_languages=template.supported_languages,
        default_score_threshold=template.default_score_threshold,
        context_aware_enhancer=template.context_aware_enhancer,
    )


# A line's results: (entity, start, end, score, recognizer name, recognizer id, pattern name).
_LineResult = tuple[str, int, int, float, str, str, str]
# What is remembered of a line: its line-local results and what it shows of each text trigger.
_LineEntry = tuple[tuple[_LineResult, ...], int]
_NOTHING: _LineEntry = ((), 0)
_EMPTY_LINE = ("",)  # holds nothing: never read
# A test of one line: (line, line.lower() when ASCII else None) -> whether it shows something.
_LineTest = Callable[[str, "str | None"], bool]


class TextScreens:
    """Which whole-text recognizers can find anything in a text, from what its lines show.

    Every line test has a bit; a line's mask holds the bits of the tests it passes, a text's mask
    is the OR of its lines' masks. A recognizer is called for when all the bits of one of its
    conditions are in the mask: its trigger (or its rules' triggers) on a line, or, for a trigger
    that crosses lines, a line that ends as the trigger may begin and one that starts as it may
    end. A recognizer without a trigger, or with screening switched off, has the empty condition
    and is always called for.
    """

    def __init__(self, recognizers: Sequence[EntityRecognizer]) -> None:
        self.tests: list[_LineTest] = []
        self.conditions: list[tuple[int, ...]] = [self._conditions(r) for r in recognizers]
        self._called_for: dict[int, tuple[int, ...]] = {}

    def line_mask(self, line: str) -> int:
        lowered = line.lower() if line.isascii() else None
        mask = 0
        for bit, test in enumerate(self.tests):
            if test(line, lowered):
                mask |= 1 << bit
        return mask

    def text_mask(self, text: str) -> int:
        """The OR of the masks of the text's lines (LineScanner takes them from its line cache)."""
        mask = 0
        for line in text.split("\n"):
            mask |= self.line_mask(line)
        return mask

    def called_for(self, mask: int) -> tuple[int, ...]:
        """The indexes of the recognizers a text of this mask needs."""
        found = self._called_for.get(mask)
        if found is None:
            found = self._called_for[mask] = tuple(
                i for i, conditions in enumerate(self.conditions)
                if any(mask & condition == condition for condition in conditions)
            )  # fmt: skip
        return found

    def _bit(self, test: _LineTest) -> int:
        self.tests.append(test)
        return 1 << (len(self.tests) - 1)

    def _conditions(self, recognizer: EntityRecognizer) -> tuple[int, ...]:
        if isinstance(recognizer, NameRecognizer) and recognizer.which == "text":
            return (self._bit(lambda line, _: NameRecognizer.line_leads_on(line)),)
        if not isinstance(recognizer, RuleRecognizer) or recognizer.trigger is None or not recognizer.screen:
            return (0,)
        trigger = recognizer.trigger
        if trigger.search("") is not None:  # an empty match is in every text, lines or not
            return (0,)
        rule_triggers = [rule.trigger for rule in recognizer.rules]
        if all(rule_triggers) and regex_is_line_local(joined := "|".join(f"(?:{t})" for t in rule_triggers)):
            # what every match of each rule holds within a line: stricter than the recognizer's
            # trigger, too slow a regex for every whole text, read here once per distinct line
            within = ScreenedPattern(re.compile(joined))
            return (self._bit(lambda line, lowered: within.search(line, lowered) is not None),)
        local = regex_is_line_local(trigger.pattern, trigger.flags)
        across = recognizer.across_lines
        if not local and across is None:
            return (0,)
        on_a_line = self._bit(recognizer._triggered)
        if local:
            return (on_a_line,)
        ends, starts = re.compile(across.line_end), re.compile(across.line_start)  # type: ignore[union-attr]
        ending = self._bit(lambda line, _: ends.search(line) is not None)
        starting = self._bit(lambda line, _: starts.search(line) is not None)
        return (on_a_line, ending | starting)


class LineScanner:
    """Runs a no-NER analyzer's recognizers line by line where that cannot change the result."""

    def __init__(self, analyzer: AnalyzerEngine, language: str, entities: Sequence[str],
                 score_threshold: float) -> None:  # fmt: skip
        local, whole = [], []
        for recognizer in analyzer.registry.recognizers:
            line_part, text_part = split_recognizer(recognizer)
            if line_part is not None:
                local.append(line_part)
            if text_part is not None:
                whole.append(text_part)
        self.line_recognizers = [r.name for r in local]
        self.text_recognizers = [r.name for r in whole]
        self._template = analyzer
        self._lines = _analyzer(analyzer, local) if local else None
        self._text_parts = whole
        self.screens = TextScreens(whole)
        # one analyzer per set of whole-text recognizers that texts called for (a handful)
        self._text_analyzers: dict[tuple[int, ...], AnalyzerEngine] = {}
        self._language = language
        self._entities = list(entities)
        self._threshold = score_threshold
        self._empty = NlpArtifacts([], None, [], [], None, language)  # type: ignore[arg-type]
        # lines with no result that call for nothing (most), and the others with what they hold
        self._quiet: set[str] = set()
        self._cache: dict[str, _LineEntry] = {}
        self._part_entities: dict[int, list[str]] = {}
        self.lines_read = 0
        self.lines_scanned = 0
        self.texts_read_whole = 0

    def analyze(self, text: str) -> list[RecognizerResult]:
        """The same results as the whole analyzer on ``text`` (up to the order of equal spans)."""
        return self.analyze_many([text])[0]

    def analyze_many(self, texts: Sequence[str]) -> list[list[RecognizerResult]]:
        per_text_lines = [text.split("\n") for text in texts]
        self._scan_unseen(per_text_lines)
        out = []
        for text, lines in zip(texts, per_text_lines, strict=True):
            # Most lines of most texts have no result and call for nothing: set arithmetic skips
            # them, and only a text with line results walks its lines for their offsets.
            mask = 0
            with_results: dict[str, tuple[_LineResult, ...]] = {}
            for line in set(lines).difference(self._quiet, _EMPTY_LINE):
                found, line_mask = self._entry(line)
                mask |= line_mask
                if found:
                    with_results[line] = found
            results = self._place(lines, with_results) if with_results else []
            called_for = self.screens.called_for(mask)
            if called_for:
                self.texts_read_whole += 1
                results += self._analyze(self._text_analyzer(called_for), text)
            out.append(_clean_up(results, self._threshold) if results else [])
        return out

    def forget_lines(self) -> None:
        """Drop every remembered line result (the next texts are read as by a new scanner)."""
        self._cache.clear()
        self._quiet.clear()

    # internals

    def _analyze(self, analyzer: AnalyzerEngine, text: str) -> list[RecognizerResult]:
        # Only the entities this part has recognizers for (Presidio warns about the others).
        entities = self._part_entities.get(id(analyzer))
        if entities is None:
            supported = set(analyzer.get_supported_entities(self._language))
            entities = self._part_entities[id(analyzer)] = [e for e in self._entities if e in supported]
        return analyzer.analyze(
            text, self._language, entities=entities, nlp_artifacts=self._empty,
            score_threshold=self._threshold,
        )  # fmt: skip

    def _text_analyzer(self, called_for: tuple[int, ...]) -> AnalyzerEngine:
        analyzer = self._text_analyzers.get(called_for)
        if analyzer is None:
            parts = [self._text_parts[i] for i in called_for]
            analyzer = self._text_analyzers[called_for] = _analyzer(self._template, parts)
        return analyzer

    def _scan_unseen(self, per_text_lines: list[list[str]]) -> None:
        self.lines_read += sum(len(lines) - lines.count("") for lines in per_text_lines)
        distinct = dict.fromkeys(chain.from_iterable(per_text_lines))
        unseen = [
            line for line in distinct
            if line and line not in self._quiet and line not in self._cache and len(line) <= MAX_CACHED_LINE_CHARS
        ]  # fmt: skip
        if unseen and len(self._quiet) + len(self._cache) + len(unseen) > LINE_CACHE_SIZE:
            self.forget_lines()  # and remember this batch's lines, the ones seen before too
            unseen = [line for line in distinct if line and len(line) <= MAX_CACHED_LINE_CHARS]
        block: list[str] = []
        size = 0
        for line in unseen:
            block.append(line)
            size += len(line) + 1
            if size >= BLOCK_CHARS:
                self._remember(block)
                block, size = [], 0
        if block:
            self._remember(block)

    def _remember(self, lines: list[str]) -> None:
        for line, entry in zip(lines, self._read_lines(lines), strict=True):
            if entry == _NOTHING:
                self._quiet.add(line)
            else:
                self._cache[line] = entry

    def _entry(self, line: str) -> _LineEntry:
        entry = self._cache.get(line)
        if entry is None:  # too long to remember
            entry = self._read_lines([line])[0]
        return entry

    def _read_lines(self, lines: list[str]) -> list[_LineEntry]:
        masks = [self.screens.line_mask(line) for line in lines]
        return list(zip(self._scan_block(lines), masks, strict=True))

    @staticmethod
    def _place(lines: list[str], with_results: dict[str, tuple[_LineResult, ...]]) -> list[RecognizerResult]:
        """The results of the lines in ``with_results``, at every place they hold in the text."""
        results = []
        offset = 0
        for line in lines:
            found = with_results.get(line)
            if found is not None:
                for entity, start, end, score, name, identifier, pattern in found:
                    results.append(_result(entity, offset + start, offset + end, score, name,
                                           identifier, pattern))  # fmt: skip
            offset += len(line) + 1
        return results

    def _scan_block(self, lines: list[str]) -> list[tuple[_LineResult, ...]]:
        """The line-local results of each line, from one analyzer call over the lines joined."""
        if self._lines is None:
            return [() for _ in lines]
        self.lines_scanned += len(lines)
        starts = []
        position = 0
        for line in lines:
            starts.append(position)
            position += len(line) + 1
        per_line: list[list[_LineResult]] = [[] for _ in lines]
        for r in self._analyze(self._lines, "\n".join(lines)):
            i = bisect.bisect_right(starts, r.start) - 1
            metadata = r.recognition_metadata or {}
            explanation = r.analysis_explanation
            per_line[i].append((
                r.entity_type, r.start - starts[i], r.end - starts[i], r.score,
                metadata.get(RecognizerResult.RECOGNIZER_NAME_KEY, ""),
                metadata.get(RecognizerResult.RECOGNIZER_IDENTIFIER_KEY, ""),
                explanation.pattern_name if explanation is not None else "",
            ))  # fmt: skip
        return [tuple(found) for found in per_line]


def _result(entity: str, start: int, end: int, score: float, name: str, identifier: str,
            pattern: str) -> RecognizerResult:  # fmt: skip
    from presidio_analyzer import AnalysisExplanation

    explanation = AnalysisExplanation(
        recognizer=name, original_score=score, pattern_name=pattern or None,
        textual_explanation=f"{entity} ({pattern}) by {name}" if pattern else None,
    )  # fmt: skip
    return RecognizerResult(
        entity_type=entity, start=start, end=end, score=score, analysis_explanation=explanation,
        recognition_metadata={
            RecognizerResult.RECOGNIZER_NAME_KEY: name,
            RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: identifier,
        },
    )  # fmt: skip


def _clean_up(results: list[RecognizerResult], threshold: float) -> list[RecognizerResult]:
    """What AnalyzerEngine.analyze does after its recognizers ran (no context, no allow list)."""
    kept = [r for r in results if r.score >= threshold]
    return EntityRecognizer.remove_duplicates(kept)
