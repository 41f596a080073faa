"""The dbt unit tests (hand-made rows, every signal and the awkward cases) pass.

They live in YAML beside the models (dbt/models/**/_*.yml, `unit_tests:`) and need the upstream
relations to exist to learn their column types, so they run in the full rebuild of a simulated
warehouse (the shuffled home's), where every relation already exists.
"""

from __future__ import annotations

import json

import pytest

from tests.signals.conftest import ShuffledHome

EXPECTED = {
    "dedup_keeps_the_first_arrival", "dedup_against_days_already_loaded",
    "attribution_response_id_then_session_turn_then_reasons", "attribution_late_action_in_the_next_days_file",
    "signals_from_attributed_actions", "score_and_label_from_signals", "quality_rates_and_wilson_intervals",
    "consent_is_the_latest_event", "sessions_build_publish_abandon",
}


@pytest.mark.xdist_group("signals_order")
def test_signal_unit_tests_pass(shuffled_home: ShuffledHome) -> None:
    results = json.loads(shuffled_home.full_build_results.read_text())
    statuses = {r["unique_id"].split(".")[-1]: r["status"]
                for r in results["results"] if r["unique_id"].startswith("unit_test.")}
    assert set(statuses) >= EXPECTED, f"missing unit tests: {EXPECTED - set(statuses)}"
    assert all(status == "pass" for status in statuses.values()), statuses
