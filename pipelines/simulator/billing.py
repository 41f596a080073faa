"""The billing system: each workspace's subscriptions over months, and the MRR truth derived from them.

A workspace signs up on a plan (free, pro, team, enterprise) in its currency (USD, EUR or GBP),
monthly or yearly, and then lives a continuous-time life: seats come and go, it upgrades,
downgrades, takes an add-on subscription, cancels one subscription while the other remains,
churns, and sometimes comes back on a new subscription. Each workspace draws from its own
stream, so its history does not depend on how many other workspaces exist.

Prices are net prices per seat and interval (discounts applied). Monthly prices are whole
currency units and yearly prices are 12 x 0.8 x a monthly price, so a yearly price divided by
12 is exact to the cent; see ``subscription_mrr`` for the rounding rule.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from pipelines.contract import CONTRACT_VERSION
from pipelines.simulator import clock
from pipelines.simulator.randomness import uuid4

PLANS = ("free", "pro", "team", "enterprise")
CURRENCIES = ("USD", "EUR", "GBP")
_CURRENCY_WEIGHTS = (0.6, 0.25, 0.15)
LIST_PRICE = {  # per seat per month, whole currency units
    "free": {"USD": 0, "EUR": 0, "GBP": 0},
    "pro": {"USD": 25, "EUR": 23, "GBP": 20},
    "team": {"USD": 40, "EUR": 37, "GBP": 32},
    "enterprise": {"USD": 60, "EUR": 55, "GBP": 48},
}
YEARLY_FACTOR = Decimal("9.6")  # 12 months at a 20% discount
CENT = Decimal("0.01")
MONTH_MS = 30 * clock.MS_PER_DAY


@dataclass(frozen=True)
class Terms:
    """What a subscription charges from an event on."""

    plan: str
    seats: int
    price_per_seat: Decimal  # net, per seat per interval, in currency
    currency: str
    interval: str  # month | year


def subscription_mrr(terms: Terms, usd_per_unit: Decimal) -> Decimal:
    """One subscription's MRR in USD: round(seats x price_per_seat / (12 if yearly) x usd_per_unit, 2).

    Computed in exact decimals and rounded half-to-even to the cent, per subscription; a
    workspace's MRR is the sum of its subscriptions' rounded MRR. The simulator never emits terms
    whose unrounded value is an exact half cent (see ``_without_tie``), so half-up rounding (SQL
    ``round``) and half-even (DuckDB ``round_even``) agree: what matters in SQL is to compute in
    DECIMAL, not DOUBLE.
    """
    monthly = Decimal(terms.seats) * terms.price_per_seat
    if terms.interval == "year":
        monthly = monthly / 12
    return (monthly * usd_per_unit).quantize(CENT, rounding=ROUND_HALF_EVEN)


def _is_half_cent_tie(terms: Terms, usd_per_unit: Decimal) -> bool:
    monthly = Decimal(terms.seats) * terms.price_per_seat
    if terms.interval == "year":
        monthly = monthly / 12
    cents = monthly * usd_per_unit * 100
    return cents - cents.to_integral_value(rounding="ROUND_FLOOR") == Decimal("0.5")


def _without_tie(terms: Terms, fx: dict[str, Decimal]) -> Terms:
    """Nudge the seat count until the MRR is not an exact half cent (rounding-mode independent)."""
    while _is_half_cent_tie(terms, fx[terms.currency]):
        terms = replace(terms, seats=terms.seats + 1)
    return terms


def price_per_seat(plan: str, currency: str, interval: str, discount_pct: int) -> Decimal:
    monthly = Decimal(round(LIST_PRICE[plan][currency] * (100 - discount_pct) / 100))
    return monthly * YEARLY_FACTOR if interval == "year" else monthly


@dataclass
class _Sub:
    subscription_id: str
    terms: Terms
    discount_pct: int


class WorkspaceBilling:
    """Simulates one workspace's subscriptions from sign-up to ``end_ms`` (exclusive)."""

    def __init__(self, rng: random.Random, workspace_id: str, currency: str, fx: dict[str, Decimal]) -> None:
        self.rng = rng
        self.workspace_id = workspace_id
        self.currency = currency
        self.fx = fx
        self.events: list[tuple[int, dict[str, Any]]] = []
        self.main: _Sub | None = None
        self.addon: _Sub | None = None
        self._subscriptions = 0
        self.first_plan = "free"

    # -- event emission -------------------------------------------------------------------
    def _emit(self, t_ms: int, event_type: str, sub: _Sub, reason: str | None = None) -> None:
        doc: dict[str, Any] = {
            "schema_version": CONTRACT_VERSION,
            "event_id": uuid4(self.rng),
            "event_type": event_type,
            "occurred_at": clock.format_seconds(t_ms),
            "workspace_id": self.workspace_id,
            "subscription_id": sub.subscription_id,
        }
        if event_type == "subscription.cancelled":
            doc["reason"] = reason
        else:
            terms = sub.terms
            doc.update(plan=terms.plan, seats=terms.seats, price_per_seat=float(terms.price_per_seat),
                       currency=terms.currency, billing_interval=terms.interval)
        self.events.append((t_ms - t_ms % 1000, doc))

    def _terms(self, plan: str, seats: int, interval: str, discount_pct: int) -> Terms:
        terms = Terms(plan, seats, price_per_seat(plan, self.currency, interval, discount_pct), self.currency, interval)
        return _without_tie(terms, self.fx)

    def _start(self, t_ms: int, plan: str, seats: int, interval: str, discount_pct: int) -> _Sub:
        self._subscriptions += 1
        sub = _Sub(f"{self.workspace_id.replace('ws_', 'sub_')}_{self._subscriptions}",
                   self._terms(plan, seats, interval, discount_pct), discount_pct)
        self._emit(t_ms, "subscription.started", sub)
        return sub

    def _change(self, t_ms: int, sub: _Sub, plan: str | None = None, seats: int | None = None,
                interval: str | None = None, discount_pct: int | None = None) -> None:
        terms = sub.terms
        if discount_pct is not None:
            sub.discount_pct = discount_pct
        sub.terms = self._terms(plan or terms.plan, max(1, seats or terms.seats), interval or terms.interval,
                                sub.discount_pct)
        if sub.terms != terms:
            self._emit(t_ms, "subscription.changed", sub)

    def _cancel(self, t_ms: int, sub: _Sub) -> None:
        reason = self.rng.choices(("voluntary", "payment_failed", "other"), weights=(0.75, 0.2, 0.05))[0]
        self._emit(t_ms, "subscription.cancelled", sub, reason)

    # -- the life of the workspace ---------------------------------------------------------
    def sign_up(self, t_ms: int) -> None:
        rng = self.rng
        plan = rng.choices(PLANS, weights=(0.45, 0.33, 0.16, 0.06))[0]
        self.first_plan = plan
        self.main = self._start(t_ms, plan, *self._initial_terms(plan))

    def _initial_terms(self, plan: str) -> tuple[int, str, int]:
        """(seats, interval, discount_pct) for a new subscription on ``plan``."""
        rng = self.rng
        if plan == "free":
            return rng.choice((1, 1, 1, 2)), "month", 0
        if plan == "pro":
            return rng.choice((1, 1, 1, 2, 3)), ("year" if rng.random() < 0.25 else "month"), (20 if rng.random() < 0.1 else 0)
        if plan == "team":
            return rng.randint(3, 15), ("year" if rng.random() < 0.35 else "month"), (rng.choice((10, 15, 20)) if rng.random() < 0.15 else 0)
        return rng.randint(20, 150), ("year" if rng.random() < 0.85 else "month"), rng.randint(5, 30)

    def _rates(self) -> list[tuple[str, float]]:
        """Monthly hazard of each possible next event, given the current subscriptions."""
        main, addon = self.main, self.addon
        rates: list[tuple[str, float]] = []
        if main is None:
            rates.append(("reactivate", 0.07))
        else:
            plan = main.terms.plan
            rates += {
                "free": [("upgrade", 0.10), ("cancel_main", 0.04), ("seats", 0.02)],
                "pro": [("upgrade", 0.05), ("downgrade", 0.04), ("seats", 0.10), ("cancel_main", 0.04),
                        ("to_yearly", 0.015)],
                "team": [("upgrade", 0.02), ("downgrade", 0.03), ("seats", 0.22), ("cancel_main", 0.025),
                         ("to_yearly", 0.015)],
                "enterprise": [("seats", 0.20), ("downgrade", 0.015), ("cancel_main", 0.01)],
            }[plan]
            if addon is None and plan in ("team", "enterprise", "pro"):
                rates.append(("addon_start", 0.05 if plan != "pro" else 0.015))
        if addon is not None:
            rates += [("addon_cancel", 0.09), ("addon_seats", 0.05)]
        return rates

    def live_until(self, t_ms: int, end_ms: int) -> None:
        rng = self.rng
        while True:
            rates = self._rates()
            total = sum(r for _, r in rates)
            t_ms += max(clock.MS_PER_MINUTE, int(rng.expovariate(total) * MONTH_MS))
            if t_ms >= end_ms:
                return
            action = rng.choices([a for a, _ in rates], weights=[r for _, r in rates])[0]
            self._act(action, t_ms)

    def _act(self, action: str, t_ms: int) -> None:
        rng, main, addon = self.rng, self.main, self.addon
        if action == "reactivate":
            plan = rng.choices(("pro", "team", "free"), weights=(0.55, 0.3, 0.15))[0]
            self.main = self._start(t_ms, plan, *self._initial_terms(plan))
        elif action == "upgrade" and main is not None:
            plan = PLANS[PLANS.index(main.terms.plan) + 1]
            seats = max(main.terms.seats, {"pro": 1, "team": 3, "enterprise": 20}[plan])
            discount = rng.randint(5, 25) if plan == "enterprise" else 0
            self._change(t_ms, main, plan=plan, seats=seats, discount_pct=discount)
        elif action == "downgrade" and main is not None:
            plan = PLANS[PLANS.index(main.terms.plan) - 1]
            seats = 1 if plan in ("free", "pro") and rng.random() < 0.6 else main.terms.seats
            interval = "month" if plan == "free" else None
            self._change(t_ms, main, plan=plan, seats=seats, interval=interval, discount_pct=0)
        elif action == "seats" and main is not None:
            self._change(t_ms, main, seats=self._new_seats(main.terms.seats))
        elif action == "to_yearly" and main is not None and main.terms.interval == "month":
            self._change(t_ms, main, interval="year")
        elif action == "cancel_main" and main is not None:
            self._cancel(t_ms, main)
            self.main = None
            if addon is not None and rng.random() < 0.5:  # whole account closed, not just the plan
                self._cancel(t_ms + rng.randint(1, 3600) * 1000, addon)
                self.addon = None
        elif action == "addon_start":
            plan = rng.choice(("pro", "team"))
            self.addon = self._start(t_ms, plan, rng.randint(1, 4) if plan == "pro" else rng.randint(2, 10), "month", 0)
        elif action == "addon_cancel" and addon is not None:
            self._cancel(t_ms, addon)
            self.addon = None
        elif action == "addon_seats" and addon is not None:
            self._change(t_ms, addon, seats=self._new_seats(addon.terms.seats))

    def _new_seats(self, seats: int) -> int:
        rng = self.rng
        step = max(1, int(seats * rng.uniform(0.05, 0.3)))
        return max(1, seats + step if rng.random() < 0.65 else seats - step)


def draw_currency(rng: random.Random) -> str:
    return rng.choices(CURRENCIES, weights=_CURRENCY_WEIGHTS)[0]


def terms_of(doc: dict[str, Any]) -> Terms:
    return Terms(doc["plan"], int(doc["seats"]), Decimal(str(doc["price_per_seat"])), doc["currency"],
                 doc["billing_interval"])


def months_between(first: date, last: date) -> list[date]:
    """First days of every month from ``first``'s month through ``last``'s month."""
    months, current = [], clock.month_start(first)
    while current <= last:
        months.append(current)
        current = clock.add_months(current, 1)
    return months


def mrr_by_month(
    events: Iterable[dict[str, Any]], first_month: date, last_day: date, fx: dict[str, Decimal]
) -> list[tuple[str, str, Decimal]]:
    """(workspace_id, YYYY-MM, MRR in USD) for every workspace and every month, end of month.

    A month's MRR is taken at its last instant: a subscription counts if its latest
    ``subscription.started``/``changed`` has ``occurred_at`` before the first instant of the next
    month and it was not cancelled before that instant. Every workspace that appears in the
    billing events gets a row for every month from ``first_month`` through ``last_day``'s month,
    with 0.00 when nothing was active (before sign-up, after churn, free plans).
    """
    ordered = sorted(events, key=lambda e: e["occurred_at"])
    workspaces = sorted({e["workspace_id"] for e in ordered})
    active: dict[str, tuple[str, Terms]] = {}  # subscription_id -> (workspace_id, terms)
    rows: list[tuple[str, str, Decimal]] = []
    position = 0
    for month in months_between(first_month, last_day):
        boundary = clock.add_months(month, 1).isoformat()  # "YYYY-MM-DD" sorts before any time that day
        while position < len(ordered) and ordered[position]["occurred_at"] < boundary:
            event = ordered[position]
            if event["event_type"] == "subscription.cancelled":
                active.pop(event["subscription_id"], None)
            else:
                active[event["subscription_id"]] = (event["workspace_id"], terms_of(event))
            position += 1
        totals = dict.fromkeys(workspaces, Decimal("0.00"))
        for workspace_id, terms in active.values():
            totals[workspace_id] += subscription_mrr(terms, fx[terms.currency])
        label = clock.month_label(month)
        rows.extend((workspace_id, label, totals[workspace_id]) for workspace_id in workspaces)
    rows.sort()
    return rows
