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
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from typing import Any

from presidio_analyzer import AnalyzerEngine, EntityRecognizer, PatternRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from pipelines.privacy.names import NameRecognizer
from pipelines.privacy.patterns import RuleRecognizer
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
        self._lines = _analyzer(analyzer, local) if local else None
        self._text = _analyzer(analyzer, whole) if whole else None
        self._language = language
        self._entities = list(entities)
        self._threshold = score_threshold
        self._empty = NlpArtifacts([], None, [], [], None, language)  # type: ignore[arg-type]
        self._cache: dict[str, tuple[_LineResult, ...]] = {}
        self._part_entities: dict[int, list[str]] = {}
        self.lines_read = 0
        self.lines_scanned = 0

    def analyze(self, text: str) -> list[RecognizerResult]:
        """The same results as the whole analyzer on ``text`` (up to the order of equal spans)."""
        return self.analyze_many([text])[0]

    def analyze_many(self, texts: Sequence[str]) -> list[list[RecognizerResult]]:
        per_text_lines = [_split_lines(t) for t in texts]
        self._scan_unseen([line for lines in per_text_lines for _, line in lines])
        out = []
        for text, lines in zip(texts, per_text_lines, strict=True):
            results = self._analyze(self._text, text) if self._text is not None else []
            for offset, line in lines:
                found = self._cache.get(line)
                if found is None:  # too long to cache, or the cache was just emptied
                    found = self._scan_block([line])[0]
                for entity, start, end, score, name, identifier, pattern in found:
                    results.append(_result(entity, offset + start, offset + end, score, name,
                                           identifier, pattern))  # fmt: skip
            out.append(_clean_up(results, self._threshold) if results else [])
        return out

    def forget_lines(self) -> None:
        """Drop every remembered line result (the next texts are read as by a new scanner)."""
        self._cache.clear()

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

    def _scan_unseen(self, lines: list[str]) -> None:
        if self._lines is None:
            return
        self.lines_read += len(lines)
        unseen = list(
            dict.fromkeys(
                line for line in lines if line not in self._cache and len(line) <= MAX_CACHED_LINE_CHARS
            )
        )
        if len(self._cache) + len(unseen) > LINE_CACHE_SIZE:
            self._cache.clear()
        block: list[str] = []
        size = 0
        for line in unseen:
            block.append(line)
            size += len(line) + 1
            if size >= BLOCK_CHARS:
                self._cache.update(zip(block, self._scan_block(block), strict=True))
                block, size = [], 0
        if block:
            self._cache.update(zip(block, self._scan_block(block), strict=True))

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


def _split_lines(text: str) -> list[tuple[int, str]]:
    """``(offset, line)`` of every non-empty line of ``text``."""
    out = []
    position = 0
    for line in text.split("\n"):
        if line:
            out.append((position, line))
        position += len(line) + 1
    return out


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
