"""The ground truth agrees with the data: outcomes, planted values, consent, MRR."""

from __future__ import annotations

import bisect
import csv
import re
from collections import Counter, defaultdict
from decimal import Decimal
from itertools import pairwise

import duckdb
import pytest

from pipelines.simulator import injection, outcomes
from pipelines.simulator.catalog import FX_RATES_CSV, MODEL_PRICES_CSV, MODELS
from pipelines.simulator.personal_data import iban_valid, luhn_valid

FREE_TEXT = {
    "prompt.submitted": ("prompt.text",),
    "generation.completed": ("assistant.text", "code_change.patch"),
    "build.completed": ("build.error_message",),
    "gen_ai.evaluation.result": ("gen_ai.evaluation.explanation",),
}


def _field(doc: dict, name: str) -> str | None:
    if name == "code_change.patch":
        return doc["code_change"]["patch"]
    return doc.get(name)


def test_truth_json_describes_the_run(dataset):
    truth = dataset.truth
    assert truth["config"]["seed"] == dataset.config.seed
    assert {(m["provider"], m["model"]) for m in truth["models"]} == {(m.provider, m.name) for m in MODELS}
    assert [m["model"] for m in truth["models"] if not m["priced"]] == ["gpt-5-preview-0925"]
    counts = truth["counts"]
    assert counts["events_by_type"] == dict(Counter(e.doc["event_type"] for e in dataset.events.values()))
    assert counts["turns"] == dataset.config.interactions_per_day * dataset.config.days
    assert sum(o["count"] for o in counts["outcomes"]) == counts["generations"]


def test_outcome_rates_are_coherent_probabilities():
    rows = outcomes.true_rates()
    assert len(rows) == len(MODELS) * len(outcomes.INTENTS)
    for row in rows:
        classes = row["class_probabilities"]
        assert sum(classes.values()) == pytest.approx(1.0)
        assert row["p_unknown"] == pytest.approx(classes["unknown"])
        assert row["p_success"] == pytest.approx(classes["success"] / (1 - row["p_unknown"]))
        assert row["p_accept"] == pytest.approx(classes["success"] + classes["reverted"] + classes["build_failed"])
    by_key = {(r["model"], r["intent"]): r for r in rows}
    assert by_key[("flywheel-coder-7b", "new_app")]["p_success"] < by_key[("claude-sonnet-4-5", "new_app")]["p_success"] - 0.1
    assert abs(by_key[("flywheel-coder-7b", "fix_bug")]["p_success"] - by_key[("gpt-5", "fix_bug")]["p_success"]) < 0.05


def _generation_outcomes(dataset) -> list[tuple[str, str, set[str]]]:
    """(model, intent, what the user did) per generation, attributing actions like the pipeline must:
    by gen_ai.response.id when present, else to the latest earlier generation of the turn."""
    intents = {p["turn_id"]: p["prompt.intent"] for p in dataset.by_type("prompt.submitted")}
    turns: dict[str, list[dict]] = defaultdict(list)
    for g in dataset.by_type("generation.completed"):
        turns[g["turn_id"]].append(g)
    for turn in turns.values():
        turn.sort(key=lambda g: g["occurred_at"])
    done: dict[str, set[str]] = defaultdict(set)
    for event in dataset.events.values():
        doc = event.doc
        if doc["event_type"] in ("prompt.submitted", "generation.completed", "consent.changed"):
            continue
        turn = turns[doc["turn_id"]]
        if "gen_ai.response.id" in doc:
            target = doc["gen_ai.response.id"]
        else:
            times = [g["occurred_at"] for g in turn]
            target = turn[bisect.bisect_left(times, doc["occurred_at"]) - 1]["gen_ai.response.id"]
        label = doc["event_type"]
        if label == "build.completed":
            label += ":" + doc["build.status"]
        if label == "gen_ai.evaluation.result":
            label += ":" + ("negative" if doc["gen_ai.evaluation.score.value"] <= 2 and doc["gen_ai.evaluation.score.label"] != "thumbs_up" else "positive")
        done[target].add(label)
    return [(g["gen_ai.request.model"], intents[g["turn_id"]], done[g["gen_ai.response.id"]])
            for turn in turns.values() for g in turn]


def test_observed_outcomes_match_the_true_rates(dataset):
    """Pooled over all generations, the measured rates match the truth's within 4 standard errors."""
    rates = {(r["model"], r["intent"]): r for r in dataset.truth["outcome_rates"]}
    observed = _generation_outcomes(dataset)
    n = len(observed)
    failure = {"generation.rejected", "generation.regenerate_requested", "generation.reverted",
               "build.completed:failed", "gen_ai.evaluation.result:negative"}
    expected_accept = sum(rates[(m, i)]["p_accept"] for m, i, _ in observed) / n
    expected_unknown = sum(rates[(m, i)]["p_unknown"] for m, i, _ in observed) / n
    accepted = sum("generation.accepted" in acts for _, _, acts in observed) / n
    unknown = sum(not acts for _, _, acts in observed) / n
    assert accepted == pytest.approx(expected_accept, abs=4 * (expected_accept * (1 - expected_accept) / n) ** 0.5)
    assert unknown == pytest.approx(expected_unknown, abs=4 * (expected_unknown * (1 - expected_unknown) / n) ** 0.5)
    known = [(m, i, acts) for m, i, acts in observed if acts]
    expected_success = sum(rates[(m, i)]["p_success"] for m, i, _ in known) / len(known)
    success = sum(not (acts & failure) for _, _, acts in known) / len(known)
    assert success == pytest.approx(expected_success, abs=4 * (expected_success * (1 - expected_success) / len(known)) ** 0.5)
    # Every success accepts; no generation both succeeds and is reverted.
    assert all("generation.accepted" in acts for _, _, acts in known if not acts & failure)


def test_regenerations_add_a_generation_to_the_same_turn(dataset):
    per_turn = Counter(g["turn_id"] for g in dataset.by_type("generation.completed"))
    regenerated = {d["turn_id"] for d in dataset.by_type("generation.regenerate_requested")}
    assert regenerated and all(per_turn[t] >= 2 for t in regenerated)
    assert all(per_turn[t] == 1 for t in per_turn if t not in regenerated)


def test_every_injected_value_is_in_the_named_field(dataset):
    for row in dataset.injected:
        doc = dataset.events[row["event_id"]].doc
        assert doc["user_id"] == row["user_id"]
        text = _field(doc, row["field"])
        assert text is not None and row["value"] in text, row


def test_injected_entity_types_and_values(dataset):
    by_type: dict[str, list[str]] = defaultdict(list)
    for row in dataset.injected:
        by_type[row["entity_type"]].append(row["value"])
    assert set(injection.PII_ENTITIES) <= set(by_type)
    secrets = {t for t in by_type if t.startswith("SECRET:")}
    assert {"SECRET:openai_api_key", "SECRET:anthropic_api_key", "SECRET:aws_access_key_id",
            "SECRET:aws_secret_access_key", "SECRET:github_token", "SECRET:slack_token",
            "SECRET:stripe_secret_key", "SECRET:password_in_url"} <= secrets
    assert all(luhn_valid(v) for v in by_type["CREDIT_CARD"])
    assert all(iban_valid(v) for v in by_type["IBAN_CODE"])
    assert all(re.fullmatch(r"[a-z0-9._]+@[a-z0-9.-]+\.[a-z]+", v) for v in by_type["EMAIL_ADDRESS"])
    assert all(re.fullmatch(r"[A-Z][\w'-]+ [A-Za-z' ]+", v) for v in by_type["PERSON"])
    assert all(v.startswith("sk-proj-") for v in by_type["SECRET:openai_api_key"])
    assert all(v.startswith("sk-ant-api03-") for v in by_type["SECRET:anthropic_api_key"])
    assert all(re.fullmatch(r"AKIA[A-Z2-7]{16}", v) for v in by_type["SECRET:aws_access_key_id"])


def test_the_same_persons_email_recurs_within_a_conversation(dataset):
    sessions = {e.doc["event_id"]: e.doc.get("gen_ai.conversation.id") for e in dataset.events.values()}
    seen = Counter((sessions[r["event_id"]], r["value"]) for r in dataset.injected if r["entity_type"] == "EMAIL_ADDRESS")
    assert max(seen.values()) >= 2


def test_pii_and_secret_rates_match_the_config(dataset):
    pii_fields, secret_fields, fields, secret_eligible = set(), set(), 0, 0
    for row in dataset.injected:
        key = (row["event_id"], row["field"])
        (secret_fields if row["entity_type"].startswith("SECRET:") else pii_fields).add(key)
    for event in dataset.events.values():
        for name in FREE_TEXT.get(event.doc["event_type"], ()):
            if _field(event.doc, name) is not None:
                fields += 1
                secret_eligible += name in ("prompt.text", "code_change.patch", "build.error_message")
    assert len(pii_fields) / fields == pytest.approx(dataset.config.pii_rate, rel=0.15)
    assert len(secret_fields) / secret_eligible == pytest.approx(dataset.config.secret_rate, rel=0.25)


def test_consent_truth_matches_the_consent_events(dataset):
    rows = {r["user_id"]: r for r in dataset.consent}
    granted, revoked = {}, {}
    for doc in dataset.by_type("consent.changed"):
        (granted if doc["consent.status"] == "granted" else revoked)[doc["user_id"]] = doc["occurred_at"]
    assert granted and revoked
    for user_id, row in rows.items():
        assert row["granted_at"] == granted.get(user_id, "")
        assert row["revoked_at"] == revoked.get(user_id, "")
        assert (row["never_consented"] == "true") == (user_id not in granted)
    share = sum(r["never_consented"] == "true" for r in rows.values()) / len(rows)
    assert share == pytest.approx(dataset.config.never_consented_share, abs=0.05)
    actors = {d["user_id"] for d in dataset.by_type("prompt.submitted")}
    assert actors <= rows.keys()


MRR_SQL = """
with events as (
    select workspace_id, subscription_id, event_type, occurred_at::timestamp as at, seats,
           price_per_seat::decimal(18, 4) as price_per_seat, currency, billing_interval
    from read_json($files, format = 'newline_delimited', columns = {
        workspace_id: 'varchar', subscription_id: 'varchar', event_type: 'varchar', occurred_at: 'varchar',
        seats: 'bigint', price_per_seat: 'varchar', currency: 'varchar', billing_interval: 'varchar'})
),
fx as (select currency, usd_per_unit::decimal(18, 4) as usd_per_unit from read_csv($fx, header = true, all_varchar = true)),
months as (select unnest(generate_series($first::date, $last::date, interval 1 month))::date as month_start),
latest as (
    select m.month_start, e.*,
           row_number() over (partition by m.month_start, e.subscription_id order by e.at desc) as recency
    from months m join events e on e.at < m.month_start + interval 1 month
),
subscription_mrr as (
    select l.workspace_id, l.month_start,
           round_even(l.seats * l.price_per_seat / (case when l.billing_interval = 'year' then 12 else 1 end)
                      * fx.usd_per_unit, 2) as mrr
    from latest l join fx using (currency)
    where l.recency = 1 and l.event_type <> 'subscription.cancelled'
)
select w.workspace_id, strftime(m.month_start, '%Y-%m') as month, coalesce(sum(s.mrr), 0) as mrr
from (select distinct workspace_id from events) w cross join months m
left join subscription_mrr s on s.workspace_id = w.workspace_id and s.month_start = m.month_start
group by all order by 1, 2
"""


def test_mrr_truth_is_reproduced_in_sql_from_the_billing_events(dataset):
    files = [str(p) for p in sorted(dataset.paths.landing.glob("billing/date=*/*.jsonl"))]
    window = dataset.truth["window"]
    rows = duckdb.sql(MRR_SQL, params={
        "files": files, "fx": str(FX_RATES_CSV), "first": window["billing_history_start"],
        "last": dataset.config.end.replace(day=1).isoformat()}).fetchall()
    recomputed = [(w, m, f"{Decimal(str(v)):.2f}") for w, m, v in rows]
    assert recomputed == [(r["workspace_id"], r["month"], r["mrr_usd"]) for r in dataset.mrr]


def test_mrr_truth_covers_every_workspace_and_month_and_its_life_events(dataset):
    months = sorted({r["month"] for r in dataset.mrr})
    workspaces = {r["workspace_id"] for r in dataset.mrr}
    assert len(dataset.mrr) == len(months) * len(workspaces)
    assert months[0] == dataset.truth["window"]["first_billing_month"] and months[-1] == "2026-11"
    assert all(re.fullmatch(r"\d+\.\d\d", r["mrr_usd"]) for r in dataset.mrr)
    series = defaultdict(list)
    for r in dataset.mrr:
        series[r["workspace_id"]].append(Decimal(r["mrr_usd"]))
    assert any(_churned(s) for s in series.values()), "some paying workspace churns to 0.00"
    assert any(_came_back(s) for s in series.values()), "some churned workspace pays again"


def _churned(mrr: list[Decimal]) -> bool:
    return any(a > 0 and b == 0 for a, b in pairwise(mrr))


def _came_back(mrr: list[Decimal]) -> bool:
    paid = churned = False
    for value in mrr:
        if value > 0 and churned:
            return True
        paid |= value > 0
        churned |= paid and value == 0
    return False


def test_billing_history_has_the_lifecycle_a_saas_has(dataset):
    types = Counter(d["event_type"] for d in dataset.billing)
    assert types["subscription.started"] > 100 and types["subscription.changed"] > 20 and types["subscription.cancelled"] > 10
    assert {d["currency"] for d in dataset.billing if "currency" in d} == {"USD", "EUR", "GBP"}
    assert {d["billing_interval"] for d in dataset.billing if "billing_interval" in d} == {"month", "year"}
    assert {d["plan"] for d in dataset.billing if "plan" in d} == {"free", "pro", "team", "enterprise"}
    # An add-on: a workspace cancels one subscription while another one stays active.
    active: dict[str, set[str]] = defaultdict(set)
    partial_cancel = False
    for d in sorted(dataset.billing, key=lambda d: d["occurred_at"]):
        if d["event_type"] == "subscription.cancelled":
            active[d["workspace_id"]].discard(d["subscription_id"])
            partial_cancel |= bool(active[d["workspace_id"]])
        else:
            active[d["workspace_id"]].add(d["subscription_id"])
    assert partial_cancel


def test_seeds_price_every_model_but_one_and_change_mid_week(dataset):
    with MODEL_PRICES_CSV.open() as handle:
        prices = list(csv.DictReader(handle))
    priced = {(p["provider"], p["model"]) for p in prices}
    assert priced == {(m.provider, m.name) for m in MODELS if m.priced}
    window = [d.isoformat() for d in dataset.config.day_dates]
    assert any(window[0] < p["effective_from"] <= window[-1] for p in prices)
    assert any("GPU" in p["notes"] for p in prices if p["provider"] == "flywheel")
    used = Counter(g["gen_ai.request.model"] for g in dataset.by_type("generation.completed"))
    assert used["gpt-5-preview-0925"] / sum(used.values()) < 0.01
    with FX_RATES_CSV.open() as handle:
        fx = {r["currency"]: Decimal(r["usd_per_unit"]) for r in csv.DictReader(handle)}
    assert fx["USD"] == 1 and set(fx) == {"USD", "EUR", "GBP"}
