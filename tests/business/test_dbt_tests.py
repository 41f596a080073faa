"""The business marts' dbt tests on simulated data: unit tests (hand-made histories) and data tests."""

from __future__ import annotations

import pytest

from tests.business.pipeline import BusinessHome, shared_dbt_test_results

pytestmark = pytest.mark.xdist_group("business")
# Warn-level tests that report a property of the data rather than a bug (the simulator plants an
# unpriced model on purpose).
EXPECTED_WARNINGS = {"fct_generation_costs_every_generation_is_priced"}


@pytest.fixture(scope="module")
def business_test_results(business_home: BusinessHome) -> dict[str, str]:
    """Every dbt test of the business marts and seeds (unit and data tests), run once."""
    return shared_dbt_test_results(business_home)


def _failed(results: dict[str, str], prefix: str) -> dict[str, str]:
    return {k: v for k, v in results.items() if k.startswith(prefix) and v not in ("pass", "success")}


def test_unit_tests_with_hand_made_histories_pass(business_test_results: dict[str, str]) -> None:
    unit = {k for k in business_test_results if k.startswith("unit_test.")}
    names = {k.rsplit(".", 1)[-1] for k in unit}
    assert {
        "mrr_movements_from_subscription_histories",
        "subscription_periods_price_terms_exactly",
        "workspace_plan_is_the_highest_mrr_subscription",
        "retention_nets_each_customer_over_its_window",
        "generation_cost_at_the_price_in_force",
        "model_economics_ratios",
    } <= names
    assert not _failed(business_test_results, "unit_test.")


def test_data_tests_pass_on_simulated_data(business_test_results: dict[str, str]) -> None:
    data_tests = {k: v for k, v in business_test_results.items() if k.startswith("test.")}
    assert any("fct_mrr_bridge_balances" in k for k in data_tests)
    failed = {k: v for k, v in data_tests.items() if v not in ("pass", "success")
              and not (v == "warn" and any(name in k for name in EXPECTED_WARNINGS))}
    assert not failed
