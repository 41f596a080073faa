"""Triggers that are a choice of fixed strings are looked up as strings, with the regex's answer."""

from __future__ import annotations

import hypothesis.strategies as st
import pytest
from hypothesis import HealthCheck, given, settings

from pipelines.privacy.patterns import RuleRecognizer
from pipelines.privacy.pii import pii_recognizers
from pipelines.privacy.regex_syntax import literal_alternatives
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
        assert recognizer._triggered(text) == (recognizer.trigger.search(text) is not None), recognizer.name
