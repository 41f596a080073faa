"""The runner's own logic: which days a catching-up dbt build covers."""

from __future__ import annotations

import pytest

from pipelines import runner


@pytest.mark.parametrize(
    ("days", "size", "groups"),
    [
        (["2026-11-01", "2026-11-02", "2026-11-03"], 1, [["2026-11-01"], ["2026-11-02"], ["2026-11-03"]]),
        (["2026-11-01", "2026-11-02", "2026-11-03"], 2, [["2026-11-01", "2026-11-02"], ["2026-11-03"]]),
        (["2026-11-03", "2026-11-01", "2026-11-02"], 7, [["2026-11-01", "2026-11-02", "2026-11-03"]]),
        # a gap starts a new range: a range run builds every day between its ends
        (["2026-11-01", "2026-11-02", "2026-11-05", "2026-11-06"], 7,
         [["2026-11-01", "2026-11-02"], ["2026-11-05", "2026-11-06"]]),
        # across a month's end, and a day given twice is built once
        (["2026-10-31", "2026-11-01", "2026-11-01"], 2, [["2026-10-31", "2026-11-01"]]),
        ([], 3, []),
    ],
)
def test_consecutive_groups(days: list[str], size: int, groups: list[list[str]]) -> None:
    assert list(runner.consecutive_groups(days, size)) == groups


def test_the_window_assets_are_the_daily_job_less_ingest_and_scrubbing() -> None:
    from pipelines.definitions import DAILY_JOB, defs

    job = defs.resolve_job_def(DAILY_JOB)
    window = runner.window_asset_keys(job)
    day_by_day = set(runner.DAY_BY_DAY_ASSETS)
    assert day_by_day <= set(job.asset_layer.executable_asset_keys)
    assert set(window) == set(job.asset_layer.executable_asset_keys) - day_by_day
    assert any(k.to_user_string() == "fct_generations" for k in window)


def test_a_catch_up_needs_at_least_one_day_per_build(tmp_path) -> None:
    from pipelines import settings

    with pytest.raises(ValueError, match="at least 1"):
        runner.run_days(settings.paths(tmp_path / "home"), ["2026-11-01"], days_per_dbt_build=0)
