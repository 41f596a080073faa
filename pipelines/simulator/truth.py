"""The ground truth kept beside the data: what really happened, for tests and the privacy check.

The pipeline never reads these files. ``truth.json`` holds the config, the TRUE outcome
probabilities per (model, intent), the model list and counts; ``consent.csv`` each user's consent;
``mrr.csv`` each workspace's end-of-month MRR; ``injected.jsonl.gz`` every planted personal value
or secret; ``faults.json`` every fault planted in the landing zone.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from pipelines.contract import CONTRACT_VERSION, OTEL_GENAI_SEMCONV_VERSION
from pipelines.simulator import billing, clock, outcomes
from pipelines.simulator.catalog import MODELS
from pipelines.simulator.config import SimulationConfig
from pipelines.simulator.population import Population
from pipelines.simulator.sessions import Event

TRUTH_JSON = "truth.json"
CONSENT_CSV = "consent.csv"
MRR_CSV = "mrr.csv"
INJECTED = "injected.jsonl.gz"
FAULTS_JSON = "faults.json"

DEFINITIONS = {
    "outcome_classes": (
        "Each generation draws one class from a distribution that depends only on (model, intent). "
        "success: generation.accepted, maybe generation.edited, build.completed succeeded if a build happens, "
        "maybe app.previewed/app.published, maybe thumbs_up or a 4-5 rating; never reverted. "
        "failure, exactly one path: generation.rejected; generation.regenerate_requested (another generation "
        "of the same turn follows and draws its own class); generation.accepted then generation.reverted; "
        "generation.accepted then build.completed failed (no successful build after it in the turn); "
        "thumbs_down or a 1-2 rating alone. unknown: no action at all."
    ),
    "p_accept": "P(a generation gets a generation.accepted) = P(success) + P(reverted) + P(build_failed)",
    "p_success": "P(success | not unknown)",
    "p_unknown": "P(no action on the generation)",
    "actions": (
        "Every action carries the session, app and turn of its generation and happens after it; "
        "gen_ai.response.id is present on actions of ~60% of sessions (old clients omit it). When it is "
        "absent, the action refers to the latest generation of its turn that precedes it."
    ),
    "late": (
        "An event that occurred on day D lands in the files of day D+1 or D+2 (never past the last day). "
        "Day 0 also re-sends every consent grant made before the window (kind consent_backfill)."
    ),
    "mrr": billing.mrr_by_month.__doc__ or "",
    "mrr_per_subscription": billing.subscription_mrr.__doc__ or "",
    "injected": (
        "One row per planted value: {event_id, user_id, field, entity_type, value}; the value appears "
        "verbatim in that event's field. Copies of text (a pasted build error, a re-sent prompt) are "
        "recorded for the event they were copied into as well."
    ),
    "feedback": "gen_ai.evaluation.result events land only in each day's feedback-export.parquet.",
}


@dataclass
class TruthCounts:
    """Running counts over the real events; small, whatever the number of days."""

    events_by_type: Counter[str] = field(default_factory=Counter)
    events_by_day: Counter[str] = field(default_factory=Counter)
    outcomes: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    injected_by_entity: Counter[str] = field(default_factory=Counter)
    injected_by_field: Counter[str] = field(default_factory=Counter)
    sessions: int = 0
    _day_cache: dict[int, str] = field(default_factory=dict)

    def observe(self, batch: list[Event]) -> None:
        for t_ms, doc in batch:
            self.events_by_type[doc["event_type"]] += 1
            day_number = t_ms // clock.MS_PER_DAY
            label = self._day_cache.get(day_number)
            if label is None:
                label = self._day_cache[day_number] = clock.ms_to_date(t_ms).isoformat()
            self.events_by_day[label] += 1

    def merge(self, other: TruthCounts) -> None:
        self.events_by_type.update(other.events_by_type)
        self.events_by_day.update(other.events_by_day)
        self.outcomes.update(other.outcomes)
        self.injected_by_entity.update(other.injected_by_entity)
        self.injected_by_field.update(other.injected_by_field)
        self.sessions += other.sessions

    def drop_cache(self) -> None:
        self._day_cache.clear()

    def injected(self, field_name: str, entity: str) -> None:
        self.injected_by_entity[entity] += 1
        self.injected_by_field[field_name] += 1

    @property
    def interaction_events(self) -> int:
        return sum(self.events_by_type.values())


def _sorted(counter: Counter[str]) -> dict[str, int]:
    return {k: counter[k] for k in sorted(counter)}


def _window_days(by_day: Counter[str], config: SimulationConfig) -> dict[str, int]:
    """Events per occurred day in the window; the consent backfill's older days summed in one entry."""
    first = config.start.isoformat()
    counts = {"before_window": sum(n for day, n in by_day.items() if day < first)}
    counts.update({day.isoformat(): by_day[day.isoformat()] for day in config.day_dates})
    return counts


def write_truth_json(path: Path, config: SimulationConfig, population: Population, counts: TruthCounts,
                     fault_counts: dict[str, int], billing_counts: dict[str, int]) -> None:
    start_ms = clock.day_start_ms(config.start)
    users = population.users
    truth: dict[str, Any] = {
        "generator": {"module": "pipelines.simulator", "contract_version": CONTRACT_VERSION,
                      "otel_genai_semconv": OTEL_GENAI_SEMCONV_VERSION},
        "config": config.to_json(),
        "window": {"first_day": config.start.isoformat(), "last_day": config.end.isoformat(),
                   "billing_history_start": population.history_start.isoformat(),
                   "first_billing_month": clock.month_label(population.history_start),
                   "last_billing_month": clock.month_label(config.end)},
        "models": [{"provider": m.provider, "model": m.name, "response_model": m.response_name,
                    "in_house": m.in_house, "priced": m.priced} for m in MODELS],
        "outcome_rates": outcomes.true_rates(),
        "definitions": DEFINITIONS,
        "counts": {
            "interaction_events": counts.interaction_events,
            "events_by_type": _sorted(counts.events_by_type),
            "events_by_occurred_day": _window_days(counts.events_by_day, config),
            "sessions": counts.sessions,
            "turns": counts.events_by_type["prompt.submitted"],
            "generations": counts.events_by_type["generation.completed"],
            "outcomes": [{"model": m, "intent": i, "outcome": o, "count": counts.outcomes[(m, i, o)]}
                         for m, i, o in sorted(counts.outcomes)],
            "billing_events": billing_counts,
            "workspaces": {
                "total": len(population.workspaces),
                "signed_up_before_start": sum(w.signup_ms < start_ms for w in population.workspaces),
                "signed_up_in_window": sum(w.signup_ms >= start_ms for w in population.workspaces),
            },
            "users": len(users),
            "consent": {
                "never_consented": sum(u.never_consented for u in users),
                "granted": sum(u.granted_ms is not None for u in users),
                "revoked_in_window": sum(u.revoked_ms is not None for u in users),
            },
            "injected_by_entity": _sorted(counts.injected_by_entity),
            "injected_by_field": _sorted(counts.injected_by_field),
            "faults": fault_counts,
        },
        "files": {
            "interaction_events": "landing/events/date=YYYY-MM-DD/part-NN.jsonl.gz",
            "feedback_events": "landing/events/date=YYYY-MM-DD/feedback-export.parquet",
            "billing_events": "landing/billing/date=YYYY-MM-DD/billing.jsonl",
            "billing_history": f"landing/billing/date={config.start.isoformat()}/history.jsonl",
            "injected": INJECTED, "consent": CONSENT_CSV, "mrr": MRR_CSV, "faults": FAULTS_JSON,
        },
    }
    path.write_text(json.dumps(truth, indent=2, sort_keys=False, ensure_ascii=False) + "\n")


def write_consent_csv(path: Path, population: Population) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["user_id", "workspace_id", "granted_at", "revoked_at", "never_consented"])
        for user in sorted(population.users, key=lambda u: u.user_id):
            writer.writerow([
                user.user_id, user.workspace.workspace_id,
                clock.format_ms(user.granted_ms) if user.granted_ms is not None else "",
                clock.format_ms(user.revoked_ms) if user.revoked_ms is not None else "",
                "true" if user.never_consented else "false",
            ])


def write_mrr_csv(path: Path, rows: list[tuple[str, str, Decimal]]) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["workspace_id", "month", "mrr_usd"])
        for workspace_id, month, mrr in rows:
            writer.writerow([workspace_id, month, f"{mrr:.2f}"])


def mrr_rows(population: Population, last_day: date, fx: dict[str, Decimal]) -> list[tuple[str, str, Decimal]]:
    return billing.mrr_by_month((doc for _, doc in population.billing_events), population.history_start,
                                last_day, fx)
