"""How users react to a generation: the outcome classes and their TRUE probabilities.

Each generation draws one class from a distribution that depends only on (model, intent):

- ``unknown`` (probability ``p_unknown``): no action at all, the user walked away;
- otherwise ``success`` with probability ``p_success`` (= P(success | not unknown)): accepted,
  perhaps edited a little, built successfully if a build happens, perhaps previewed, published,
  thumbs up or rated 4-5; never reverted;
- otherwise exactly one failure path: ``rejected``; ``regenerate`` (another generation of the
  same turn follows and draws its own class); ``reverted`` (accepted, then undone);
  ``build_failed`` (accepted, then a failed build and no successful build after it in the turn);
  ``thumbs_down`` (a thumbs down or a 1-2 rating, nothing else).

Because nothing else influences the draw, the rates written to ``truth.json`` are exact, and
the pipeline's measured rates must converge to them.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from itertools import accumulate

from pipelines.simulator.catalog import CLAUDE, GEMINI, GPT5, IN_HOUSE, MODELS, UNPRICED

INTENTS = ("new_app", "add_feature", "fix_bug", "change_style", "follow_up", "other")
SUCCESS = "success"
UNKNOWN = "unknown"
FAILURE_PATHS = ("rejected", "regenerate", "reverted", "build_failed", "thumbs_down")
# Failure paths that start with a generation.accepted event.
ACCEPTING_FAILURES = ("reverted", "build_failed")
OUTCOMES = (SUCCESS, *FAILURE_PATHS, UNKNOWN)

# P(success | the user reacted), per model and intent (order of INTENTS). The in-house model
# is clearly worse at whole new apps but close to the frontier on fixes and restyles.
_QUALITY = {
    CLAUDE.name: (0.72, 0.70, 0.66, 0.78, 0.70, 0.62),
    GPT5.name: (0.70, 0.69, 0.67, 0.76, 0.69, 0.60),
    GEMINI.name: (0.66, 0.65, 0.62, 0.74, 0.66, 0.58),
    IN_HOUSE.name: (0.50, 0.60, 0.64, 0.75, 0.62, 0.55),
    UNPRICED.name: (0.68, 0.67, 0.64, 0.75, 0.67, 0.59),
}
# P(no reaction): follow-ups and chit-chat are often left unanswered.
_UNKNOWN_BY_INTENT = (0.10, 0.12, 0.09, 0.14, 0.20, 0.25)
# Slow answers lose a few more users before they look at the result.
_UNKNOWN_MODEL_OFFSET = {CLAUDE.name: 0.0, GPT5.name: 0.02, GEMINI.name: 0.01, IN_HOUSE.name: 0.01,
                         UNPRICED.name: 0.02}
# Relative weights of the failure paths per intent (order of FAILURE_PATHS).
_FAILURE_WEIGHTS = {
    "new_app": (0.30, 0.25, 0.10, 0.25, 0.10),
    "add_feature": (0.30, 0.20, 0.15, 0.25, 0.10),
    "fix_bug": (0.25, 0.20, 0.10, 0.35, 0.10),
    "change_style": (0.35, 0.25, 0.20, 0.05, 0.15),
    "follow_up": (0.35, 0.20, 0.15, 0.15, 0.15),
    "other": (0.40, 0.20, 0.10, 0.10, 0.20),
}


@dataclass(frozen=True)
class OutcomeDistribution:
    """The outcome probabilities of one (model, intent)."""

    model: str
    intent: str
    p_unknown: float
    p_success: float  # given not unknown
    failure_shares: tuple[float, ...]  # given failure, order of FAILURE_PATHS, sums to 1

    @property
    def class_probabilities(self) -> dict[str, float]:
        known = 1.0 - self.p_unknown
        probabilities = {SUCCESS: known * self.p_success}
        for path, share in zip(FAILURE_PATHS, self.failure_shares, strict=True):
            probabilities[path] = known * (1.0 - self.p_success) * share
        probabilities[UNKNOWN] = self.p_unknown
        return probabilities

    @property
    def p_accept(self) -> float:
        """P(the generation gets a generation.accepted): success plus the failures that accept first."""
        probabilities = self.class_probabilities
        return probabilities[SUCCESS] + sum(probabilities[p] for p in ACCEPTING_FAILURES)


def distribution(model: str, intent: str) -> OutcomeDistribution:
    weights = _FAILURE_WEIGHTS[intent]
    total = sum(weights)
    index = INTENTS.index(intent)
    return OutcomeDistribution(
        model=model,
        intent=intent,
        p_unknown=_UNKNOWN_BY_INTENT[index] + _UNKNOWN_MODEL_OFFSET[model],
        p_success=_QUALITY[model][index],
        failure_shares=tuple(w / total for w in weights),
    )


@functools.cache
def sampling_table() -> dict[tuple[str, str], tuple[float, ...]]:
    """Cumulative class probabilities per (model, intent), in OUTCOMES order, for bisect sampling."""
    table = {}
    for model in MODELS:
        for intent in INTENTS:
            probabilities = distribution(model.name, intent).class_probabilities
            cumulative = list(accumulate(probabilities[c] for c in OUTCOMES))
            cumulative[-1] = 1.0  # guard against float drift at the top end
            table[(model.name, intent)] = tuple(cumulative)
    return table


def true_rates() -> list[dict[str, object]]:
    """The ``outcome_rates`` of truth.json: one row per (model, intent)."""
    rows: list[dict[str, object]] = []
    for model in MODELS:
        for intent in INTENTS:
            d = distribution(model.name, intent)
            rows.append(
                {
                    "model": model.name,
                    "provider": model.provider,
                    "intent": intent,
                    # Rounded to 12 places only to drop float noise (0.7362000000000001).
                    "p_accept": round(d.p_accept, 12),
                    "p_success": round(d.p_success, 12),
                    "p_unknown": round(d.p_unknown, 12),
                    "class_probabilities": {k: round(v, 12) for k, v in d.class_probabilities.items()},
                }
            )
    return rows
