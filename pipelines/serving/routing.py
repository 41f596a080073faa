"""The routing what-if: move a share of each prompt intent's frontier traffic to the in-house model.

This is the one implementation. The dashboard's sliders call ``simulate_routing`` with the rows of
the ``fct_routing_baseline`` mart; ``tests/business/test_routing.py`` checks it against numbers
computed by hand. Per prompt intent, with ``s`` the share moved:

- spend after   = frontier spend x (1 - s) + frontier traffic at the in-house price x s
                  + in-house spend + other spend
- expected accepted = frontier generations x (1 - s) x p_frontier
                      + (frontier generations x s + in-house generations) x p_in_house
                      + other generations x p_other
  with each p the measured acceptance rate of that intent; the interval puts every rate at the
  bound of its 95% Wilson interval (a conservative band: the bounds are not combined).
- margin = revenue - spend, before and after; revenue does not move.

The moved generations are assumed to use the same tokens on the in-house model (the mart prices
the frontier usage at the in-house price), and to be accepted at the in-house model's measured
rate for that intent. An intent without in-house measurements cannot be moved: its share is 0.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Rate:
    """A measured rate and its 95% interval (all in [0, 1])."""

    value: float
    low: float
    high: float


@dataclass(frozen=True)
class IntentBaseline:
    """One row of ``fct_routing_baseline``: an intent's observed traffic in three buckets."""

    prompt_intent: str
    intent_name: str
    default_share: float
    frontier_generations: int
    frontier_accepted: int
    frontier_spend_usd: float
    frontier_at_in_house_price_usd: float
    frontier_acceptance: Rate | None
    in_house_generations: int
    in_house_accepted: int
    in_house_spend_usd: float
    in_house_acceptance: Rate | None
    other_generations: int
    other_accepted: int
    other_spend_usd: float
    other_acceptance: Rate | None

    @property
    def generations(self) -> int:
        return self.frontier_generations + self.in_house_generations + self.other_generations

    @property
    def spend_usd(self) -> float:
        return self.frontier_spend_usd + self.in_house_spend_usd + self.other_spend_usd

    @property
    def routable(self) -> bool:
        """Traffic can move only to a model whose acceptance on this intent was measured."""
        return self.frontier_generations > 0 and self.in_house_acceptance is not None


@dataclass(frozen=True)
class IntentOutcome:
    prompt_intent: str
    intent_name: str
    share: float  # the share actually applied (0 when the intent is not routable)
    moved_generations: float
    generations: int
    spend_before_usd: float
    spend_after_usd: float
    accepted_before: Rate  # expected accepted generations (counts, not rates)
    accepted_after: Rate
    note: str = ""

    @property
    def acceptance_before(self) -> Rate:
        return _per_generation(self.accepted_before, self.generations)

    @property
    def acceptance_after(self) -> Rate:
        return _per_generation(self.accepted_after, self.generations)


@dataclass(frozen=True)
class ScenarioOutcome:
    intents: tuple[IntentOutcome, ...]
    revenue_usd: float

    @property
    def generations(self) -> int:
        return sum(i.generations for i in self.intents)

    @property
    def moved_generations(self) -> float:
        return sum(i.moved_generations for i in self.intents)

    @property
    def spend_before_usd(self) -> float:
        return sum(i.spend_before_usd for i in self.intents)

    @property
    def spend_after_usd(self) -> float:
        return sum(i.spend_after_usd for i in self.intents)

    @property
    def savings_usd(self) -> float:
        return self.spend_before_usd - self.spend_after_usd

    @property
    def margin_before_usd(self) -> float:
        return self.revenue_usd - self.spend_before_usd

    @property
    def margin_after_usd(self) -> float:
        return self.revenue_usd - self.spend_after_usd

    @property
    def margin_pct_before(self) -> float | None:
        return self.margin_before_usd / self.revenue_usd if self.revenue_usd else None

    @property
    def margin_pct_after(self) -> float | None:
        return self.margin_after_usd / self.revenue_usd if self.revenue_usd else None

    @property
    def acceptance_before(self) -> Rate:
        return _per_generation(_sum_rates(i.accepted_before for i in self.intents), self.generations)

    @property
    def acceptance_after(self) -> Rate:
        return _per_generation(_sum_rates(i.accepted_after for i in self.intents), self.generations)


def _rate(value: Any, low: Any, high: Any) -> Rate | None:
    if value is None or _is_nan(value):
        return None
    value = float(value)
    return Rate(value, float(low if low is not None and not _is_nan(low) else value),
                float(high if high is not None and not _is_nan(high) else value))


def _is_nan(value: Any) -> bool:
    return isinstance(value, float) and math.isnan(value)


def baseline_from_row(row: Mapping[str, Any]) -> IntentBaseline:
    """An ``IntentBaseline`` from a ``fct_routing_baseline`` row (a dict of its columns)."""
    return IntentBaseline(
        prompt_intent=str(row["prompt_intent"]),
        intent_name=str(row.get("intent_name") or row["prompt_intent"]),
        default_share=float(row.get("default_in_house_share") or 0.0),
        frontier_generations=int(row["frontier_generations"]),
        frontier_accepted=int(row["frontier_accepted"]),
        frontier_spend_usd=float(row["frontier_spend_usd"]),
        frontier_at_in_house_price_usd=float(row["frontier_at_in_house_price_usd"]),
        frontier_acceptance=_rate(row["frontier_acceptance_rate"], row["frontier_acceptance_ci_low"],
                                  row["frontier_acceptance_ci_high"]),
        in_house_generations=int(row["in_house_generations"]),
        in_house_accepted=int(row["in_house_accepted"]),
        in_house_spend_usd=float(row["in_house_spend_usd"]),
        in_house_acceptance=_rate(row["in_house_acceptance_rate"], row["in_house_acceptance_ci_low"],
                                  row["in_house_acceptance_ci_high"]),
        other_generations=int(row["other_generations"]),
        other_accepted=int(row["other_accepted"]),
        other_spend_usd=float(row["other_spend_usd"]),
        other_acceptance=_rate(row["other_acceptance_rate"], row["other_acceptance_ci_low"],
                               row["other_acceptance_ci_high"]),
    )


def default_shares(baselines: Iterable[IntentBaseline]) -> dict[str, float]:
    """The scenario the dashboard opens with (the routing_scenario seed)."""
    return {b.prompt_intent: b.default_share for b in baselines}


def _expected(generations: float, rate: Rate | None) -> Rate:
    if rate is None or generations == 0:
        return Rate(0.0, 0.0, 0.0)
    return Rate(generations * rate.value, generations * rate.low, generations * rate.high)


def _sum_rates(rates: Iterable[Rate]) -> Rate:
    total = Rate(0.0, 0.0, 0.0)
    for r in rates:
        total = Rate(total.value + r.value, total.low + r.low, total.high + r.high)
    return total


def _per_generation(accepted: Rate, generations: int) -> Rate:
    if generations == 0:
        return Rate(math.nan, math.nan, math.nan)
    return Rate(accepted.value / generations, accepted.low / generations, accepted.high / generations)


def simulate_intent(baseline: IntentBaseline, share: float) -> IntentOutcome:
    """Move ``share`` (0..1) of this intent's frontier traffic to the in-house model."""
    if not 0.0 <= share <= 1.0:
        raise ValueError(f"share for '{baseline.prompt_intent}' must be between 0 and 1, got {share}")
    note = ""
    if share > 0 and not baseline.routable:
        note = ("no in-house measurements for this intent: nothing moved"
                if baseline.in_house_acceptance is None else "no frontier traffic to move")
        share = 0.0
    moved = baseline.frontier_generations * share
    kept = baseline.frontier_generations - moved
    spend_after = (
        baseline.frontier_spend_usd * (1.0 - share)
        + baseline.frontier_at_in_house_price_usd * share
        + baseline.in_house_spend_usd
        + baseline.other_spend_usd
    )
    fixed = _sum_rates([
        _expected(baseline.in_house_generations, baseline.in_house_acceptance),
        _expected(baseline.other_generations, baseline.other_acceptance),
    ])
    accepted_before = _sum_rates([fixed, _expected(baseline.frontier_generations, baseline.frontier_acceptance)])
    accepted_after = _sum_rates([
        fixed,
        _expected(kept, baseline.frontier_acceptance),
        _expected(moved, baseline.in_house_acceptance),
    ])
    return IntentOutcome(
        prompt_intent=baseline.prompt_intent,
        intent_name=baseline.intent_name,
        share=share,
        moved_generations=moved,
        generations=baseline.generations,
        spend_before_usd=baseline.spend_usd,
        spend_after_usd=spend_after,
        accepted_before=accepted_before,
        accepted_after=accepted_after,
        note=note,
    )


def simulate_routing(
    baselines: Iterable[IntentBaseline], shares: Mapping[str, float], revenue_usd: float
) -> ScenarioOutcome:
    """The whole scenario: each intent moved by its share (missing intents: 0), margin on ``revenue_usd``."""
    baselines = list(baselines)
    unknown = set(shares) - {b.prompt_intent for b in baselines}
    if unknown:
        raise ValueError(f"shares name intents that are not in the baseline: {sorted(unknown)}")
    outcomes = tuple(simulate_intent(b, float(shares.get(b.prompt_intent, 0.0))) for b in baselines)
    return ScenarioOutcome(outcomes, float(revenue_usd))
