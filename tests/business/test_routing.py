"""The routing what-if, checked against numbers computed by hand, and against the marts it starts from."""

from __future__ import annotations

import math

import pytest

from pipelines.serving.routing import (
    IntentBaseline,
    Rate,
    baseline_from_row,
    default_shares,
    simulate_intent,
    simulate_routing,
)
from tests.business.pipeline import BusinessHome

FIX_BUG = IntentBaseline(
    prompt_intent="fix_bug", intent_name="Fix with AI", default_share=0.5,
    frontier_generations=100, frontier_accepted=70, frontier_spend_usd=10.0, frontier_at_in_house_price_usd=0.5,
    frontier_acceptance=Rate(0.70, 0.60, 0.78),
    in_house_generations=50, in_house_accepted=30, in_house_spend_usd=0.2, in_house_acceptance=Rate(0.60, 0.46, 0.72),
    other_generations=10, other_accepted=5, other_spend_usd=0.0, other_acceptance=Rate(0.50, 0.24, 0.76),
)
# No in-house traffic measured on new apps: nothing can be moved there.
NEW_APP = IntentBaseline(
    prompt_intent="new_app", intent_name="New app", default_share=0.0,
    frontier_generations=40, frontier_accepted=30, frontier_spend_usd=4.0, frontier_at_in_house_price_usd=0.2,
    frontier_acceptance=Rate(0.75, 0.60, 0.86),
    in_house_generations=0, in_house_accepted=0, in_house_spend_usd=0.0, in_house_acceptance=None,
    other_generations=0, other_accepted=0, other_spend_usd=0.0, other_acceptance=None,
)


def test_moving_half_of_one_intent_by_hand() -> None:
    outcome = simulate_intent(FIX_BUG, 0.5)
    # 50 moved, 50 kept: spend 10 x 0.5 + 0.5 x 0.5 + 0.2 = 5.45
    assert outcome.moved_generations == 50
    assert outcome.spend_before_usd == pytest.approx(10.2)
    assert outcome.spend_after_usd == pytest.approx(5.45)
    # accepted: 50 x .70 + (50 + 50) x .60 + 10 x .50 = 100 of 160 (before: 70 + 30 + 5 = 105)
    assert outcome.accepted_after.value == pytest.approx(100.0)
    assert outcome.accepted_before.value == pytest.approx(105.0)
    assert outcome.acceptance_after.value == pytest.approx(0.625)
    assert outcome.acceptance_before.value == pytest.approx(0.65625)
    # band: 50 x .60 + 100 x .46 + 10 x .24 = 78.4 and 50 x .78 + 100 x .72 + 10 x .76 = 118.6
    assert outcome.acceptance_after.low == pytest.approx(78.4 / 160)
    assert outcome.acceptance_after.high == pytest.approx(118.6 / 160)


def test_a_whole_scenario_by_hand() -> None:
    outcome = simulate_routing([FIX_BUG, NEW_APP], {"fix_bug": 0.5, "new_app": 0.3}, revenue_usd=100.0)
    fix_bug, new_app = outcome.intents
    assert new_app.share == 0.0 and "no in-house measurements" in new_app.note
    assert new_app.spend_after_usd == pytest.approx(4.0)
    assert outcome.spend_before_usd == pytest.approx(14.2)
    assert outcome.spend_after_usd == pytest.approx(9.45)
    assert outcome.savings_usd == pytest.approx(4.75)
    assert outcome.margin_pct_before == pytest.approx(0.858)
    assert outcome.margin_pct_after == pytest.approx(0.9055)
    assert outcome.acceptance_before.value == pytest.approx(135 / 200)
    assert outcome.acceptance_after.value == pytest.approx(130 / 200)
    assert outcome.moved_generations == pytest.approx(50)


def test_no_move_changes_nothing_and_everything_moves_at_one() -> None:
    still = simulate_routing([FIX_BUG], {"fix_bug": 0.0}, 100.0)
    assert still.spend_after_usd == still.spend_before_usd
    assert still.acceptance_after == still.acceptance_before
    everything = simulate_intent(FIX_BUG, 1.0)
    assert everything.spend_after_usd == pytest.approx(0.5 + 0.2)
    assert everything.accepted_after.value == pytest.approx(150 * 0.6 + 5)


@pytest.mark.parametrize("share", [-0.1, 1.01])
def test_a_share_outside_zero_to_one_is_refused(share: float) -> None:
    with pytest.raises(ValueError, match="between 0 and 1"):
        simulate_intent(FIX_BUG, share)


def test_an_unknown_intent_is_refused() -> None:
    with pytest.raises(ValueError, match="not in the baseline"):
        simulate_routing([FIX_BUG], {"typo": 0.5}, 1.0)


def test_a_mart_row_with_missing_intervals_reads_as_no_measurement() -> None:
    row = {
        "prompt_intent": "other", "intent_name": "Other", "default_in_house_share": 0.25,
        "frontier_generations": 3, "frontier_accepted": 1, "frontier_spend_usd": 0.1,
        "frontier_at_in_house_price_usd": 0.01, "frontier_acceptance_rate": 1 / 3,
        "frontier_acceptance_ci_low": 0.06, "frontier_acceptance_ci_high": 0.79,
        "in_house_generations": 0, "in_house_accepted": 0, "in_house_spend_usd": 0.0,
        "in_house_acceptance_rate": math.nan, "in_house_acceptance_ci_low": None, "in_house_acceptance_ci_high": None,
        "other_generations": 0, "other_accepted": 0, "other_spend_usd": 0.0,
        "other_acceptance_rate": None, "other_acceptance_ci_low": None, "other_acceptance_ci_high": None,
    }
    baseline = baseline_from_row(row)
    assert baseline.in_house_acceptance is None and not baseline.routable
    assert default_shares([baseline]) == {"other": 0.25}


@pytest.mark.xdist_group("business")
def test_the_baseline_mart_reproduces_todays_spend_and_acceptance(business_home: BusinessHome) -> None:
    with business_home.serving() as con:
        rows = con.execute("select * from fct_routing_baseline").df().to_dict("records")
        spend, generations, accepted = con.execute(
            "select sum(spend_usd)::double, sum(generations), sum(accepted_generations) from fct_inference_spend_daily"
        ).fetchone()
    baselines = [baseline_from_row(r) for r in rows]
    today = simulate_routing(baselines, {}, revenue_usd=1.0)
    assert today.generations == generations
    assert today.spend_before_usd == pytest.approx(spend)
    assert today.acceptance_before.value == pytest.approx(accepted / generations)
    moved = simulate_routing(baselines, default_shares(baselines), revenue_usd=1.0)
    # the in-house model is far cheaper than the frontier: the default scenario saves money
    assert moved.spend_after_usd < moved.spend_before_usd
    assert moved.moved_generations > 0
