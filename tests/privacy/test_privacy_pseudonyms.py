"""Placeholders: typed, consistent within a key, different across keys, never reversible."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from pipelines.privacy.pseudonyms import (
    PLACEHOLDER,
    Finding,
    Pseudonymizer,
    derive_key,
    merge_overlaps,
    normalise,
)
from pipelines.privacy.scrubber import Scrubber

from .conftest import KEY

pytestmark = pytest.mark.xdist_group("privacy")


def test_format_and_documented_derivation() -> None:
    placeholder = Pseudonymizer(KEY).placeholder("EMAIL_ADDRESS", "ana@x.io")
    assert PLACEHOLDER.fullmatch(placeholder)
    sub_key = hmac.new(KEY, b"flywheel/pseudonym/v1", hashlib.sha256).digest()
    expected = hmac.new(sub_key, b"ana@x.io", hashlib.sha256).hexdigest()[:6]
    assert placeholder == f"<EMAIL_ADDRESS_{expected}>"


def test_same_value_same_placeholder_across_texts(scrubber: Scrubber) -> None:
    results = scrubber.scrub(
        [
            "my email is Ana.Lopez@gmail.com",
            "notifications should go to ana.lopez@gmail.com please",
        ],
        "natural_language",
    )
    first = PLACEHOLDER.search(results[0].text).group()
    second = PLACEHOLDER.search(results[1].text).group()
    assert first == second and first.startswith("<EMAIL_ADDRESS_")


def test_placeholder_depends_on_the_key() -> None:
    assert Pseudonymizer(KEY).placeholder("PERSON", "Ana Lopez") != Pseudonymizer(
        b"other key"
    ).placeholder("PERSON", "Ana Lopez")


def test_empty_key_is_refused() -> None:
    with pytest.raises(ValueError, match="pseudonym key is empty"):
        derive_key(b"", "pseudonym/v1")


@pytest.mark.parametrize(
    ("entity", "a", "b"),
    [
        ("PHONE_NUMBER", "(212) 555-0199", "212.555.0199"),
        ("CREDIT_CARD", "4111 1111 1111 1111", "4111-1111-1111-1111"),
        ("IBAN_CODE", "gb82 west 1234 5698 7654 32", "GB82WEST12345698765432"),
        ("PERSON", "Ana  Lopez", "ana lopez"),
    ],
)
def test_normalisation(entity: str, a: str, b: str) -> None:
    assert normalise(entity, a) == normalise(entity, b)


def test_secrets_stay_case_sensitive() -> None:
    assert normalise("SECRET_API_KEY", "AbC") != normalise("SECRET_API_KEY", "abc")


def test_overlaps_merge_to_the_union_with_the_most_specific_type() -> None:
    merged = merge_overlaps(
        [
            Finding("PERSON", 0, 10, 0.85),
            Finding("EMAIL_ADDRESS", 5, 25, 1.0),
            Finding("LOCATION", 30, 35, 0.6),
        ]
    )
    assert merged == [Finding("EMAIL_ADDRESS", 0, 25, 1.0), Finding("LOCATION", 30, 35, 0.6)]


def test_scrubbing_is_idempotent(scrubber: Scrubber) -> None:
    text = "Hi, I'm Grace Smith (grace.smith@gmail.com, +44 7911 123456), card 4111 1111 1111 1111."
    once = scrubber.scrub([text], "natural_language")[0]
    twice = scrubber.scrub([once.text], "natural_language")[0]
    assert twice.text == once.text and twice.findings == {}
    assert once.findings == {"CREDIT_CARD": 1, "EMAIL_ADDRESS": 1, "PERSON": 1, "PHONE_NUMBER": 1}


def test_results_never_hold_values(scrubber: Scrubber) -> None:
    result = scrubber.scrub(["my email is ana@x.io"], "natural_language")[0]
    assert "ana@x.io" not in repr(result)
