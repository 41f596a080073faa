"""The small pure pieces: value generators, checksums, rounding, timestamps, fault builders."""

from __future__ import annotations

import random
import re
from datetime import date
from decimal import Decimal

import orjson
import pytest

from pipelines import contract
from pipelines.simulator import billing, clock, credentials, faults, injection, prompts
from pipelines.simulator import personal_data as pd
from pipelines.simulator.code_text import count_patch_lines, unified_diff
from pipelines.simulator.randomness import stream, uuid4


@pytest.fixture
def rng() -> random.Random:
    return random.Random(1234)


def test_luhn_on_known_numbers_and_generated_cards(rng):
    assert pd.luhn_valid("4111 1111 1111 1111") and pd.luhn_valid("378282246310005")
    assert not pd.luhn_valid("4111 1111 1111 1112")
    cards = [pd.credit_card_number(rng) for _ in range(300)]
    assert all(pd.luhn_valid(c) for c in cards)
    assert {c.replace(" ", "").replace("-", "")[0] for c in cards} >= {"4", "5", "3", "6"}


def test_iban_checksums_on_a_known_iban_and_generated_ones(rng):
    assert pd.iban_valid("GB82 WEST 1234 5698 7654 32") and not pd.iban_valid("GB82 WEST 1234 5698 7654 33")
    ibans = [pd.iban(rng) for _ in range(300)]
    assert all(pd.iban_valid(i) for i in ibans)
    lengths = {"DE": 22, "GB": 22, "FR": 27, "ES": 24, "NL": 18, "IT": 27, "BE": 16}
    assert all(len(i.replace(" ", "")) == lengths[i[:2]] for i in ibans)
    assert {i[:2] for i in ibans} == set(lengths)


def test_names_emails_phones_addresses_ips_look_real(rng):
    for _ in range(200):
        name = pd.person_name(rng)
        assert re.fullmatch(r"[A-Z][\w-]+ [A-Za-z' ]+", name)
        assert re.fullmatch(r"[a-z0-9._]+@[a-z0-9.-]+\.[a-z.]+", pd.email_for(rng, name))
        assert sum(c.isdigit() for c in pd.phone_number(rng)) >= 10
        assert re.search(r"\d", pd.street_address(rng))
        ip = pd.ip_address(rng)
        assert re.fullmatch(r"(\d{1,3}\.){3}\d{1,3}", ip) or ":" in ip
    assert "555" not in {pd._exchange(rng) for _ in range(500)}


def test_secrets_have_the_shapes_scanners_look_for(rng):
    assert re.fullmatch(r"sk-proj-[\w-]{64}T3BlbkFJ[\w-]{64}", credentials.openai_api_key(rng))
    assert re.fullmatch(r"sk-ant-api03-[\w-]{93}AA", credentials.anthropic_api_key(rng))
    assert re.fullmatch(r"ghp_[A-Za-z0-9]{36}", credentials.github_token(rng))
    assert re.fullmatch(r"xoxb-\d+-\d+-[A-Za-z0-9]{24}", credentials.slack_token(rng))
    assert re.fullmatch(r"sk_live_[A-Za-z0-9]{24,99}", credentials.stripe_secret_key(rng))
    assert re.fullmatch(r"eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+", credentials.jwt(rng))
    assert credentials.private_key_pem(rng).startswith("-----BEGIN ")
    url, password = credentials.connection_string(rng)
    assert f":{password}@" in url


def test_every_injection_plants_its_values_verbatim(rng):
    persona = injection.new_persona(rng)
    for _ in range(300):
        for text, planted in (injection.pii_in_prompt(rng, "add a login page", persona),
                              injection.secret_in_prompt(rng, "add a login page"),
                              injection.pii_in_feedback(rng, "nice", persona),
                              injection.pii_in_build_error(rng, "Error", persona),
                              injection.secret_in_build_error(rng, "Error")):
            assert planted and all(value in text for _, value in planted)
        for path, lines, planted in (injection.pii_patch_lines(rng, persona), injection.secret_patch_lines(rng)):
            assert path and all(any(value in line for line in lines) for _, value in planted)
            assert all("\n" not in line for line in lines), "one patch line per line"


def test_patches_count_their_lines_exactly(rng):
    for added, removed, files in ((0, 0, ["src/App.tsx"]), (1, 0, ["a.css"]), (250, 40, ["x.tsx", "y.json", "z.md"])):
        patch = unified_diff(rng, files, added, removed)
        assert count_patch_lines(patch) == (added, removed)
    assert unified_diff(rng, [], 0, 0) == ""


def test_prompts_are_varied_and_clean(rng):
    texts = {prompts.compose(rng, intent, app).text
             for intent in ("new_app", "add_feature", "fix_bug", "change_style", "follow_up", "other")
             for app in prompts.APP_TYPES for _ in range(10)}
    assert len(texts) > 2500
    assert not [t for t in texts if re.search(r"@\w+\.\w|\d{3}[-. ]\d{3}[-. ]\d{4}|\b\d{1,3}(\.\d{1,3}){3}\b", t)]


def test_mrr_rounding_per_subscription():
    fx = {"USD": Decimal("1"), "EUR": Decimal("1.0850"), "GBP": Decimal("1.2700")}
    yearly = billing.Terms("team", 4, Decimal("355.2"), "EUR", "year")  # 37 x 9.6 per seat per year
    assert billing.subscription_mrr(yearly, fx["EUR"]) == Decimal("128.46")  # 4 x 29.60 x 1.085 = 128.464
    monthly = billing.Terms("pro", 3, Decimal("20"), "GBP", "month")
    assert billing.subscription_mrr(monthly, fx["GBP"]) == Decimal("76.20")
    assert billing.subscription_mrr(billing.Terms("free", 2, Decimal("0"), "USD", "month"), fx["USD"]) == 0


def test_billing_never_emits_a_half_cent_tie():
    fx = {"USD": Decimal("1"), "EUR": Decimal("1.0850"), "GBP": Decimal("1.2700")}
    tie = billing.Terms("pro", 1, Decimal("0.5"), "USD", "month")
    assert billing._is_half_cent_tie(billing.Terms("pro", 1, Decimal("0.005"), "USD", "month"), fx["USD"])
    assert not billing._is_half_cent_tie(billing._without_tie(tie, fx), fx["USD"])
    for seats in range(1, 400):
        for plan in ("pro", "team", "enterprise"):
            for currency in fx:
                for interval in ("month", "year"):
                    price = billing.price_per_seat(plan, currency, interval, 0)
                    terms = billing._without_tie(billing.Terms(plan, seats, price, currency, interval), fx)
                    assert not billing._is_half_cent_tie(terms, fx[currency])


def test_months_and_month_arithmetic():
    assert clock.add_months(date(2026, 11, 2), -12) == date(2025, 11, 1)
    assert clock.add_months(date(2026, 12, 31), 1) == date(2027, 1, 1)
    assert [clock.month_label(m) for m in billing.months_between(date(2026, 10, 5), date(2026, 12, 1))] == [
        "2026-10", "2026-11", "2026-12"]


def test_timestamps_are_contract_timestamps():
    at = clock.day_start_ms(date(2026, 11, 2)) + 9 * clock.MS_PER_HOUR + 15 * clock.MS_PER_MINUTE + 2120
    assert clock.format_ms(at) == "2026-11-02T09:15:02.120Z"
    assert clock.format_seconds(at) == "2026-11-02T09:15:02Z"
    assert contract.parse_utc(clock.format_ms(at)).isoformat() == "2026-11-02T09:15:02.120000"


def test_ids_are_lowercase_uuid4_and_streams_are_independent():
    ids = {uuid4(stream(7, "x", i)) for i in range(100)}
    assert len(ids) == 100
    assert all(re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", i) for i in ids)
    assert stream(7, "day", 1).random() == stream(7, "day", 1).random() != stream(7, "day", 2).random()


def test_countdown_fires_at_the_configured_rate():
    countdown = faults.Countdown(random.Random(5), 0.02)
    assert sum(countdown.fire() for _ in range(200_000)) == pytest.approx(4000, rel=0.06)
    assert not any(faults.Countdown(random.Random(5), 0.0).fire() for _ in range(1000))
    assert all(faults.Countdown(random.Random(5), 1.0).fire() for _ in range(1000))


@pytest.mark.parametrize("kind", faults.MALFORMED_KINDS)
def test_each_malformed_kind_breaks_a_valid_event(kind, rng):
    doc = {"schema_version": "1.0", "event_id": uuid4(rng), "event_type": "prompt.submitted",
           "occurred_at": "2026-11-02T09:15:02.120Z", "workspace_id": "ws_0042", "user_id": "usr_00a7",
           "gen_ai.conversation.id": "ses_7f3a", "app_id": "app_19c2", "turn_id": "trn_7f3a_00", "turn_index": 0,
           "prompt.text": "my client Maria Gonzalez wants a habit tracker", "prompt.intent": "new_app"}
    assert contract.is_valid("events", doc)
    day_end = clock.day_start_ms(date(2026, 11, 3))
    for _ in range(20):
        line, event_id = faults.malformed_line(rng, kind, doc, day_end)
        assert b"Maria" not in line, "free text is replaced: no planted value leaks into a fault"
        assert event_id != doc["event_id"]
        try:
            parsed = orjson.loads(line)
        except orjson.JSONDecodeError:
            continue
        if kind == "future_timestamp":
            assert contract.parse_utc(parsed["occurred_at"]) > contract.parse_utc("2026-11-03T00:05:00Z")
        else:
            assert not contract.is_valid("events", parsed)
