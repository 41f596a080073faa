"""Who is on the platform: workspaces with their billing history, their users, and consent.

Everything here is computed once per run, before any day is simulated, and is bounded by the
number of workspaces and seats (not by days or interactions): the day loop only reads it.

- Workspaces sign up over ``billing_history_months`` before the start (more recently more of them:
  the platform grows) and a few more during the window. Their billing decides when they are
  active and how many members (seats) they have.
- A workspace's k-th user exists from the first moment it has more than k seats and can work
  whenever it still has: seats added later bring new users, seats removed idle some.
- Consent: granted a few minutes after a user's creation, except for a ``never_consented_share``;
  during the window each consenting user revokes with ``consent_revoke_rate`` per day.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from pipelines.simulator import billing, clock
from pipelines.simulator.config import SimulationConfig
from pipelines.simulator.randomness import scramble32, stream

# Local-time activity profile (share of a day's work per local hour) and UTC offsets per region.
_LOCAL_HOURLY = (0.3, 0.2, 0.1, 0.1, 0.1, 0.2, 0.5, 1.2, 2.5, 4.0, 5.0, 5.2, 4.2, 4.8, 5.2, 5.0, 4.5, 3.8,
                 3.0, 2.8, 3.0, 2.6, 1.6, 0.8)
_REGION_BY_CURRENCY = {"USD": -6, "EUR": 1, "GBP": 0}
_PLAN_ACTIVITY = {"free": 0.7, "pro": 1.0, "team": 0.8, "enterprise": 0.45}


def hourly_profile(utc_offset: int) -> tuple[float, ...]:
    """Activity per UTC hour for users living at ``utc_offset``."""
    return tuple(_LOCAL_HOURLY[(hour + utc_offset) % 24] for hour in range(24))


@dataclass
class Workspace:
    workspace_id: str
    number: int
    currency: str
    signup_ms: int
    first_plan: str
    # Piecewise-constant member count: members(t) = counts[i] for times[i] <= t < times[i+1].
    member_times: list[int] = field(default_factory=list)
    member_counts: list[int] = field(default_factory=list)

    def members_at(self, t_ms: int) -> int:
        i = bisect.bisect_right(self.member_times, t_ms) - 1
        return self.member_counts[i] if i >= 0 else 0


@dataclass
class User:
    user_id: str
    workspace: Workspace
    seat: int  # the k of "the workspace's k-th user"
    created_ms: int
    activity: float
    utc_offset: int
    never_consented: bool
    granted_ms: int | None = None
    revoked_ms: int | None = None

    def works_at(self, t_ms: int) -> bool:
        return t_ms >= self.created_ms and self.workspace.members_at(t_ms) > self.seat


@dataclass
class Population:
    workspaces: list[Workspace]
    users: list[User]
    billing_events: list[tuple[int, dict[str, Any]]]  # (occurred ms, contract doc), time-ordered
    history_start: date


def _member_timeline(events: list[tuple[int, dict[str, Any]]]) -> tuple[list[int], list[int]]:
    """Members over time: the seats of the main (first-started, still active) subscription, else the add-on's."""
    active: dict[str, int] = {}
    times, counts = [], []
    for t_ms, doc in events:
        if doc["event_type"] == "subscription.cancelled":
            active.pop(doc["subscription_id"], None)
        else:
            active[doc["subscription_id"]] = doc["seats"]
        members = next(iter(active.values()), 0)  # dicts keep insertion order: oldest active first
        times.append(t_ms)
        counts.append(members)
    return times, counts


def _signup_times(config: SimulationConfig, history_start_ms: int, start_ms: int, end_ms: int) -> list[int]:
    """Sign-up instants: ``workspaces`` before the start (growing), then a Poisson trickle in the window."""
    rng = stream(config.seed, "signups")
    span = start_ms - history_start_ms
    before = sorted(history_start_ms + int(span * rng.random() ** 0.75) for _ in range(config.workspaces))
    before[0] = history_start_ms + rng.randint(1, 5 * clock.MS_PER_DAY)  # the billing system's first customer
    before.sort()
    per_day = config.workspaces / (span / clock.MS_PER_DAY) * 1.2
    during, t_ms = [], start_ms
    while True:
        t_ms += int(rng.expovariate(per_day) * clock.MS_PER_DAY)
        if t_ms >= end_ms:
            break
        during.append(t_ms)
    return before + during


def build_population(config: SimulationConfig, fx: dict[str, Decimal]) -> Population:
    start_ms = clock.day_start_ms(config.start)
    end_ms = clock.day_start_ms(config.end) + clock.MS_PER_DAY
    history_start = clock.add_months(config.start, -config.billing_history_months)
    history_start_ms = clock.day_start_ms(history_start)

    workspaces: list[Workspace] = []
    users: list[User] = []
    all_events: list[tuple[int, dict[str, Any]]] = []
    for number, signup_ms in enumerate(_signup_times(config, history_start_ms, start_ms, end_ms), start=1):
        workspace_id = f"ws_{number:04d}"
        rng = stream(config.seed, "workspace", number)
        account = billing.WorkspaceBilling(rng, workspace_id, billing.draw_currency(rng), fx)
        account.sign_up(signup_ms)
        account.live_until(signup_ms, end_ms)
        workspace = Workspace(workspace_id, number, account.currency, signup_ms, account.first_plan)
        workspace.member_times, workspace.member_counts = _member_timeline(account.events)
        workspaces.append(workspace)
        all_events.extend(account.events)
        users.extend(u for u in _users_of(config, workspace, rng) if u.created_ms < end_ms)
    all_events.sort(key=lambda item: item[0])
    _draw_consent(config, users, end_ms)
    return Population(workspaces, users, all_events, history_start)


def _users_of(config: SimulationConfig, workspace: Workspace, rng: Any) -> list[User]:
    """One user per seat ever held, created when the workspace first had that many seats."""
    users, created = [], 0
    offset = _REGION_BY_CURRENCY[workspace.currency]
    for t_ms, members in zip(workspace.member_times, workspace.member_counts, strict=True):
        while created < members:
            user_number = workspace.number * 4096 + created
            users.append(
                User(
                    user_id=f"usr_{scramble32(user_number):08x}",
                    workspace=workspace,
                    seat=created,
                    created_ms=t_ms + (rng.randint(0, 3 * clock.MS_PER_DAY) if created else 0),
                    activity=rng.lognormvariate(0.0, 1.1) * _PLAN_ACTIVITY[workspace.first_plan],
                    utc_offset=offset + rng.choice((-1, 0, 0, 0, 1)),
                    never_consented=rng.random() < config.never_consented_share,
                )
            )
            created += 1
    return users


def _draw_consent(config: SimulationConfig, users: list[User], end_ms: int) -> None:
    rng = stream(config.seed, "consent")
    for user in users:
        if not user.never_consented:
            # Granted in the sign-up flow, minutes after creation (and within the simulated window).
            user.granted_ms = min(user.created_ms + rng.randint(5_000, 600_000), end_ms - 1)
    for day in config.day_dates:
        day_ms = clock.day_start_ms(day)
        for user in users:
            if user.granted_ms is None or user.revoked_ms is not None or user.created_ms >= day_ms + clock.MS_PER_DAY:
                continue
            if rng.random() < config.consent_revoke_rate:
                earliest = max(day_ms, user.granted_ms + 60_000)
                if earliest < day_ms + clock.MS_PER_DAY:
                    user.revoked_ms = rng.randint(earliest, day_ms + clock.MS_PER_DAY - 1)
