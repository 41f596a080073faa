"""The data-access layer: a new snapshot is a new cache key; filters mean what the sidebar says."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from dashboards import data, ui
from pipelines.serving.snapshot import build_snapshot
from tests.business.pipeline import BusinessHome

pytestmark = pytest.mark.xdist_group("business")


def test_a_new_snapshot_changes_the_cache_key(business_home: BusinessHome, tmp_path: Path, monkeypatch) -> None:
    target = tmp_path / "marts.duckdb"
    monkeypatch.setenv(data.SNAPSHOT_ENV, str(target))
    assert data.snapshot_version() is None
    build_snapshot(business_home.paths.warehouse, target, tmp_path / "tmp")
    first = data.snapshot_version()
    build_snapshot(business_home.paths.warehouse, target, tmp_path / "tmp")
    second = data.snapshot_version()
    assert first is not None and second is not None and first != second
    assert hash(first) != hash(second)


def test_empty_filters_mean_everything(business_home: BusinessHome, monkeypatch) -> None:
    monkeypatch.setenv(data.SNAPSHOT_ENV, str(business_home.paths.serving_db))
    version = data.snapshot_version()
    first, last = data.date_bounds(version)
    everything = data.spend_totals(version, data.Filters(first, last)).iloc[0]
    plans = tuple(data.plan_options(version)["plan"])
    models = tuple(data.model_options(version)["request_model"])
    all_listed = data.spend_totals(version, data.Filters(first, last, plans, models)).iloc[0]
    nothing_then = data.spend_totals(version, data.Filters(date(2000, 1, 1), date(2000, 1, 2))).iloc[0]
    assert everything["generations"] == all_listed["generations"] > 0
    assert everything["spend_usd"] == pytest.approx(all_listed["spend_usd"])
    assert nothing_then["generations"] == 0


@pytest.mark.parametrize(("value", "shown"), [
    (642_546.0, "$642.5k"), (1_250_000.0, "$1.25M"), (312.4, "$312"), (29.8, "$29.80"), (0.02981, "$0.0298"),
    (-3.09, "-$3.09"), (0.0, "$0"), (None, "–"), (float("nan"), "–"),
])
def test_money_is_shown_the_way_a_person_reads_it(value: float | None, shown: str) -> None:
    assert ui.usd(value) == shown


def test_the_waterfall_ends_where_the_bridge_closes() -> None:
    import pandas as pd

    row = pd.Series({"opening_mrr_usd": 100.0, "new_mrr_usd": 20.0, "expansion_mrr_usd": 5.0,
                     "reactivation_mrr_usd": 0.0, "contraction_mrr_usd": 3.0, "churn_mrr_usd": 10.0,
                     "closing_mrr_usd": 112.0})
    steps = ui.waterfall_frame(row)
    assert list(steps["step"]) == ["Opening", "New", "Expansion", "Reactivation", "Contraction", "Churn", "Closing"]
    assert steps.iloc[-2]["end_usd"] == pytest.approx(112.0) == steps.iloc[-1]["end_usd"]
    assert steps.loc[steps["step"] == "Reactivation", "label"].item() == ""  # no label on an empty step
