"""Inference spend on simulated data: every generation re-priced in Python from the seed, marts reconcile."""

from __future__ import annotations

import csv
import json
from collections import Counter
from datetime import date
from decimal import Decimal

import pytest

from pipelines.simulator.catalog import MODEL_PRICES_CSV
from tests.business.pipeline import BusinessHome

pytestmark = pytest.mark.xdist_group("business")
MILLION = Decimal(1_000_000)


def _catalog() -> dict[tuple[str, str], list[tuple[date, dict[str, Decimal]]]]:
    """The price catalog as the seed states it, newest price first per (provider, model)."""
    catalog: dict[tuple[str, str], list[tuple[date, dict[str, Decimal]]]] = {}
    with MODEL_PRICES_CSV.open(newline="") as handle:
        for row in csv.DictReader(handle):
            prices = {k: Decimal(row[f"{k}_usd_per_mtok"]) for k in ("input", "output", "cache_read", "cache_write")}
            catalog.setdefault((row["provider"], row["model"]), []).append(
                (date.fromisoformat(row["effective_from"]), prices))
    return {key: sorted(rows, reverse=True) for key, rows in catalog.items()}


def _expected_cost(catalog, provider, model, day, tokens) -> Decimal | None:
    """Cost by hand: the newest price on or before the day; OTel input includes the cached tokens."""
    for effective_from, price in catalog.get((provider, model), []):
        if effective_from <= day:
            input_tokens, output_tokens, cache_read, cache_write = tokens
            uncached = input_tokens - cache_read - cache_write
            return (uncached * price["input"] + cache_read * price["cache_read"]
                    + cache_write * price["cache_write"] + output_tokens * price["output"]) / MILLION
    return None


def test_every_generation_costs_what_the_catalog_says_on_its_day(business_home: BusinessHome) -> None:
    catalog = _catalog()
    with business_home.warehouse() as con:
        rows = con.execute(
            """
            select g.provider_name, g.request_model, cast(g.completed_at as date),
                coalesce(g.input_tokens, 0), coalesce(g.output_tokens, 0),
                coalesce(g.cache_read_input_tokens, 0), coalesce(g.cache_creation_input_tokens, 0),
                c.cost_usd, c.is_priced
            from stg_lake__generations as g
            inner join fct_generation_costs as c using (generation_id)
            """
        ).fetchall()
        generations = con.execute("select count(*) from fct_generations").fetchone()[0]
    assert len(rows) == generations > 1000
    mismatches = []
    for provider, model, day, *tokens, cost, is_priced in rows:
        expected = _expected_cost(catalog, provider, model, day, tokens)
        priced_right = is_priced and cost == expected
        flagged_right = expected is None and cost is None and not is_priced
        if not (priced_right or flagged_right):
            mismatches.append((provider, model, day, tokens, cost, expected))
    assert not mismatches, f"{len(mismatches)} generations mis-costed, e.g. {mismatches[:3]}"


def test_the_mid_week_price_cut_applies_from_its_day(business_home: BusinessHome) -> None:
    with business_home.warehouse() as con:
        used = dict(con.execute(
            """
            select event_date >= date '2026-11-05', list_distinct(list(price_effective_from))
            from fct_generation_costs where request_model = 'gpt-5' group by 1
            """
        ).fetchall())
    assert used[False] == [date(2025, 8, 7)]
    assert used[True] == [date(2026, 11, 5)]


def test_unpriced_generations_are_counted_not_free(business_home: BusinessHome) -> None:
    truth = json.loads((business_home.paths.ground_truth / "truth.json").read_text())
    unpriced_models = {m["model"] for m in truth["models"] if not m["priced"]}
    per_model = Counter()
    for outcome in truth["counts"]["outcomes"]:
        per_model[outcome["model"]] += outcome["count"]
    expected = sum(per_model[m] for m in unpriced_models)
    with business_home.warehouse() as con:
        flagged = con.execute("select count(*) from fct_generation_costs where not is_priced").fetchone()[0]
        zero = con.execute("select count(*) from fct_generation_costs where not is_priced and cost_usd = 0").fetchone()[0]
        counted = con.execute("select sum(unpriced_generations) from fct_inference_spend_daily").fetchone()[0]
    assert expected > 0
    assert flagged == counted == expected
    assert zero == 0


def test_spend_reconciles_across_the_marts(business_home: BusinessHome) -> None:
    with business_home.warehouse() as con:
        totals = con.execute(
            """
            select
                (select sum(cost_usd) from fct_generation_costs),
                (select sum(spend_usd) from fct_inference_spend_daily),
                (select sum(spend_usd) from fct_model_economics),
                (select sum(inference_spend_usd) from fct_gross_margin_monthly),
                (select sum(inference_spend_usd) from fct_gross_margin_by_plan_monthly),
                (select sum(frontier_spend_usd + in_house_spend_usd + other_spend_usd) from fct_routing_baseline)
            """
        ).fetchone()
        margin = con.execute(
            "select sum(revenue_usd), sum(gross_margin_usd) from fct_gross_margin_by_plan_monthly"
        ).fetchone()
        revenue = con.execute(
            """
            select sum(mrr_usd) from fct_mrr
            where month_start in (select distinct month_start from fct_gross_margin_monthly)
            """
        ).fetchone()[0]
    assert totals[0] > 0
    assert len(set(totals)) == 1, totals  # exact DECIMAL sums: identical whatever the grouping
    assert margin[0] == revenue
    assert margin[1] == revenue - totals[0]


def test_cost_per_accepted_generation_uses_the_signal_marts_acceptance(business_home: BusinessHome) -> None:
    with business_home.warehouse() as con:
        rows = con.execute(
            """
            select e.model_intent_id, e.priced_accepted_generations, e.cost_per_accepted_generation_usd,
                e.spend_usd, q.accepted, e.acceptance_rate, q.acceptance_rate
            from fct_model_economics as e
            inner join fct_model_quality as q using (provider_name, request_model, prompt_intent)
            where e.unpriced_generations = 0
            """
        ).fetchall()
    assert rows
    for key, priced_accepted, per_accepted, spend, accepted, our_rate, their_rate in rows:
        assert priced_accepted == accepted, key
        assert our_rate == their_rate, key
        assert per_accepted == pytest.approx(float(spend) / accepted), key
