"""Measured acceptance and success rates match the simulator's ground truth.

The simulator draws each generation's outcome from a known distribution per (model, intent)
(truth.json): p_accept = P(a generation.accepted), p_success = P(success | not unknown). With
about 30 cells and two rates each, about 60 intervals are tested at once, so some 95% intervals
are expected to miss by chance (3 on average). The test therefore asks, honestly for multiple
comparisons: every true rate inside its 99.9% Wilson interval (a miss anywhere has probability
~6% if the pipeline is right), and at least 90% of them inside their 95% interval.
"""

from __future__ import annotations

import csv

import pytest

from tests.signals import pipeline
from tests.signals.conftest import SignalsHome

MIN_GENERATIONS = 30  # cells smaller than this say nothing either way


def measured(home: SignalsHome) -> dict[tuple[str, str], dict]:
    rows = pipeline.query(home.paths, """
        select request_model, prompt_intent, generations, labelled,
            acceptance_rate, acceptance_ci_low, acceptance_ci_high,
            acceptance_999_ci_low, acceptance_999_ci_high,
            success_rate, success_ci_low, success_ci_high, success_999_ci_low, success_999_ci_high
        from fct_model_quality
    """)
    names = ["generations", "labelled", "acceptance_rate", "acceptance_ci_low", "acceptance_ci_high",
             "acceptance_999_ci_low", "acceptance_999_ci_high", "success_rate", "success_ci_low",
             "success_ci_high", "success_999_ci_low", "success_999_ci_high"]
    return {(model, intent): dict(zip(names, rest, strict=True)) for model, intent, *rest in rows}


def comparisons(home: SignalsHome) -> list[tuple[str, float, float, float, float, float, float]]:
    """(cell and rate, truth, estimate, low95, high95, low999, high999) for every testable cell."""
    cells = measured(home)
    out = []
    for truth in home.truth["outcome_rates"]:
        cell = cells.get((truth["model"], truth["intent"]))
        if cell is None or cell["generations"] < MIN_GENERATIONS:
            continue
        name = f"{truth['model']}/{truth['intent']}"
        out.append((f"{name} acceptance", truth["p_accept"], cell["acceptance_rate"], cell["acceptance_ci_low"],
                    cell["acceptance_ci_high"], cell["acceptance_999_ci_low"], cell["acceptance_999_ci_high"]))
        if cell["labelled"] >= MIN_GENERATIONS:
            out.append((f"{name} success", truth["p_success"], cell["success_rate"], cell["success_ci_low"],
                        cell["success_ci_high"], cell["success_999_ci_low"], cell["success_999_ci_high"]))
    return out


@pytest.mark.xdist_group("signals")
def test_every_true_rate_is_inside_its_999_interval_and_90_percent_inside_95(signals_home: SignalsHome) -> None:
    tested = comparisons(signals_home)
    assert len(tested) >= 40, f"too few cells to compare: {len(tested)}"
    outside_999 = [c for c in tested if not c[5] <= c[1] <= c[6]]
    inside_95 = [c for c in tested if c[3] <= c[1] <= c[4]]
    assert not outside_999, f"true rate outside the 99.9% interval: {outside_999}"
    assert len(inside_95) >= 0.9 * len(tested), (
        f"only {len(inside_95)}/{len(tested)} true rates inside their 95% interval: "
        f"{[c for c in tested if c not in inside_95]}"
    )


@pytest.mark.xdist_group("signals")
def test_every_generation_is_measured_once_with_the_simulated_total(signals_home: SignalsHome) -> None:
    simulated = signals_home.truth["counts"]["events_by_type"]["generation.completed"]
    [(generations, labelled)] = pipeline.query(
        signals_home.paths, "select count(*), count(*) filter (where outcome_label <> 'unknown') from fct_generations")
    [(in_quality,)] = pipeline.query(signals_home.paths, "select sum(generations) from fct_model_quality")
    assert generations == simulated == in_quality
    assert labelled > 0.7 * generations


@pytest.mark.xdist_group("signals")
def test_late_files_are_attributed_and_nothing_is_dropped(signals_home: SignalsHome) -> None:
    [(late, total, unattributed)] = pipeline.query(signals_home.paths, """
        select
            count(*) filter (where actions.ingest_date > generations.ingest_date),
            (select count(*) from int_actions_attributed),
            (select count(*) from int_actions_unattributed)
        from int_actions_attributed as actions
        join stg_lake__generations as generations using (generation_id)
    """)
    simulated = sum(n for event_type, n in signals_home.truth["counts"]["events_by_type"].items()
                    if event_type.split(".")[0] in ("generation", "build", "app", "gen_ai")
                    and event_type != "generation.completed")
    assert late > 0, "the simulator delivers some actions in the next day's files"
    assert total == simulated, "every action is in int_actions_attributed, attributed or not"
    assert unattributed <= 0.001 * total, f"{unattributed} of {total} actions unattributed"


@pytest.mark.xdist_group("signals")
def test_failure_paths_match_the_simulated_classes(signals_home: SignalsHome) -> None:
    """The label's failure reasons count what the simulator drew (regenerate, reject, revert exactly)."""
    counts = signals_home.truth["counts"]["events_by_type"]
    found = dict(pipeline.query(
        signals_home.paths, "select failure_reason, count(*) from fct_generations group by failure_reason"))
    assert found["rejected"] == counts["generation.rejected"]
    assert found["reverted"] == counts["generation.reverted"]
    assert found["regenerated"] == counts["generation.regenerate_requested"]


@pytest.mark.xdist_group("signals")
def test_consent_of_every_user_is_the_simulated_one(signals_home: SignalsHome) -> None:
    with (signals_home.paths.ground_truth / "consent.csv").open() as handle:
        truth = {row["user_id"]: row for row in csv.DictReader(handle)}
    users = pipeline.query(signals_home.paths, """
        select user_id, consent_status, strftime(revoked_at, '%Y-%m-%dT%H:%M:%S.%gZ') from dim_users
    """)
    assert len(users) > 100
    for user_id, status, revoked_at in users:
        expected = truth[user_id]
        wanted = "revoked" if expected["revoked_at"] else "granted" if expected["granted_at"] else "never"
        assert (status, revoked_at or "") == (wanted, expected["revoked_at"]), user_id
