"""Line-by-line pattern detection (lines.py) finds exactly what the whole-text analyzer finds."""

from __future__ import annotations

import pytest

from pipelines.privacy.lines import regex_is_line_local, split_recognizer
from pipelines.privacy.names import NameRecognizer
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
