"""The Scrubber: scrub many texts fast, deterministically, and never crash on what users send.

For each call: None and "" pass through; duplicates are scrubbed once; the persistent cache
(cache.py) answers what an earlier run already scrubbed (with the policies it keeps results
of: ``cached_policies``); the rest goes in fixed-size batches to
``workers`` processes (or runs in-process), where each batch is cleaned (control characters,
lone surrogates, zero-width characters), sent through spaCy NER in one ``nlp.pipe`` call
(natural-language policy only, long texts in chunks), then through the pattern recognizers, and
every finding is replaced by its keyed placeholder (pseudonyms.py). Texts that changed are read
again (up to MAX_SCRUB_ROUNDS) until nothing new is found, so scrubbed output re-scans clean.

Determinism: a text's result depends only on the text, the policy, POLICY_VERSION and the key.
Batches are cut the same way whatever the worker count, and results come back in input order.

Bad input never raises: a text that is mostly binary, longer than ``max_chars``, that spaCy
cannot read, or that breaks a recognizer comes back with ``text=None`` and a ``quarantine_reason``.
"""

from __future__ import annotations

import itertools
import logging
import os
import re
import resource
import sqlite3
import time
from collections import Counter
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from presidio_analyzer import AnalyzerEngine, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from pipelines.privacy.cache import CACHE_FILE, ScrubCache
from pipelines.privacy.engine import get_analyzer, ner_recognizer
from pipelines.privacy.lines import LineScanner
from pipelines.privacy.model import LANGUAGE
from pipelines.privacy.names import NOT_PERSONS
from pipelines.privacy.ner_filter import ner_segments
from pipelines.privacy.policies import NER_ENTITIES, POLICIES, Policy, field_policies, get_policy
from pipelines.privacy.pseudonyms import Finding, Pseudonymizer, placeholder_spans, replace_findings
from pipelines.privacy.result import EMPTY_RESULT, NONE_RESULT, ScrubResult, quarantined
from pipelines.settings import FlywheelPaths, pseudonym_key
from pipelines.worker_pools import default_start_method, worker_context

log = logging.getLogger(__name__)

DEFAULT_MAX_CHARS = 5_000_000
# spaCy's NER time and memory grow with document length; pieces of this size keep both flat.
NER_CHUNK_CHARS = 20_000
# A text with more than this share of control or replacement characters is binary, not language.
BINARY_SHARE = 0.10
# Texts per task sent to a worker: small enough to keep two workers busy, large enough for nlp.pipe.
DEFAULT_BATCH_SIZE = 128
# The policies whose scrubbed outputs the lake's scrubber keeps in its persistent cache: prose
# repeats ("fix the build", retries, templates) and its NER is the costly part; code changes are
# near unique (0.2% of lookups hit at a million interactions), and their outputs were 97% of that
# cache's 5.7 GB. Of code, only results with nothing replaced are kept (a key and counts, no
# text): the training sets' re-scan reads the same patches and finds them there.
LAKE_CACHED_POLICIES = ("natural_language",)
# Pieces per nlp.pipe batch: a task of DEFAULT_BATCH_SIZE texts goes through spaCy in one batch.
SPACY_BATCH_SIZE = 256

# What a clean text never holds: control characters (but tab, newline, carriage return), the
# replacement character a bad decode leaves, lone surrogates, and zero-width characters.
_CONTROL = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffd\u200b\u2060\ufeff\u00ad\ud800-\udfff]"
)
# Of those, the ones that mark binary data (zero-width characters are ordinary in some scripts).
_BINARY = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffd\ud800-\udfff]")
_SURROGATE = re.compile("[\ud800-\udfff]")
_REMOVABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b\u2060\ufeff\u00ad]")
_LETTER = re.compile(r"[^\W\d_]")
_NOT_CONTENT = " \t\n.,:;!?'\"()[]{}<>#*-_"


# --- cleaning ----------------------------------------------------------------------------------


def clean(text: str, max_chars: int = DEFAULT_MAX_CHARS) -> tuple[str | None, str | None]:
    """``(cleaned text, None)``, or ``(None, quarantine reason)`` for text we will not scrub.

    Control characters (but tab, newline, carriage return) and zero-width characters are removed
    rather than kept: they can hide a value from every pattern ("jo\\u200bhn@x.io").
    """
    if len(text) > max_chars:
        return None, f"too long: {len(text)} characters (limit {max_chars})"
    if _CONTROL.search(text) is None:
        return text, None
    garbage = len(_BINARY.findall(text))
    if garbage > BINARY_SHARE * len(text):
        return None, f"binary content: {garbage} of {len(text)} characters are control or invalid"
    return _REMOVABLE.sub("", _SURROGATE.sub("\ufffd", text)), None


def ner_chunks(text: str, limit: int = NER_CHUNK_CHARS) -> list[tuple[int, str]]:
    """``(offset, piece)`` pieces of at most ``limit`` characters, cut at a paragraph, line or
    word boundary when there is one, so that no name is cut in two."""
    pieces = []
    start = 0
    while len(text) - start > limit:
        window = text[start : start + limit]
        cut = max(window.rfind("\n\n"), window.rfind("\n"), window.rfind(" "))
        cut = cut + 1 if cut > limit // 2 else limit
        pieces.append((start, text[start : start + cut]))
        start += cut
    pieces.append((start, text[start:]))
    return pieces


def ner_pieces(text: str, screen: bool = True) -> list[tuple[int, str]]:
    """The ``(offset, piece)`` parts of ``text`` that spaCy NER reads.

    With ``screen``, only runs of sentences that may hold a name (ner_filter.ner_segments);
    without, the whole text. Either way in pieces of at most NER_CHUNK_CHARS.
    """
    if not _LETTER.search(text):
        return []
    runs = ner_segments(text) if screen else [(0, len(text))]
    return [
        (start + offset, piece)
        for start, end in runs
        for offset, piece in ner_chunks(text[start:end])
    ]


# --- detection ---------------------------------------------------------------------------------


def _to_findings(results: Sequence[RecognizerResult], offset: int = 0) -> list[Finding]:
    return [
        Finding(r.entity_type, r.start + offset, r.end + offset, r.score,
                (r.recognition_metadata or {}).get(RecognizerResult.RECOGNIZER_NAME_KEY, ""))
        for r in results
    ]  # fmt: skip


def _outside_placeholders(
    finding: Finding, text: str, placeholders: list[tuple[int, int]]
) -> list[Finding]:
    """The parts of ``finding`` outside placeholders of an earlier scrub that hold a letter or
    digit: "<PERSON_1a2b3c>#" read as a token is nothing, "<PERSON_1a2b3c> Smith" is "Smith"."""
    parts = [(finding.start, finding.end)]
    for start, end in placeholders:
        if start < finding.end and finding.start < end:
            parts = [
                p for a, b in parts for p in ((a, min(b, start)), (max(a, end), b)) if p[0] < p[1]
            ]
    if parts == [(finding.start, finding.end)]:
        return [finding]
    kept = []
    for a, b in parts:
        piece = text[a:b]
        a += len(piece) - len(piece.lstrip(_NOT_CONTENT))
        b -= len(piece) - len(piece.rstrip(_NOT_CONTENT))
        if a < b and any(c.isalnum() for c in text[a:b]):
            kept.append(Finding(finding.entity_type, a, b, finding.score, finding.recognizer))
    return kept


def _is_product_name(finding: Finding, text: str) -> bool:
    """ "Claude", "Gemini": AI products that users address by name are not persons."""
    if finding.entity_type != "PERSON":
        return False
    words = text[finding.start : finding.end].strip(" .,:;!?'\"").casefold().split()
    return not words or words[0] in NOT_PERSONS


class NerFailed(RuntimeError):
    """spaCy could not read a piece of the text even on its own: the text is quarantined rather
    than scrubbed with patterns only (which a cache would then remember as its result)."""


class Detector:
    """Finds the spans of one policy in batches of cleaned texts (one per policy and process).

    ``screen_ner=False`` sends whole texts to NER, ``split_lines=False`` runs every pattern
    recognizer on whole texts (the tests compare both ways).
    """

    def __init__(self, policy: Policy, screen_ner: bool = True, split_lines: bool = True) -> None:
        self.policy = policy
        self.screen_ner = screen_ner
        self.analyzer: AnalyzerEngine = get_analyzer(policy)
        self.ner = ner_recognizer(self.analyzer)
        self.entities = list(policy.entities)
        self._empty = NlpArtifacts([], None, [], [], None, LANGUAGE)  # type: ignore[arg-type]
        # What _pipe yields for a piece spaCy fails on; told apart from _empty by identity.
        self._ner_failed = NlpArtifacts([], None, [], [], None, LANGUAGE)  # type: ignore[arg-type]
        # Without NER, patterns run line by line where that gives the same findings (lines.py).
        self.lines = (
            None
            if policy.use_ner or not split_lines
            else LineScanner(self.analyzer, LANGUAGE, self.entities, policy.min_score)
        )

    def detect(
        self,
        texts: Sequence[str],
        ner_cache: dict[str, NlpArtifacts] | None = None,
        pattern_windows: Sequence[list[tuple[int, int]]] | None = None,
    ) -> list[list[Finding] | Exception]:
        """Findings per text, or the exception that text raised (the caller quarantines it).

        ``ner_cache`` maps pieces already read by spaCy to their analysis, and
        ``pattern_windows`` limits the pattern recognizers to parts of each text: together they
        let a second round over partly scrubbed texts pay only for what changed.
        """
        if self.policy.use_ner:
            artifacts = self._ner_artifacts(texts, {} if ner_cache is None else ner_cache)
        else:
            artifacts = [[] for _ in texts]
        windows = pattern_windows if pattern_windows is not None else [None] * len(texts)
        if self.lines is not None and pattern_windows is None:
            try:
                return [self._finish(t, _to_findings(r)) for t, r in zip(texts, self.lines.analyze_many(texts), strict=True)]
            except Exception:  # noqa: BLE001 - redo one by one below to isolate the bad text
                log.warning("line-by-line detection failed on a batch; retrying its texts one by one")
        out: list[list[Finding] | Exception] = []
        for text, pieces, text_windows in zip(texts, artifacts, windows, strict=True):
            try:
                out.append(self._detect_one(text, pieces, text_windows))
            except Exception as error:  # noqa: BLE001 - one bad text must not stop the batch
                log.warning(
                    "scrubbing failed on one text (%s); it is quarantined", type(error).__name__
                )
                out.append(error)
        return out

    def _detect_one(
        self,
        text: str,
        pieces: list[tuple[int, str, NlpArtifacts]],
        pattern_windows: list[tuple[int, int]] | None = None,
    ) -> list[Finding]:
        if any(artifacts is self._ner_failed for _, _, artifacts in pieces):
            raise NerFailed("spaCy could not read a piece of this text")
        whole_text_read = len(pieces) == 1 and pieces[0][0] == 0 and len(pieces[0][1]) == len(text)
        if self.lines is not None and pattern_windows is None:
            return self._finish(text, _to_findings(self.lines.analyze(text)))
        if pattern_windows is None and whole_text_read:
            # The common case: patterns and NER in one analyzer call.
            findings = _to_findings(self._analyze(text, pieces[0][2]))
        else:
            windows = [(0, len(text))] if pattern_windows is None else pattern_windows
            findings = [
                finding
                for start, end in windows
                for finding in _to_findings(self._analyze(text[start:end], self._empty), start)
            ]
            for offset, piece, artifacts in pieces:
                ner_results = (
                    self.ner.analyze(piece, list(NER_ENTITIES), artifacts) if self.ner else []
                )
                findings += _to_findings(
                    [r for r in ner_results if r.score >= self.policy.min_score], offset
                )
        return self._finish(text, findings)

    @staticmethod
    def _finish(text: str, findings: list[Finding]) -> list[Finding]:
        if not findings:
            return findings
        placeholders = placeholder_spans(text)
        kept = [part for f in findings for part in _outside_placeholders(f, text, placeholders)]
        return [f for f in kept if not _is_product_name(f, text)]

    def _analyze(self, text: str, artifacts: NlpArtifacts) -> list[RecognizerResult]:
        return self.analyzer.analyze(
            text, LANGUAGE, entities=self.entities, nlp_artifacts=artifacts,
            score_threshold=self.policy.min_score,
        )  # fmt: skip

    def _ner_artifacts(
        self, texts: Sequence[str], cache: dict[str, NlpArtifacts]
    ) -> list[list[tuple[int, str, NlpArtifacts]]]:
        """spaCy over the pieces of every text that need it, in one ``nlp.pipe`` pass."""
        owners: list[int] = []
        pieces: list[tuple[int, str]] = []
        for i, text in enumerate(texts):
            for offset, piece in ner_pieces(text, self.screen_ner):
                owners.append(i)
                pieces.append((offset, piece))
        unread = list(dict.fromkeys(p for _, p in pieces if p not in cache))
        cache.update(zip(unread, self._pipe(unread), strict=True))
        per_text: list[list[tuple[int, str, NlpArtifacts]]] = [[] for _ in texts]
        for owner, (offset, piece) in zip(owners, pieces, strict=True):
            per_text[owner].append((offset, piece, cache[piece]))
        return per_text

    def _pipe(self, pieces: list[str]) -> Iterator[NlpArtifacts]:
        engine = self.analyzer.nlp_engine
        try:
            for _, artifacts in engine.process_batch(pieces, LANGUAGE, batch_size=SPACY_BATCH_SIZE):
                yield artifacts
        except Exception:  # noqa: BLE001 - fall back to one piece at a time to isolate the bad one
            log.warning("spaCy failed on a batch; retrying its texts one by one")
            for piece in pieces:
                try:
                    yield engine.process_text(piece, LANGUAGE)
                except Exception:  # noqa: BLE001 - that piece's text is quarantined (NerFailed)
                    yield self._ner_failed

    def detect_raw(self, texts: Sequence[str]) -> list[list[Finding]]:
        """Findings per text, raising on error (for evaluation and tests)."""
        out = []
        for result in self.detect(texts):
            if isinstance(result, Exception):
                raise result
            out.append(result)
        return out


# --- scrubbing (runs in-process or in a worker) ------------------------------------------------


@dataclass(frozen=True)
class _Limits:
    max_chars: int = DEFAULT_MAX_CHARS


_DETECTORS: dict[str, Detector] = {}
_WORKER: dict[str, object] = {}
# Each Scrubber's number: a process's remembered lines belong to the last one that worked in it.
_EPOCHS = itertools.count(1)


def detector_for(policy: Policy) -> Detector:
    """This process's detector for ``policy``, built on first use."""
    if policy.name not in _DETECTORS:
        _DETECTORS[policy.name] = Detector(policy)
    return _DETECTORS[policy.name]


# A scrub re-reads what it changed: replacing a value changes its neighbours' context, and spaCy
# may then see a name it missed ("here's <PERSON_...>'s address: 6 Reyes Católicos"). Texts with
# findings are detected again until nothing new turns up, so that scrubbed output re-scans clean.
MAX_SCRUB_ROUNDS = 3


def scrub_batch(
    texts: Sequence[str], policy: Policy, pseudonymizer: Pseudonymizer, limits: _Limits = _Limits()
) -> list[ScrubResult]:
    """Scrub non-empty texts; the pure core that both the parent and the workers run."""
    results: list[ScrubResult | None] = [None] * len(texts)
    current: dict[int, str] = {}
    for i, text in enumerate(texts):
        clean_text, reason = clean(text, limits.max_chars)
        if reason is not None:
            results[i] = quarantined(reason)
        else:
            current[i] = clean_text
    counts: dict[int, Counter[str]] = {i: Counter() for i in current}
    failed: dict[int, Exception] = {}
    detector = detector_for(policy)
    ner_cache: dict[str, NlpArtifacts] = {}
    pending = list(current)
    for round_number in range(MAX_SCRUB_ROUNDS):
        if not pending:
            break
        # After the first round only the surroundings of a replacement can hold a new pattern
        # finding (what lies farther was read identically and is gone), so patterns re-run there.
        windows = None if round_number == 0 else [_changed_windows(current[i]) for i in pending]
        detections = detector.detect([current[i] for i in pending], ner_cache, windows)
        changed = []
        for i, detection in zip(pending, detections, strict=True):
            if isinstance(detection, Exception):
                failed[i] = detection
            elif detection:
                current[i], found = replace_findings(current[i], detection, pseudonymizer)
                counts[i].update(found)
                changed.append(i)
        pending = changed
    # A text still pending changed in the last round: its output was not read again.
    unverified = set(pending)
    for i, text in current.items():
        if i in failed:
            results[i] = quarantined(f"scrubbing failed ({type(failed[i]).__name__})")
        else:
            # (and the output passes clean() as it is: a fresh scrub would not quarantine it)
            verified = bool(counts[i]) and i not in unverified and clean(text, limits.max_chars) == (text, None)
            results[i] = ScrubResult(text, dict(sorted(counts[i].items())), output_verified=verified)
    return results  # type: ignore[return-value]


# Farther than any rule looks around a value (a key name, a cue, an AWS key id before its secret).
CONTEXT_REACH = 500


def _changed_windows(text: str) -> list[tuple[int, int]]:
    """Windows of ``text`` within CONTEXT_REACH of a placeholder, merged, cut at whitespace so
    that no word is read in part."""
    windows: list[tuple[int, int]] = []
    for start, end in placeholder_spans(text):
        start, end = max(0, start - CONTEXT_REACH), min(len(text), end + CONTEXT_REACH)
        while start > 0 and not text[start - 1].isspace():
            start -= 1
        while end < len(text) and not text[end].isspace():
            end += 1
        if windows and start <= windows[-1][1]:
            windows[-1] = (windows[-1][0], end)
        else:
            windows.append((start, end))
    return windows


def _init_worker(key: bytes, policy_names: Sequence[str]) -> None:
    _WORKER["pseudonymizer"] = Pseudonymizer(key)
    for name in policy_names:
        detector_for(POLICIES[name])


def _enter_epoch(epoch: int) -> None:
    """Start ``epoch``'s work in this process: when another Scrubber worked here last (the scrub,
    before its rescan shares the workers), forget every line result it remembered, so that a
    rescan reads each line itself as a fresh process would."""
    if _WORKER.get("epoch") != epoch:
        for detector in _DETECTORS.values():
            if detector.lines is not None:
                detector.lines.forget_lines()
        _WORKER["epoch"] = epoch


def _worker_scrub(texts: list[str], policy_name: str, limits: _Limits, epoch: int) -> list[ScrubResult]:
    _enter_epoch(epoch)
    pseudonymizer = _WORKER["pseudonymizer"]
    return scrub_batch(texts, POLICIES[policy_name], pseudonymizer, limits)  # type: ignore[arg-type]


def _worker_ready() -> bool:
    return "pseudonymizer" in _WORKER


# --- the public class --------------------------------------------------------------------------


@dataclass
class ScrubStats:
    """Where the results of a Scrubber's calls came from (for run metadata)."""

    texts: int = 0
    none_or_empty: int = 0  # None, "" and non-text values, passed through without scrubbing
    duplicates: int = 0
    cache_hits: int = 0
    scrubbed: int = 0
    quarantined: int = 0
    findings: dict[str, int] = field(default_factory=dict)


def _open_fallbacks(directories: Sequence[Path], key: bytes) -> list[ScrubCache]:
    """The caches of ``directories`` that exist and open, read-only. One that is missing or cannot
    be opened answers nothing: its texts are scrubbed instead."""
    opened = []
    for directory in directories:
        if not (directory / CACHE_FILE).exists():
            continue
        try:
            opened.append(ScrubCache(directory, key, read_only=True))
        except sqlite3.Error as error:
            log.warning("scrub cache %s not read (%s); its texts are scrubbed again", directory, error)
    return opened


def lake_cache_dir(paths: FlywheelPaths) -> Path:
    """Where the lake's scrubber keeps its persistent cache."""
    return paths.cache / "scrub"


class Scrubber:
    """Scrubs texts with a policy; see the module docstring.

    ``key``: the pseudonym key (``pipelines.settings.pseudonym_key(paths)``), held in memory only.
    ``cache_dir``: where the persistent scrub cache lives (e.g. ``paths.cache / "scrub"``), or
    None for no persistent cache; ``cached_policies``: the policies whose results go to it (None:
    all; of the others, only results that replaced nothing: a key and counts, never a text).
    ``fallback_cache_dirs``: other scrub caches of the same key, read (never written) for
    what this one lacks; their results are the same function of (policy, POLICY_VERSION, text),
    and what they answer is copied into this cache. ``workers``: processes to scrub with (1 = in
    this process). ``keeps_verified_outputs``: also record each verified output as its own scrub
    (``ScrubResult.output_verified``; the lake's scrubber does, for the training sets' re-scan).
    """

    def __init__(
        self,
        key: bytes,
        *,
        cache_dir: Path | None = None,
        workers: int = 1,
        batch_size: int = DEFAULT_BATCH_SIZE,
        max_chars: int = DEFAULT_MAX_CHARS,
        start_method: str | None = None,
        cached_policies: Collection[str] | None = None,
        fallback_cache_dirs: Sequence[Path] = (),
        keeps_verified_outputs: bool = False,
    ) -> None:
        if workers < 1:
            raise ValueError(f"workers must be at least 1, got {workers}")
        self._key = key
        self._pseudonymizer = Pseudonymizer(key)
        self.cache = ScrubCache(cache_dir, key) if cache_dir is not None else None
        self.fallback_caches = _open_fallbacks(fallback_cache_dirs, key)
        self.cached_policies = None if cached_policies is None else frozenset(cached_policies)
        self.keeps_verified_outputs = keeps_verified_outputs
        self.workers = workers
        self.batch_size = batch_size
        self.limits = _Limits(max_chars=max_chars)
        self.start_method = start_method or default_start_method()
        self.stats = ScrubStats()
        self._pool: ProcessPoolExecutor | None = None
        # A rescanner borrows its scrubber's workers (see rescanner) and never shuts them down.
        self._owns_pool = True
        self._epoch = next(_EPOCHS)
        # Texts sent to the workers and not gathered yet (``submit``), by policy: the results their
        # submission fills when it is gathered, which a later submission of them takes.
        self._in_flight: dict[tuple[str, str], dict[str, ScrubResult]] = {}

    @classmethod
    def for_home(cls, paths: FlywheelPaths, **options: Any) -> Scrubber:
        """The lake's scrubber: the home's pseudonym key, its cache under ``paths.cache / "scrub"``,
        keeping the outputs of natural-language texts only (LAKE_CACHED_POLICIES), and every
        verified output as its own scrub (the lake's texts: what the training sets' re-scan reads,
        and what a deletion forgets by)."""
        options.setdefault("cached_policies", LAKE_CACHED_POLICIES)
        options.setdefault("keeps_verified_outputs", True)
        return cls(pseudonym_key(paths), cache_dir=lake_cache_dir(paths), **options)

    # lifecycle

    def __enter__(self) -> Scrubber:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def rescanner(self) -> Scrubber:
        """A scrubber for an independent second look at this one's output: no cache of any kind
        (every text is read, every line of it too), the same key and limits, and this scrubber's
        worker processes, which would otherwise start again and load their models twice a day."""
        other = Scrubber(
            self._key, workers=self.workers, batch_size=self.batch_size,
            max_chars=self.limits.max_chars, start_method=self.start_method,
        )  # fmt: skip
        if self.workers > 1:
            other._pool, other._owns_pool = self._ensure_pool(list(POLICIES)), False
        return other

    def close(self) -> None:
        if self._pool is not None:
            if self._owns_pool:
                self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        for cache in [self.cache, *self.fallback_caches]:
            if cache is not None:
                cache.close()

    def warm_up(self, policies: Sequence[Policy | str] = tuple(POLICIES)) -> None:
        """Load the models now (here, or in every worker) instead of on the first batch."""
        chosen = [get_policy(p) for p in policies]
        if self.workers == 1:
            for policy in chosen:
                detector_for(policy)
            return
        pool = self._ensure_pool([p.name for p in chosen])
        list(pool.map(_worker_ready_wait, range(self.workers)))

    def worker_usage(self) -> dict[int, WorkerUsage]:
        """Peak memory and CPU time of each worker process so far (empty without workers).

        Read from /proc where there is one (every worker, exactly); elsewhere each worker reports
        itself, which may miss a busy one.
        """
        if self._pool is None:
            return {}
        pids = list(getattr(self._pool, "_processes", None) or {})
        usages = [_proc_usage(pid) for pid in pids]
        if pids and all(usages):
            return {u.pid: u for u in usages if u is not None}
        return {u.pid: u for u in self._pool.map(_worker_ready_wait, range(self.workers * 2))}

    # scrubbing

    def scrub(self, texts: Sequence[str | None], policy: Policy | str) -> list[ScrubResult]:
        """One ScrubResult per input text, in order."""
        return self.submit(texts, policy)()

    def submit(self, texts: Sequence[str | None], policy: Policy | str) -> Callable[[], list[ScrubResult]]:
        """Start scrubbing ``texts``; the function returned waits and gives what ``scrub`` gives.

        The caches are read now and the texts they do not answer go to the workers now, so a
        caller can prepare its next texts (or submit them too) while the workers read these. A
        text already on its way from an earlier submission is not sent again but taken from it, so
        gather in the order of submission (a text whose submission is gathered later is scrubbed
        here, in this process). Each gathering keeps its results in the cache.
        """
        policy = get_policy(policy)
        results: list[ScrubResult | None] = [None] * len(texts)
        positions: dict[str, list[int]] = {}
        for i, text in enumerate(texts):
            if text is None:
                results[i] = NONE_RESULT
            elif not isinstance(text, str):
                results[i] = quarantined(f"not text: got {type(text).__name__}")
            elif text == "":
                results[i] = EMPTY_RESULT
            else:
                positions.setdefault(text, []).append(i)
        unique = list(positions)
        known = self.cache.get_many(policy, unique) if self.cache is not None else {}
        missing = [t for t in unique if t not in known]
        for fallback in self.fallback_caches:
            answered = fallback.get_many(policy, missing) if missing else {}
            self._keep(policy, answered)
            known.update(answered)
            missing = [t for t in missing if t not in answered]
        borrowed = {t: self._in_flight[(policy.name, t)] for t in missing if (policy.name, t) in self._in_flight}
        sent = [t for t in missing if t not in borrowed]
        computing = self._start_compute(sent, policy)
        owed: dict[str, ScrubResult] = {}
        self._in_flight.update(((policy.name, t), owed) for t in sent)

        def gather() -> list[ScrubResult]:
            try:
                computed = dict(zip(sent, computing(), strict=True))
            finally:
                for text in sent:
                    if self._in_flight.get((policy.name, text)) is owed:
                        del self._in_flight[(policy.name, text)]
            owed.update(computed)
            shared = {t: earlier[t] for t, earlier in borrowed.items() if t in earlier}
            # a text whose earlier submission is not gathered yet (or never will be: a write that
            # failed half way) is read here, and no later submission waits on that one for it
            late = [t for t in borrowed if t not in shared]
            for text in late:
                if self._in_flight.get((policy.name, text)) is borrowed[text]:
                    del self._in_flight[(policy.name, text)]
            if late:
                computed.update(zip(late, self._compute_here(self._batches(late), policy), strict=True))
            self._keep(policy, computed)
            for text, indices in positions.items():
                result = known.get(text) or shared.get(text) or computed[text]
                for i in indices:
                    results[i] = result
            passed_through = len(texts) - sum(len(v) for v in positions.values())
            self._count(results, passed_through, len(unique), len(known), len(shared))  # type: ignore[arg-type]
            return results  # type: ignore[return-value]

        return gather

    def scrub_fields(
        self,
        columns: Mapping[str, Sequence[str | None]],
        overrides: Mapping[str, str] | None = None,
    ) -> dict[str, list[ScrubResult]]:
        """Scrub several text columns, each with its policy (DEFAULT_FIELD_POLICIES + overrides)."""
        chosen = field_policies(overrides)
        unknown = [c for c in columns if c not in chosen]
        if unknown:
            raise ValueError(
                f"no scrubbing policy for column(s) {unknown}: they are not text columns"
            )
        return {column: self.scrub(values, chosen[column]) for column, values in columns.items()}

    def detect(self, texts: Sequence[str], policy: Policy | str) -> list[list[Finding]]:
        """The findings (spans) per text, in-process and uncached: for evaluation only."""
        cleaned = []
        for text in texts:
            clean_text, reason = clean(text, self.limits.max_chars)
            cleaned.append(clean_text if reason is None else "")
        _enter_epoch(self._epoch)
        return detector_for(get_policy(policy)).detect_raw(cleaned)

    def forget(self, texts: Sequence[str], policy: Policy | str) -> int:
        """Remove these raw texts' entries from the persistent cache."""
        return self.cache.forget(get_policy(policy), texts) if self.cache is not None else 0

    # internals

    def _keep(self, policy: Policy, results: Mapping[str, ScrubResult]) -> None:
        """Write results to the persistent cache: all of them for ``cached_policies``, else only
        those that replaced nothing (stored as a key and counts). With ``keeps_verified_outputs``
        a verified output is kept as its own scrub, unchanged (``ScrubResult.output_verified``):
        the training sets' re-scan reads scrubbed texts, and finds the changed ones there instead
        of reading them again."""
        if self.cache is None or not results:
            return
        if self.cached_policies is None or policy.name in self.cached_policies:
            self.cache.put_many(policy, results.items())
        else:
            self.cache.put_many(policy, [(text, r) for text, r in results.items() if r.text == text])
        if self.keeps_verified_outputs:
            # (an output that is also an input here is kept as what its own scrub gave)
            self.cache.put_verified(policy, [r.text for r in results.values() if r.output_verified
                                             and r.text is not None and r.text not in results])  # fmt: skip

    def _batches(self, texts: list[str]) -> list[list[str]]:
        return [texts[i : i + self.batch_size] for i in range(0, len(texts), self.batch_size)]

    def _start_compute(self, texts: list[str], policy: Policy) -> Callable[[], list[ScrubResult]]:
        """Send ``texts`` to the workers now (a single batch is scrubbed here, when gathered);
        the function returned waits for their results, in order."""
        batches = self._batches(texts)
        if not batches:  # all answered: nothing is read, and this process's line results stay
            return list
        if self.workers == 1 or len(batches) == 1:
            return lambda: self._compute_here(batches, policy)
        pool = self._ensure_pool([policy.name])
        n = len(batches)
        try:
            chunks = pool.map(_worker_scrub, batches, [policy.name] * n, [self.limits] * n, [self._epoch] * n)
        except BrokenProcessPool:
            self._lose_pool(pool)
            return lambda: self._compute_here(batches, policy)

        def gather() -> list[ScrubResult]:
            try:
                return [r for chunk in chunks for r in chunk]
            except BrokenProcessPool:
                self._lose_pool(pool)
                return self._compute_here(batches, policy)

        return gather

    def _lose_pool(self, pool: ProcessPoolExecutor) -> None:
        """A worker died (out of memory, killed): the call that noticed is finished here rather
        than lose the run, and the next one starts new workers. With calls outstanding, several
        notice; only the first drops the pool (a later one must not drop the new pool)."""
        log.warning("a scrubbing worker died; scrubbing the rest of this call in-process")
        if self._pool is pool:
            self._pool = None

    def _compute_here(self, batches: list[list[str]], policy: Policy) -> list[ScrubResult]:
        """The batches scrubbed in this process, as a worker would (``_worker_scrub``)."""
        _enter_epoch(self._epoch)
        return [r for batch in batches for r in scrub_batch(batch, policy, self._pseudonymizer, self.limits)]

    def _ensure_pool(self, policy_names: Sequence[str]) -> ProcessPoolExecutor:
        if self._pool is None:
            # a rescanner whose borrowed pool broke starts (and so owns) a pool of its own
            self._owns_pool = True
            # the server the workers fork from holds this module (and so Presidio and spaCy)
            context = worker_context(self.start_method, (__name__,))
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=context,
                initializer=_init_worker,
                initargs=(self._key, tuple(policy_names)),
            )
        return self._pool

    def _count(
        self, results: list[ScrubResult], passed_through: int, unique: int, hits: int, shared: int = 0
    ) -> None:
        """``shared``: texts an earlier submission scrubbed (``submit``), counted as duplicates."""
        stats = self.stats
        stats.texts += len(results)
        stats.none_or_empty += passed_through
        stats.duplicates += len(results) - passed_through - unique + shared
        stats.cache_hits += hits
        stats.scrubbed += unique - hits - shared
        stats.quarantined += sum(1 for r in results if r.quarantined)
        for result in results:
            for entity, count in result.findings.items():
                stats.findings[entity] = stats.findings.get(entity, 0) + count


@dataclass(frozen=True)
class WorkerUsage:
    pid: int
    ready: bool
    peak_memory_mb: float
    cpu_seconds: float


def _proc_usage(pid: int) -> WorkerUsage | None:
    """CPU seconds and peak resident memory of a process, from /proc (Linux), or None."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    cpu = (int(fields[11]) + int(fields[12])) / ticks  # utime and stime (fields 14 and 15)
    peak_kb = next(
        (int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:")), 0
    )
    return WorkerUsage(pid, True, round(peak_kb / 1024, 1), cpu)


def _worker_ready_wait(_: int) -> WorkerUsage:
    # Each task holds its worker briefly so that every worker process gets one.
    time.sleep(0.2)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return WorkerUsage(
        os.getpid(),
        _worker_ready(),
        round(usage.ru_maxrss / 1024, 1),
        usage.ru_utime + usage.ru_stime,
    )

