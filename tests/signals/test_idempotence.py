"""A day re-run, or days run in any order, give the same tables row for row."""

from __future__ import annotations

import pytest

from tests.signals import pipeline
from tests.signals.conftest import ShuffledHome, SignalsHome

MARTS = ("fct_generations", "fct_sessions", "fct_model_quality_daily", "fct_model_quality", "dim_users",
         "dim_workspaces", "fct_events_daily", "fct_ingest_daily", "fct_quarantine_daily",
         "fct_pii_findings_daily")


@pytest.mark.xdist_group("signals")
def test_rerunning_a_day_changes_no_row_of_any_table(signals_home: SignalsHome) -> None:
    differences = pipeline.table_differences(signals_home.in_order, signals_home.rerun)
    assert set(MARTS) <= set(differences), f"a mart is missing: {sorted(differences)}"
    changed = {t: d for t, d in differences.items() if d[1] or d[2]}
    assert not changed, f"(rows, only before, only after) per changed table: {changed}"
    assert all(differences[t][0] > 0 for t in ("fct_generations", "fct_sessions", "dim_users"))


@pytest.mark.xdist_group("signals_order")
def test_days_run_out_of_order_equal_one_full_build(shuffled_home: ShuffledHome) -> None:
    # Ingest's own counters depend on the order (it deduplicates against the days before it);
    # every dbt table must not.
    differences = pipeline.table_differences(shuffled_home.shuffled, shuffled_home.full,
                                             exclude=("fct_ingest_daily",))
    changed = {t: d for t, d in differences.items() if d[1] or d[2]}
    assert not changed, f"(rows, only shuffled, only full build) per changed table: {changed}"
    assert differences["fct_generations"][0] > 1000
