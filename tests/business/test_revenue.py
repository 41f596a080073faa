"""Revenue marts on simulated data: MRR equals the simulator's truth to the cent, the bridge closes."""

from __future__ import annotations

import csv
from decimal import Decimal

import pytest

from tests.business.pipeline import BusinessHome

pytestmark = pytest.mark.xdist_group("business")


def _truth(home: BusinessHome) -> dict[tuple[str, str], Decimal]:
    with (home.paths.ground_truth / "mrr.csv").open(newline="") as handle:
        return {(row["workspace_id"], row["month"]): Decimal(row["mrr_usd"]) for row in csv.DictReader(handle)}


def test_mrr_per_workspace_and_month_equals_the_simulator_truth_exactly(business_home: BusinessHome) -> None:
    truth = _truth(business_home)
    with business_home.warehouse() as con:
        ours = {(w, m): v for w, m, v in con.execute("select workspace_id, month, mrr_usd from fct_mrr").fetchall()}
    assert len(truth) > 1000, "the simulation should cover a year of a hundred workspaces"
    assert set(ours) == set(truth), (
        f"workspace-months only in the mart: {sorted(set(ours) - set(truth))[:5]}, "
        f"only in the truth: {sorted(set(truth) - set(ours))[:5]}"
    )
    wrong = {key: (ours[key], truth[key]) for key in truth if ours[key] != truth[key]}
    assert not wrong, f"{len(wrong)} workspace-months differ (ours, truth): {dict(list(wrong.items())[:5])}"
    assert all(isinstance(v, Decimal) for v in ours.values()), "MRR must stay an exact DECIMAL"


def test_the_bridge_closes_every_month_and_chains(business_home: BusinessHome) -> None:
    with business_home.warehouse() as con:
        rows = con.execute(
            """
            select month, opening_mrr_usd, new_mrr_usd, expansion_mrr_usd, reactivation_mrr_usd,
                contraction_mrr_usd, churn_mrr_usd, closing_mrr_usd, arr_usd
            from fct_mrr_bridge order by month
            """
        ).fetchall()
        per_month = dict(con.execute("select month, sum(mrr_usd) from fct_mrr group by month").fetchall())
    previous_closing = Decimal("0")
    for month, opening, new, expansion, reactivation, contraction, churn, closing, arr in rows:
        assert opening == previous_closing, month
        assert opening + new + expansion + reactivation - contraction - churn == closing, month
        assert closing == per_month[month]
        assert arr == 12 * closing
        previous_closing = closing


def test_movements_are_classified_as_chartmogul_defines_them(business_home: BusinessHome) -> None:
    with business_home.warehouse() as con:
        bad = con.execute(
            """
            select workspace_month_id, movement_type, opening_mrr_usd, mrr_usd from fct_mrr
            where (movement_type = 'churn' and not (opening_mrr_usd > 0 and mrr_usd = 0))
               or (movement_type = 'contraction' and not (mrr_usd > 0 and mrr_usd < opening_mrr_usd))
               or (movement_type in ('new', 'reactivation') and not (opening_mrr_usd = 0 and mrr_usd > 0))
               or (movement_type = 'expansion' and not (opening_mrr_usd > 0 and mrr_usd > opening_mrr_usd))
            """
        ).fetchall()
        kinds = {k for (k,) in con.execute("select distinct movement_type from fct_mrr").fetchall()}
    assert not bad
    # a year of a hundred workspaces has every kind of month (reactivation is the rarest)
    assert {"new", "expansion", "contraction", "churn", "unchanged"} <= kinds


def test_retention_cohorts_add_up(business_home: BusinessHome) -> None:
    with business_home.warehouse() as con:
        rows = con.execute(
            """
            select starting_mrr_usd, expansion_mrr_usd, reactivation_mrr_usd, contraction_mrr_usd,
                churn_mrr_usd, ending_mrr_usd, net_revenue_retention, gross_revenue_retention
            from fct_revenue_retention
            """
        ).fetchall()
    assert rows
    for start, expansion, reactivation, contraction, churn, ending, nrr, grr in rows:
        assert start + expansion + reactivation - contraction - churn == ending
        assert nrr == pytest.approx(float(ending) / float(start))
        assert grr == pytest.approx(float(start - contraction - churn) / float(start))
