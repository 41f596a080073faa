"""Personal-data recognizers: names (gazetteer, cues), phones, cards, IBAN, SSN, IPs, addresses."""

from __future__ import annotations

import hypothesis.strategies as st
import pytest
from hypothesis import HealthCheck, example, given, settings

from pipelines.privacy.ner_filter import ner_segments, plausible_ner_span
from pipelines.privacy.patterns import RuleRecognizer
from pipelines.privacy.pii import (
    is_card_number,
    is_personal_ip,
    is_phone_number,
    phone_pattern_recognizer,
    ssn_cue_recognizer,
)
from pipelines.privacy.scrubber import Scrubber

from .conftest import findings_of, tried_everywhere
from .fakes import covered

pytestmark = pytest.mark.xdist_group("privacy")


def _found(
    scrubber: Scrubber, text: str, value: str, entity: str, policy: str = "natural_language"
) -> bool:
    return covered(text, value, scrubber.detect([text], policy)[0], entity)


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("my name is tracy sukhorukova and I need help", "tracy sukhorukova"),  # all lower case
        ("john had given him the keys", "john"),
        ("Please ask Megan Payne to review", "Megan Payne"),
        ("this is for Amy van der Berg's team", "Amy van der Berg"),
        ("call me Will", "Will"),  # ambiguous first name after a strong cue
        (
            "add Grace Smith as the first user in the seed data",
            "Grace Smith",
        ),  # ambiguous + known surname
        (
            "the admin account should belong to Aiko Hansen",
            "Aiko Hansen",
        ),  # unknown first + known surname
        ("Jakobine, can I please speak to your boss?", "Jakobine"),  # vocative
        ("Thanks,\nRoland", "Roland"),
        ("Dr. Nielsen is on call", "Nielsen"),
        ("What's your last name? Krylova", "Krylova"),
        ("Her maiden name is Vestergaard", "Vestergaard"),
        ("Min-jun Park reported the bug", "Min-jun Park"),
    ],
)
def test_names(scrubber: Scrubber, text: str, name: str) -> None:
    assert _found(scrubber, text, name, "PERSON")


@pytest.mark.parametrize(
    "text",
    [
        "Thanks, Claude! Use Python and React.",  # products, not persons
        "Autumn Walk is a nice song title",  # ambiguous first name + ordinary word
        "## Error Handling\nWrap the call in try/except",
        "call me tomorrow about the deploy",
        "name: minimax-music",
        "Use the URI scheme consistently",
        "the page implementation is slow",
    ],
)
def test_not_names(scrubber: Scrubber, text: str) -> None:
    assert not [
        f for f in scrubber.detect([text], "natural_language")[0] if f.entity_type == "PERSON"
    ]


def test_code_policy_takes_capitalised_names_only(scrubber: Scrubber) -> None:
    assert _found(
        scrubber,
        '{ id: 3, name: "Mateus Edwards", role: "admin" }',
        "Mateus Edwards",
        "PERSON",
        "code",
    )
    assert not scrubber.detect(["james = load_user(id)"], "code")[0]


@pytest.mark.parametrize(
    "phone",
    ["(212) 555-0199", "212-555-0199", "212.555.0199", "+1 212 555 0199", "+44 7911 123456", "+49 30 12345678",
     "+33 6 12 34 56 78", "(96) 627-277", "041-412-293", "69 987 88 37", "986.291.2294x751", "001-420-335-7509x38548"],
)  # fmt: skip
def test_phone_shapes(scrubber: Scrubber, phone: str) -> None:
    text = f"call {phone} if anything is unclear"
    assert _found(scrubber, text, phone, "PHONE_NUMBER")


@pytest.mark.parametrize(
    "value", ["2021-2022", "1998-06-28", "10 20 30 40", "1.2.3.4", "v1.20.300", "12 345"]
)
def test_not_phone_numbers(value: str) -> None:
    assert not is_phone_number(value)


def test_code_phone_needs_prefix_or_north_american_shape() -> None:
    assert is_phone_number("718-622-2241", strict=True)
    assert is_phone_number("+49 152 84454879", strict=True)
    assert not is_phone_number("027 896 92 86", strict=True)


@pytest.mark.parametrize(
    "card",
    [
        "4111 1111 1111 1111",
        "5555-5555-5555-4444",
        "2223003122003222",
        "378282246310005",
        "3782 822463 10005",
    ],
)
def test_card_numbers(scrubber: Scrubber, card: str) -> None:
    text = f"checkout rejects my card {card}"
    assert is_card_number(card)
    assert _found(scrubber, text, card, "CREDIT_CARD", "code")


@pytest.mark.parametrize("value", ["4111 1111 1111 1112", "1700000000000", "1234-5678-9012-3456"])
def test_not_card_numbers(value: str) -> None:
    assert not is_card_number(value)


@pytest.mark.parametrize(
    "iban", ["DE89370400440532013000", "GB82 WEST 1234 5698 7654 32", "NL91ABNA0417164300"]
)
def test_iban(scrubber: Scrubber, iban: str) -> None:
    text = f"payouts should go to {iban}"
    assert _found(scrubber, text, iban, "IBAN_CODE", "code")


def test_invalid_iban_checksum_is_left(scrubber: Scrubber) -> None:
    assert not scrubber.detect(["DE00370400440532013000"], "code")[0]


@pytest.mark.parametrize(
    "text", ["His social security number is 531-21-7351", "SSN: 531217351", "ssn 531 21 7351"]
)
def test_ssn(scrubber: Scrubber, text: str) -> None:
    # A phone-shaped SSN is also a phone number; the merged finding takes the more specific type.
    assert scrubber.scrub([text], "natural_language")[0].findings == {"US_SSN": 1}


@pytest.mark.parametrize(("address", "personal"), [
    ("58.74.121.78", True), ("192.168.1.19", True), ("10.0.0.1", True), ("2001:db8:85a3::8a2e:370:7334", True),
    ("127.0.0.1", False), ("0.0.0.0", False), ("::1", False), ("169.254.169.254", False), ("256.1.1.1", False),
    ("1.2.3.04", False),
])  # fmt: skip
def test_ip_addresses(address: str, personal: bool) -> None:
    assert is_personal_ip(address) is personal


def test_ip_in_text(scrubber: Scrubber) -> None:
    text = 'const API_HOST = "http://2a02:1234:5678:9abc:def0:1234:5678:9abc:8080"; connect ETIMEDOUT 10.29.34.92:5432'
    findings = scrubber.detect([text], "code")[0]
    assert covered(text, "2a02:1234:5678:9abc:def0:1234:5678:9abc", findings, "IP_ADDRESS")
    assert covered(text, "10.29.34.92", findings, "IP_ADDRESS")
    assert not scrubber.detect(["version 1.2.3.4.5 on 127.0.0.1"], "code")[0]


@pytest.mark.parametrize(
    "address",
    [
        "1234 Elm Street, Austin, TX 78712",
        "12 Victoria Road, London SW1A 1AB",
        "Friedrichstraße 12, 10117 Berlin",
        "12 rue de la République, 75011 Paris",
        "Calle de Alcalá 12, 28014 Madrid",
        "Prinsengracht 263, 1012 AB Amsterdam",
        "Goethestraße 9, 60311 Frankfurt am Main",
    ],
)
def test_street_addresses_whole(scrubber: Scrubber, address: str) -> None:
    text = f"our address is {address}, show it on the contact page"
    assert _found(scrubber, text, address, "LOCATION", "code")


def test_words_between_number_and_road_are_not_an_address(scrubber: Scrubber) -> None:
    assert not scrubber.detect(["I saw 3 cats on the road"], "code")[0]


def test_email(scrubber: Scrubber) -> None:
    text = "send the contact form to Ana.Lopez+dev@studio-nova.de please"
    assert _found(scrubber, text, "Ana.Lopez+dev@studio-nova.de", "EMAIL_ADDRESS", "code")
    assert not scrubber.detect(["ping me @channel about it"], "code")[0]


@pytest.mark.parametrize(
    ("span", "entity", "plausible"),
    [("Docker", "PERSON", False), ("response.json", "PERSON", False), ("CI", "LOCATION", False),
     ("PostgreSQL", "LOCATION", False), ("max", "PERSON", False), ("Error Handling", "PERSON", False),
     ("McDonald", "PERSON", True), ("Smith", "PERSON", True), ("New York", "LOCATION", True)],
)  # fmt: skip
def test_ner_filter(span: str, entity: str, plausible: bool) -> None:
    text = f"we asked {span} yesterday"
    assert plausible_ner_span(text, 9, 9 + len(span), entity) is plausible


def test_ner_filter_drops_headings_but_not_lone_surnames() -> None:
    assert not plausible_ner_span("## Intro\nhello", 3, 8, "PERSON")
    assert plausible_ner_span("ask Smith today", 4, 9, "PERSON")


def test_ner_segments_skip_sentences_without_name_candidates() -> None:
    text = "make the button blue. Ask Beaufort about it.\nuse flexbox for the layout"
    runs = ner_segments(text)
    assert [text[s:e] for s, e in runs] == ["Ask Beaufort about it."]
    assert ner_segments("please fix the build") == []


# --- anchors: trying a rule only where a match can start finds the same matches ---------------

# Number-shaped pieces in any order: digit groups, separators, brackets, prefixes, cue words.
_NUMBER_TEXT = st.lists(
    st.text(alphabet="0123456789", min_size=1, max_size=5)
    | st.sampled_from(["+", "00", " ", "  ", "(", ")", "-", ".", "/", "x", " ext ", "\n", "a", "_",
                       "ssn ", "SSN: ", "social security number ", "ss#", "phone: "]),
    max_size=24,
).map("".join)


@pytest.mark.parametrize(
    "recognizer",
    [phone_pattern_recognizer(strict=True), phone_pattern_recognizer(strict=False), ssn_cue_recognizer()],
    ids=["phone-strict", "phone", "ssn"],
)
@given(text=_NUMBER_TEXT)
# the farthest a phone number starts from its anchor (7: "00", a tab or line break, five digits),
# and cued SSNs
@example(text="0012345 678 9012")
@example(text="00\n00000 00")
@example(text="00\t12345 678 9012")
@example(text="+ 12345 678 9012")
@example(text="x +12345 678 9012")
@example(text="SSN: 123-45-6789, social security number 123 45 6789")
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_anchored_rules_find_what_every_position_finds(recognizer: RuleRecognizer, text: str) -> None:
    """Digit runs, separators, brackets and cue words in every arrangement: the anchored scan
    (screening on) gives exactly the findings of the regex tried at every position."""
    assert any(rule.anchor for rule in recognizer.rules)
    assert findings_of(recognizer, text) == findings_of(tried_everywhere(recognizer), text)
