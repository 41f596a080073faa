"""Line-by-line pattern detection (lines.py) finds exactly what the whole-text analyzer finds."""

from __future__ import annotations

import functools
import re

import hypothesis.strategies as st
import pytest
from hypothesis import given, settings

from pipelines.privacy.lines import regex_is_line_local, split_recognizer
from pipelines.privacy.names import NameRecognizer, _cue_at_line_end, _vocative_at_line_end
from pipelines.privacy.patterns import RuleRecognizer
from pipelines.privacy.pii import phone_pattern_recognizer
from pipelines.privacy.policies import CODE
from pipelines.privacy.scrubber import Detector

from .conftest import SECRET_CASES, SECRETS_RAW, shared
from .test_privacy_secrets import FALSE_CASES, TRUE_CASES

# Values that sit on the next line, or whose rule may read across a line break.
ACROSS_LINES = [
    "Name:\nJohn Appleseed\nrole: admin",
    "author =\n  Margarethe Vestager",
    "Thanks,\nTracy",
    "Best\nAiko Hansen",
    "Jo,\nplease fix the build",
    "password =\n  'hunter2-correct-horse'",
    "token:\n  ghp_1234567890abcdefghijklmnopqrstuvwxyzAB",
    "api_key =\n\"sk-abcdefghijklmnopqrstuvwxyz0123456789ABCDEF\"",
    "AKIAIOSFODNN7EXAMPLE\nwJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA1234567890abcdef\n-----END RSA PRIVATE KEY-----",
    "Authorization: Bearer\n  abcdefghijklmnopqrstuvwxyz012345",
    "call me at\n+44 20 7946 0958 tomorrow",
    "+\n44 20 7946 0958",
    "SSN:\n078-05-1120",
    "const secret =\n  'Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycGx5'",
    "const secret = \t\r\n   \n\t`Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycGx5`",
    "deploy:\n  stage: prod\nsigning_secret:\n\n  Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycGx5\n",
    "Contact Jane Doe at jane.doe@example.com\nor 212-555-0199, 42 Baker Street, London",
    "x = 1\n\n\nname: Ana Lima\n\nIP 203.0.113.7\nCard 4111 1111 1111 1111",
]


@pytest.mark.parametrize(
    ("pattern", "local"),
    [
        (r"(?<![\w.])\d{1,5}[ \t]+\w+", True),
        (r"key\s*=\s*(?P<v>\w+)", False),
        (r"-----BEGIN.*?-----END", True),  # "." without DOTALL stops at a line break
        (r"(?s)-----BEGIN.*?-----END", False),
        (r"[^\"'`\n]{1,200}", True),
        (r"[^\"'`]{1,200}", False),
        (r"(?:^|(?<=[\s=:]))AKC\w+", False),
        (r"(?m)^Thanks", True),
        (r"^Thanks", False),
        (r"\D{0,20}\d{3}", False),
    ],
)
def test_regex_locality(pattern: str, local: bool) -> None:
    assert regex_is_line_local(pattern) is local


def test_the_name_recognizer_splits_into_a_line_and_a_text_part() -> None:
    line, text = split_recognizer(NameRecognizer(allow_lowercase=False))
    assert (line.which, text.which) == ("line", "text")


def test_the_code_phone_shape_is_read_line_by_line() -> None:
    """Code's phone shape takes no line break (it read every patch whole twice a day): it is all
    line-local, still finds "+", a tab and the number, and the prose shape keeps its line breaks."""
    strict_line, strict_text = split_recognizer(phone_pattern_recognizer(strict=True))
    assert strict_line is not None and strict_text is None
    assert split_recognizer(phone_pattern_recognizer(strict=False))[1] is not None
    found = Detector(CODE).detect_raw(["tel = '+\t44 20 7946 0958'\n", "x = 1\n"])
    assert [f.entity_type for f in found[0]] == ["PHONE_NUMBER"] and found[1] == []


def _findings(detector: Detector, texts: list[str]) -> list[list[tuple[str, int, int, float]]]:
    out = []
    for start in range(0, len(texts), 64):  # batches, as the scrubber sends them
        for found in detector.detect_raw(texts[start : start + 64]):
            out.append(sorted((f.entity_type, f.start, f.end, f.score) for f in found))
    return out


def test_line_by_line_finds_what_the_whole_text_finds(prompts: list[str]) -> None:
    cases = shared(SECRET_CASES).read_text().splitlines()
    raw_files = [p.read_text(errors="replace") for p in sorted(shared(SECRETS_RAW).iterdir()) if p.is_file()]
    texts = ACROSS_LINES + prompts[:200] + [t for _, t, _ in TRUE_CASES] + FALSE_CASES + cases + raw_files
    # the same texts again inside code-like context, so that lines repeat across texts
    texts += [f"import os\n{t}\nexport default App;\n" for t in texts[:300]]
    whole = Detector(CODE, split_lines=False)
    by_line = Detector(CODE)
    assert by_line.lines is not None and by_line.lines.line_recognizers
    expected, got = _findings(whole, texts), _findings(by_line, texts)
    differing = [texts[i][:80] for i in range(len(texts)) if expected[i] != got[i]]
    assert not differing
    assert sum(map(len, got)) > 50  # the corpus has findings of many kinds to agree on
    assert by_line.lines.lines_scanned < by_line.lines.lines_read  # repeated lines read once


# Texts whose finding needs a screen that reads past a line's end (each was missed by a wrong
# screen that the corpora and random texts did not catch: a review's mutants).
SCREEN_CASES = [
    "db_password\n= 'Tr0ub4dor&3'",
    "db_password \r\n= 'Tr0ub4dor&3'",
    "api_token\x0b\n: 'Zx9Qw8Er7Ty6Ui5Op4As3Df'",
    "my pin\nis 4821",
    "the api key\nis sk_live_Zx9Qw8Er7Ty6Ui5Op4As3Df",
    "Authorization\n: Basic Zm9vOmJhcmJheg==",
    "Social Security: 078-05-1120",
    "key =\n\x0b'Zx9Qw8Er7Ty6Ui5Op4As3Df'",
    "signing =\n\u2028Zx9Qw8Er7Ty6Ui5Op4As3Df",
    "secret =\n \n\t'abcdefghijABCDEFGHIJ0123456789'",
    "x: \r\nABCDEFGHIJ0123456789",
    "Name:\nAna",
    "Ana,\t\nplease",
    "my password\n  is hunter2-correct",
    "api_key\t\r\n  = 'abcdefghijABCDEFGHIJ0123456789'",
]

# Pieces of triggers, of what their rules need around them, and of every kind of whitespace.
_SCREEN_TEXT = st.lists(
    st.sampled_from([
        "\n", "\n", " ", "\t", "\r", "\x0b", "\x0c", "\x85", "\u2028", "\xa0", "=", ":", ">", "'", '"',
        "`", "abcdefghij", "ABCDEFGHIJ0123456789", "Zx9Qw8Er7Ty6Ui5Op4As3Df", "+/=_-", "ssn", "SSN",
        "social security", "Social Security", "ss#", "078-05-1120", "4821", "password", "db_password",
        "Tr0ub4dor&3", "pin", "token", "api_token", "key", "api key", "auth", "aws", "AKIA",
        "AccountKey", "PRIVATE KEY", "npm_", "_authToken", "Bearer", "AKC", "AP1", "Name:", "thanks",
        "Jo,", "Ana", ",", "é", " is ", "was", "passcode", "Authorization", "Basic", "+=", "_",
    ]),
    max_size=30,
).map("".join)


def _called_for(text: str) -> set[int]:
    scanner = _code_scanner()
    return set(scanner.screens.called_for(scanner.screens.text_mask(text)))


@given(text=_SCREEN_TEXT)
@settings(max_examples=800, deadline=None)
def test_a_recognizer_the_lines_do_not_call_for_has_no_match_in_the_text(text: str) -> None:
    """A whole-text recognizer a text's lines do not call for cannot match there: none of its
    rules' regexes matches anywhere in the text (validators aside), so the screens are never
    wrong, across lines included."""
    _check_screens(text)


@pytest.mark.parametrize("text", SCREEN_CASES)
def test_the_screens_call_for_what_reads_past_a_line(text: str) -> None:
    _check_screens(text)
    whole, by_line = Detector(CODE, split_lines=False), Detector(CODE)
    assert _findings(by_line, [text]) == _findings(whole, [text])


def _check_screens(text: str) -> None:
    scanner = _code_scanner()
    called_for = _called_for(text)
    for index, recognizer in enumerate(scanner._text_parts):
        if index in called_for:
            continue
        assert not recognizer.analyze(text, recognizer.supported_entities), recognizer.name
        if isinstance(recognizer, RuleRecognizer):
            for rule in recognizer.rules:
                assert re.search(rule.regex, text, rule.flags) is None, (recognizer.name, rule.name)
        else:  # the name recognizer's text part: nothing ends a line to read on from
            assert not (_cue_at_line_end(text) or _vocative_at_line_end(text))


@functools.cache
def _code_scanner():  # noqa: ANN202 - the code policy's line scanner, built once
    return Detector(CODE).lines


def test_most_code_is_read_by_no_whole_text_recognizer() -> None:
    """Lines without any text trigger call for nothing; a trigger calls for its recognizer only;
    the operator at a line's end and the value at another's start call for the high-entropy one."""
    scanner = Detector(CODE).lines
    names = [r.name for r in scanner._text_parts]
    texts = [
        "import React from 'react';\nexport default function App() {\n  return <div className='x' />;\n}\n",
        "const password = 'x';\n",
        "signing =\n  'abcdefghijABCDEFGHIJ0123456789'\n",
        "Thanks,\nAna\n",
        "Maria,\nplease fix the build\n",
    ]
    scanner.analyze_many(texts)
    called = [{names[i] for i in _called_for(text)} for text in texts]
    assert not called[0]  # "className" holds "ssn", not the word
    assert "SecretPasswordRecognizer" in called[1] and "SecretHighEntropyRecognizer" not in called[1]
    assert "SecretHighEntropyRecognizer" in called[2]
    assert "CapitalisedNameRecognizer" in called[3] and "CapitalisedNameRecognizer" in called[4]
    assert scanner.texts_read_whole == sum(1 for c in called if c)


def test_a_full_line_cache_is_refilled_with_the_whole_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    """When a batch overflows the line cache, every line of the batch is remembered afresh, the
    ones seen before too (they were scanned again one text at a time until they left the batch)."""
    from pipelines.privacy import lines as lines_module

    monkeypatch.setattr(lines_module, "LINE_CACHE_SIZE", 5)
    scanner = Detector(CODE).lines
    first = "import os\nAPI_HOST = 'db.internal'\nmail = 'ana@example.com'\nexport default App;"
    second = "x = 1\ny = 2\nz = 'call +44 20 7946 0958'\nw = 4"
    scanner.analyze_many([first])
    results = scanner.analyze_many([first, second])  # 4 + 4 lines > 5: the cache is emptied
    scanned = scanner.lines_scanned
    scanner.analyze_many([first])
    scanner.analyze_many([second])
    assert scanner.lines_scanned == scanned  # every line of that batch was remembered
    by_line = [sorted((r.entity_type, r.start, r.end) for r in text_results) for text_results in results]
    assert by_line == [[(e, s, n) for e, s, n, _ in found] for found in _findings(Detector(CODE, split_lines=False), [first, second])]
