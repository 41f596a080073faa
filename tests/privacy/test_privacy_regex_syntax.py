"""Triggers that are a choice of fixed strings are looked up as strings, with the regex's answer;
patterns screened by their match prefixes find what the plain regex finds."""

from __future__ import annotations

import re

import hypothesis.strategies as st
import pytest
from hypothesis import HealthCheck, given, settings

from pipelines.privacy import names
from pipelines.privacy.patterns import RuleRecognizer, ScreenedPattern
from pipelines.privacy.pii import pii_recognizers
from pipelines.privacy.regex_syntax import literal_alternatives, match_prefixes
from pipelines.privacy.secrets import secret_recognizers

pytestmark = pytest.mark.xdist_group("privacy")


@pytest.mark.parametrize(
    ("pattern", "strings"),
    [
        ("npm_|_authToken", ("npm_", "_authToken")),
        ("(?:[Bb]earer)", ("Bearer", "bearer")),
        ("shp(?:at|ss)_|sk\\.eyJ", ("shpat_", "shpss_", "sk.eyJ")),
        ("AP[0-2]", ("AP0", "AP1", "AP2")),
        ("PRIVATE KEY", ("PRIVATE KEY",)),
        # not fixed strings: categories, repeats, case folding, anchors, lookarounds, negated sets
        ("AKC|AP[\\dA-F]", None),
        ("x{2}", None),
        ("(?i:aws)", None),
        ("^sk-", None),
        ("sk-(?=\\w)", None),
        ("[^a]b", None),
        ("[\\x00-\\uffff]", None),  # too many to list
        ("(", None),  # not a pattern
    ],
)
def test_literal_alternatives(pattern: str, strings: tuple[str, ...] | None) -> None:
    assert literal_alternatives(pattern) == strings


def _recognizers_with_strings() -> list[RuleRecognizer]:
    found = [
        r for r in [*secret_recognizers(), *pii_recognizers()]
        if isinstance(r, RuleRecognizer) and r._trigger_strings is not None
    ]  # fmt: skip
    assert len(found) >= 10
    return found


_RECOGNIZERS = _recognizers_with_strings()
# Pieces of every trigger string (cut anywhere) and of their case variants, in any order.
_PIECES = sorted({s[i:j] for r in _RECOGNIZERS for s in r._trigger_strings or () for i in range(len(s))
                  for j in range(i + 1, len(s) + 1)} | {"BEARER", "Npm_", " ", "\n", "é"})  # fmt: skip


@given(text=st.lists(st.sampled_from(_PIECES), max_size=12).map("".join))
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_a_trigger_looked_up_as_strings_answers_as_its_regex(text: str) -> None:
    for recognizer in _RECOGNIZERS:
        lowered = text.lower() if text.isascii() else None  # as RuleRecognizer.analyze gives it
        assert recognizer._triggered(text, lowered) == (recognizer.trigger.search(text) is not None), recognizer.name


@pytest.mark.parametrize(
    ("pattern", "prefixes"),
    [
        (r"\b(?i:said|ask)[ \t]+", ("ask", "sai")),  # case ignored, anchors consume nothing
        (r"Hi[ \t]+", ("hi\t", "hi ")),  # a repeat ends the prefix after its first occurrence
        (r"(?:first |last )?name", ("fir", "las", "nam")),  # an optional part may be skipped
        (r"(?:^|(?<=[.!?]\s))(?:ok|no)\b", ("no", "ok")),  # zero-width choices, a short word
        (r"M[rs]\.? ", ("mr ", "mr.", "ms ", "ms.")),
        (r"[A-Z][a-z]+", tuple("abcdefghijklmnopqrstuvwxyz")),  # 26 x 26 is too many: one letter
        (r"\w+@", None),  # anything may start a match
        (r"(?:x)?", None),  # the empty match
        ("(", None),  # not a pattern
    ],
)
def test_match_prefixes(pattern: str, prefixes: tuple[str, ...] | None) -> None:
    assert match_prefixes(pattern) == prefixes


_CUE_PATTERNS = [pattern for pattern, _ in names._CUES]
# Pieces of the cue words and what sits around them, in any case and order.
_CUE_PIECES = sorted(
    {"name", "Name", "NAME", "my ", "My name is ", "call me", "i'm called ", "first ", "sur", "thanks",
     "Thank you", "regards", "best", "Love", "xoxo", "said ", "hi\t", "Hi ", "cc ", "Dr. ", "mrs ",
     "prof", "Author", "owner", ": ", "=", '"', " ", "\t", "\n", ".", "!", "? ", ",", "Jo", "tracy",
     "x", "é", "K"}
)


@given(text=st.lists(st.sampled_from(_CUE_PIECES), max_size=14).map("".join))
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_a_screened_pattern_finds_what_its_regex_finds(text: str) -> None:
    assert all(pattern.prefixes for pattern in _CUE_PATTERNS)  # every cue is screened
    for pattern in _CUE_PATTERNS:
        expected = [m.span() for m in pattern.compiled.finditer(text)]
        assert [m.span() for m in pattern.finditer(text)] == expected, pattern.compiled.pattern
        if text.isascii():
            assert [m.span() for m in pattern.finditer(text, text.lower())] == expected


@pytest.mark.parametrize(
    ("pattern", "text"),
    [
        ("(?i:ſir)", "SIR sir"),  # ignoring case, the long s matches "s" and "S"
        ("(?i)[ſx]ay", "say"),
        ("(?i)ıd", "id ID"),  # dotless i
        ("(?i)İd", "id ID"),  # dotted capital I: its lower case is two characters
        ("(?i)\\b\u212aey", "key KEY"),  # the Kelvin sign matches "k" and "K"
    ],
)
def test_letters_that_match_ascii_ignoring_case_are_not_screened_out(pattern: str, text: str) -> None:
    compiled = re.compile(pattern)
    expected = [m.span() for m in compiled.finditer(text)]
    assert expected  # each pattern does match the ASCII text
    assert [m.span() for m in ScreenedPattern(compiled).finditer(text)] == expected


def test_a_screened_pattern_without_prefixes_is_the_plain_regex() -> None:
    pattern = ScreenedPattern(re.compile(r"\w+@"))
    assert pattern.prefixes is None
    assert [m.group() for m in pattern.finditer("a@ b bc@")] == ["a@", "bc@"]
