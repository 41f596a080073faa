"""Helpers to drive the Streamlit app in tests: AppTest for one page, and what a page shows."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from pipelines import settings

APP = settings.DASHBOARDS_DIR / "app.py"
PAGES = ("overview", "spend", "margin", "quality", "health", "routing")
# The first run imports pandas, Altair and DuckDB: generous, so a slow CI machine does not flake.
RUN_TIMEOUT_S = 60


def open_page(page: str, snapshot: Path | str, monkeypatch, state: dict | None = None) -> AppTest:
    """The app on ``page``, reading ``snapshot``, with widget ``state`` by key; run and ready to inspect.

    Widget state is set before the page's run: AppTest does not list sidebar widgets after a
    page switch, so the sidebar filters are set through their keys.
    """
    monkeypatch.setenv("FLYWHEEL_SERVING_DB", str(snapshot))
    at = AppTest.from_file(str(APP), default_timeout=RUN_TIMEOUT_S)
    _set_state(at, state)
    if page != "overview":
        at.run()
        at.switch_page(f"views/{page}.py")
        _set_state(at, state)
    return at.run()


def _set_state(at: AppTest, state: dict | None) -> None:
    for key, value in (state or {}).items():
        at.session_state[key] = value


def metrics(at: AppTest) -> dict[str, tuple[str, str]]:
    """Label -> (value, delta) of every st.metric on the page."""
    return {m.label: (m.value, m.delta) for m in at.metric}


def element_count(at: AppTest, kind: str) -> int:
    return len(at.get(kind))
