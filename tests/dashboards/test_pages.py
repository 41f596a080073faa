"""Every page renders without an exception, and the numbers it shows are the marts' (checked with SQL)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from dashboards import ui
from pipelines.serving import routing
from pipelines.serving.snapshot import build_snapshot
from tests.business.pipeline import BusinessHome
from tests.dashboards.apps import PAGES, element_count, metrics, open_page

pytestmark = pytest.mark.xdist_group("business")


def _one(snapshot: Path, sql: str, params: list | None = None) -> tuple:
    with duckdb.connect(str(snapshot), read_only=True) as con:
        return con.execute(sql, params or []).fetchone()


@pytest.fixture
def snapshot(business_home: BusinessHome) -> Path:
    return business_home.paths.serving_db


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_charts_and_downloads(page: str, snapshot: Path, monkeypatch) -> None:
    at = open_page(page, snapshot, monkeypatch)
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error
    assert element_count(at, "vega_lite_chart") >= 2, "each page shows its data as charts"
    assert element_count(at, "download_button") >= element_count(at, "vega_lite_chart"), "a CSV for every chart"
    assert len(at.metric) == 5 or page == "quality"


def test_overview_shows_the_marts_arr_mrr_customers_and_nrr(snapshot: Path, monkeypatch) -> None:
    arr, mrr, paying = _one(snapshot, "select arr_usd::double, closing_mrr_usd::double, paying_customers "
                                      "from fct_mrr_bridge order by month_start desc limit 1")
    active = _one(snapshot, "select count(distinct workspace_id) from fct_inference_spend_daily")[0]
    window, nrr, grr = _one(snapshot, """
        select window_months, net_revenue_retention, gross_revenue_retention from fct_revenue_retention
        where period_end_month = (select max(period_end_month) from fct_revenue_retention)
        order by cohort_customers >= 20 desc, window_months desc limit 1""")
    shown = metrics(open_page("overview", snapshot, monkeypatch))
    assert shown["ARR"][0] == ui.usd(arr)
    assert shown["MRR"][0] == ui.usd(mrr)
    assert shown["Paying customers"][0] == ui.count(paying)
    assert shown["Active workspaces"][0] == ui.count(active)
    assert shown[f"NRR ({window} mo)"] == (ui.pct(nrr), f"GRR {ui.pct(grr)}")


def test_spend_page_shows_the_marts_totals_and_flags_unpriced_models(snapshot: Path, monkeypatch) -> None:
    spend, generations, per_accepted, unpriced = _one(snapshot, """
        select sum(spend_usd)::double, sum(generations), sum(spend_usd)::double / sum(priced_accepted_generations),
            sum(unpriced_generations)
        from fct_inference_spend_daily""")
    at = open_page("spend", snapshot, monkeypatch)
    shown = metrics(at)
    assert shown["Inference spend"][0] == ui.usd(spend)
    assert shown["Generations"][0] == ui.count(generations)
    assert shown["Cost per accepted generation"][0] == ui.usd(per_accepted)
    assert shown["Unpriced generations"][0] == ui.count(unpriced)
    assert unpriced > 0 and "gpt-5-preview-0925" in at.warning[0].value


def test_the_plan_filter_reaches_the_numbers(snapshot: Path, monkeypatch) -> None:
    team_spend = _one(snapshot, "select sum(spend_usd)::double from fct_inference_spend_daily where plan = 'team'")[0]
    at = open_page("spend", snapshot, monkeypatch, state={"filter_plans": ["team"]})
    assert not at.exception and at.session_state["filters"].plans == ("team",)
    assert metrics(at)["Inference spend"][0] == ui.usd(team_spend)


def test_margin_page_shows_revenue_minus_spend(snapshot: Path, monkeypatch) -> None:
    revenue, spend, margin = _one(snapshot, """
        select sum(revenue_usd)::double, sum(inference_spend_usd)::double, sum(gross_margin_usd)::double
        from fct_gross_margin_by_plan_monthly""")
    shown = metrics(open_page("margin", snapshot, monkeypatch))
    assert shown["Revenue"][0] == ui.usd(revenue)
    assert shown["Inference spend"][0] == ui.usd(spend)
    assert shown["Gross margin"][0] == ui.usd(margin)
    assert shown["Gross margin %"][0] == ui.pct(margin / revenue)


def test_quality_page_shows_each_models_acceptance(snapshot: Path, monkeypatch) -> None:
    with duckdb.connect(str(snapshot), read_only=True) as con:
        expected = con.execute("""
            select coalesce(r.display_name, q.request_model), sum(q.accepted) / sum(q.generations)
            from fct_model_quality as q left join model_roles as r on r.model = q.request_model
            group by all""").fetchall()
    at = open_page("quality", snapshot, monkeypatch)
    shown = metrics(at)
    for model, rate in expected:
        assert shown[model][0] == ui.pct(rate)
    assert element_count(at, "vega_lite_chart") == 3


def test_health_page_shows_the_ingest_reconciliation(snapshot: Path, monkeypatch) -> None:
    lines, quarantined, duplicates = _one(snapshot, "select sum(lines_read), sum(quarantined), sum(duplicates) "
                                                    "from fct_ingest_daily")
    shown = metrics(open_page("health", snapshot, monkeypatch))
    assert shown["Lines read"][0] == ui.count(lines)
    assert shown["Quarantined"][0] == ui.count(quarantined)
    assert shown["Duplicates dropped"][0] == ui.count(duplicates)


def _scenario(snapshot: Path, overrides: dict[str, float] | None = None) -> routing.ScenarioOutcome:
    """The scenario computed outside the app: the routing function over the mart, SQL for revenue."""
    with duckdb.connect(str(snapshot), read_only=True) as con:
        rows = con.execute("select * from fct_routing_baseline").df().to_dict("records")
        revenue = con.execute("select sum(revenue_usd)::double from fct_gross_margin_by_plan_monthly").fetchone()[0]
    baselines = [routing.baseline_from_row(r) for r in rows]
    return routing.simulate_routing(baselines, {**routing.default_shares(baselines), **(overrides or {})}, revenue)


def test_routing_sliders_use_the_routing_implementation(snapshot: Path, monkeypatch) -> None:
    at = open_page("routing", snapshot, monkeypatch)
    expected = _scenario(snapshot)
    shown = metrics(at)
    assert shown["Inference spend"][0] == ui.usd(expected.spend_after_usd)
    assert shown["Expected acceptance"][0] == ui.pct(expected.acceptance_after.value)
    assert shown["Gross margin %"][0] == ui.pct(expected.margin_pct_after, 2)

    at.slider(key="share_new_app").set_value(100).run()
    at.slider(key="share_fix_bug").set_value(0).run()
    moved = _scenario(snapshot, {"new_app": 1.0, "fix_bug": 0.0})
    shown = metrics(at)
    assert moved.spend_after_usd != expected.spend_after_usd
    assert shown["Inference spend"][0] == ui.usd(moved.spend_after_usd)
    assert shown["Acceptance, worst case"][0] == ui.pct(moved.acceptance_after.low)


@pytest.mark.parametrize("page", PAGES)
def test_without_a_snapshot_every_page_says_which_command_fills_it(page: str, tmp_path: Path, monkeypatch) -> None:
    at = open_page(page, tmp_path / "serving" / "marts.duckdb", monkeypatch)
    assert not at.exception
    assert any("make demo" in info.value and "flywheel run" in info.value for info in at.info)


@pytest.mark.parametrize("page", PAGES)
def test_an_empty_snapshot_gives_empty_states_not_errors(page: str, tmp_path: Path, monkeypatch) -> None:
    target = tmp_path / "marts.duckdb"
    build_snapshot(tmp_path / "no-warehouse.duckdb", target, tmp_path / "tmp")
    at = open_page(page, target, monkeypatch)
    assert not at.exception, [e.value for e in at.exception]
    assert at.info, "an empty page explains itself"


def test_a_password_keeps_the_dashboards_closed_until_entered(snapshot: Path, monkeypatch) -> None:
    monkeypatch.setenv("FLYWHEEL_DASHBOARD_PASSWORD", "correct horse")
    at = open_page("overview", snapshot, monkeypatch)
    assert not at.metric and len(at.text_input) == 1
    at.text_input[0].input("wrong")
    at.button[0].click().run()
    assert not at.metric and "Wrong password" in at.error[0].value
    at.text_input[0].input("correct horse")
    at.button[0].click().run()
    assert not at.exception and len(at.metric) == 5
