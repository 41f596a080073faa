"""Flywheel's dashboards: one Streamlit app, one page per question, over the read-only serving snapshot.

Run it with ``flywheel dashboards`` (or ``make dashboards``). It binds to 127.0.0.1; set
``FLYWHEEL_DASHBOARD_PASSWORD`` (or ``dashboard_password`` in Streamlit secrets) to ask for a
password. See dashboards/README.md.
"""

from __future__ import annotations

import hmac
import os
import sys
from datetime import date
from pathlib import Path

import streamlit as st

# `streamlit run dashboards/app.py` puts dashboards/ on sys.path, not the project root.
PROJECT_ROOT = Path(__file__).resolve().parent.parent
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

from dashboards import data  # noqa: E402

PASSWORD_ENV = "FLYWHEEL_DASHBOARD_PASSWORD"
# Not "pages/": next to the entry script Streamlit would also run those files in its v1 multipage
# mode, reachable by URL without app.py (no filters, no password gate).
VIEWS_DIR = Path(__file__).resolve().parent / "views"


def configured_password() -> str | None:
    """The password to ask for: the environment variable, else Streamlit secrets, else none."""
    from_env = os.environ.get(PASSWORD_ENV)
    if from_env:
        return from_env
    try:
        secret = st.secrets.get("dashboard_password")
    except Exception:  # no secrets.toml at all: Streamlit raises rather than returning None
        return None
    return str(secret) if secret else None


def is_authenticated() -> bool:
    """No password configured, or the right one was entered in this session."""
    return not configured_password() or bool(st.session_state.get("authenticated"))


def login_form() -> None:
    """Ask for the password (constant-time compare); a right one reruns the page it was asked on."""
    st.title("Flywheel")
    with st.form("login"):
        attempt = st.text_input("Password", type="password")
        submitted = st.form_submit_button("Open the dashboards")
    if submitted and hmac.compare_digest(attempt.encode(), (configured_password() or "").encode()):
        st.session_state["authenticated"] = True
        st.rerun()
    if submitted:
        st.error("Wrong password.")


def sidebar_filters(version: data.SnapshotVersion | None) -> None:
    """Date range, plan and model filters, shared by every page through session state."""
    bounds = data.date_bounds(version) if version else None
    if bounds is None:
        st.session_state["filters"] = None
        return
    first, last = bounds
    plans = data.plan_options(version)
    plan_names = dict(zip(plans["plan"], plans["display_name"], strict=True)) if not plans.empty else {}
    models = data.model_options(version)
    model_names = dict(zip(models["request_model"], models["model_name"], strict=True)) if not models.empty else {}
    _drop_stale_choices(bounds, plan_names, model_names)
    with st.sidebar:
        st.subheader("Filters")
        chosen = st.date_input(
            "Date range", value=bounds, min_value=first, max_value=last, key="filter_dates",
            help="Daily pages use the days; monthly pages (revenue, margin) use the months they touch.",
        )
        chosen_plans = st.multiselect(
            "Plan", list(plan_names), format_func=lambda p: plan_names.get(p, p), key="filter_plans",
            placeholder="All plans",
        )
        chosen_models = st.multiselect(
            "Model", list(model_names), format_func=lambda m: model_names.get(m, m), key="filter_models",
            placeholder="All models",
        )
    start, end = _range(chosen, bounds)
    st.session_state["filters"] = data.Filters(start, end, tuple(chosen_plans), tuple(chosen_models))


def _drop_stale_choices(bounds: tuple[date, date], plans: dict, models: dict) -> None:
    """A new snapshot may not have the dates, plans or models chosen before: Streamlit refuses a
    widget value outside its options, so forget such a choice instead of failing the page."""
    dates = st.session_state.get("filter_dates")
    if dates and any(not bounds[0] <= day <= bounds[1] for day in dates):
        del st.session_state["filter_dates"]
    for key, options in (("filter_plans", plans), ("filter_models", models)):
        chosen = st.session_state.get(key)
        if chosen and any(value not in options for value in chosen):
            st.session_state[key] = [value for value in chosen if value in options]


def _range(chosen: object, default: tuple[date, date]) -> tuple[date, date]:
    """A date_input range mid-selection holds one day: use it as both ends until the second click."""
    if isinstance(chosen, tuple | list):
        if len(chosen) == 2:
            return chosen[0], chosen[1]
        if len(chosen) == 1:
            return chosen[0], chosen[0]
    return default


def snapshot_footer(version: data.SnapshotVersion | None) -> None:
    with st.sidebar:
        st.divider()
        if version is None:
            st.caption("No snapshot yet.")
            return
        info = data.snapshot_info(version)
        built = info.iloc[0]["built_at"] if not info.empty else None
        st.caption(f"Snapshot built {built:%Y-%m-%d %H:%M} UTC" if built is not None else "Snapshot")


def _page(file: str, title: str, icon: str, default: bool = False) -> st.Page:
    return st.Page(VIEWS_DIR / file, title=title, icon=icon, default=default)


SECTIONS = {
    "Business": [
        _page("overview.py", "Overview", ":material/monitoring:", default=True),
        _page("spend.py", "Inference spend", ":material/payments:"),
        _page("margin.py", "Margin", ":material/account_balance:"),
        _page("routing.py", "Routing what-if", ":material/alt_route:"),
    ],
    "Models and data": [
        _page("quality.py", "Model quality", ":material/verified:"),
        _page("health.py", "Flywheel health", ":material/health_and_safety:"),
    ],
}


def main() -> None:
    st.set_page_config(page_title="Flywheel", page_icon=":material/cyclone:", layout="wide")
    authenticated = is_authenticated()
    # navigation first, even when locked: it keeps the URL's page for after the login, and every
    # URL goes through this script (no page can be opened around the password)
    navigation = st.navigation(SECTIONS, position="sidebar" if authenticated else "hidden")
    if not authenticated:
        login_form()
        st.stop()
    version = data.snapshot_version()
    sidebar_filters(version)
    snapshot_footer(version)
    navigation.run()


main()
