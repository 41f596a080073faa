"""The dashboards' only way to data: one cached function per query over the read-only serving snapshot.

Every query opens ``serving/marts.duckdb`` read-only (never the warehouse: the pipeline is its
single writer) and returns a pandas frame with money as floats. Each function takes the
snapshot's ``SnapshotVersion`` (path, inode, mtime, size) as its first argument, so
``st.cache_data`` keys on it: when the pipeline swaps in a new snapshot, every query runs again.
The marts define the metrics; this module only filters and sums their additive columns.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import streamlit as st

from pipelines import settings

# Tests and the benchmark point the app at a snapshot file directly.
SNAPSHOT_ENV = "FLYWHEEL_SERVING_DB"
CACHE_ENTRIES = 64


@dataclass(frozen=True)
class SnapshotVersion:
    """Identifies one snapshot file: a new ``os.replace`` changes the inode and the mtime."""

    path: str
    inode: int
    mtime_ns: int
    size: int


@dataclass(frozen=True)
class Filters:
    """The sidebar's filters; empty ``plans`` or ``models`` means all of them."""

    start: date
    end: date
    plans: tuple[str, ...] = ()
    models: tuple[str, ...] = ()

    @property
    def first_month(self) -> date:
        return self.start.replace(day=1)


def snapshot_path() -> Path:
    override = os.environ.get(SNAPSHOT_ENV)
    return Path(override) if override else settings.paths().serving_db


def snapshot_version() -> SnapshotVersion | None:
    """The current snapshot, or None when the pipeline has not written one yet."""
    path = snapshot_path()
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return SnapshotVersion(str(path), stat.st_ino, stat.st_mtime_ns, stat.st_size)


def _query(version: SnapshotVersion, sql: str, params: list | None = None) -> pd.DataFrame:
    """Run one query on a fresh read-only connection; a table the snapshot lacks reads as empty."""
    with duckdb.connect(version.path, read_only=True) as con:
        try:
            return con.execute(sql, params or []).df()
        except duckdb.CatalogException:
            return pd.DataFrame()


def _in(column: str) -> str:
    """A filter on a list parameter that an empty list turns off (empty means all)."""
    return f"(len(?::varchar[]) = 0 or list_contains(?::varchar[], {column}))"


def _list_params(values: tuple[str, ...]) -> list:
    return [list(values), list(values)]


# ---------------------------------------------------------------------------------------------
# Snapshot and filter options
# ---------------------------------------------------------------------------------------------


@st.cache_data(show_spinner=False, max_entries=CACHE_ENTRIES)
def snapshot_tables(version: SnapshotVersion) -> pd.DataFrame:
    """What the snapshot holds: each table's rows, and the marts the warehouse did not have."""
    return _query(version, "select table_name, rows, status from snapshot_tables order by table_name")


@st.cache_data(show_spinner=False, max_entries=CACHE_ENTRIES)
def snapshot_info(version: SnapshotVersion) -> pd.DataFrame:
    return _query(version, "select built_at, warehouse, dataset_versions from snapshot_info")


@st.cache_data(show_spinner=False, max_entries=CACHE_ENTRIES)
def date_bounds(version: SnapshotVersion) -> tuple[date, date] | None:
    """First and last day with usage, else the reported months; None when there is nothing."""
    frame = _query(
        version,
        """
        select min(d) as first_day, max(d) as last_day from (
            select event_date as d from fct_inference_spend_daily
            union all select month_start from fct_mrr_bridge
            union all select last_day(month_start) from fct_mrr_bridge
        )
        """,
    )
    if frame.empty or pd.isna(frame.iloc[0]["first_day"]):
        return None
    return pd.Timestamp(frame.iloc[0]["first_day"]).date(), pd.Timestamp(frame.iloc[0]["last_day"]).date()


@st.cache_data(show_spinner=False, max_entries=CACHE_ENTRIES)
def plan_options(version: SnapshotVersion) -> pd.DataFrame:
    return _query(version, "select plan, display_name, tier_rank from plans order by tier_rank")


@st.cache_data(show_spinner=False, max_entries=CACHE_ENTRIES)
def model_options(version: SnapshotVersion) -> pd.DataFrame:
    """Every model seen in the spend mart, with its role and display name."""
    return _query(
        version,
        """
        select distinct spend.provider_name, spend.request_model, spend.model_role,
            coalesce(roles.display_name, spend.request_model) as model_name
        from fct_inference_spend_daily as spend
        left join model_roles as roles
            on roles.provider = spend.provider_name and roles.model = spend.request_model
        order by spend.model_role, model_name
        """,
    )


# ---------------------------------------------------------------------------------------------
# Revenue
# ---------------------------------------------------------------------------------------------


@st.cache_data(show_spinner=False, max_entries=CACHE_ENTRIES)
def mrr_bridge(version: SnapshotVersion, first_month: date, last_day: date) -> pd.DataFrame:
    """The MRR bridge, one row per month in the range (all plans: the bridge is company-wide)."""
    return _query(
        version,
        """
        select month_start, month,
            opening_mrr_usd::double as opening_mrr_usd, new_mrr_usd::double as new_mrr_usd,
            expansion_mrr_usd::double as expansion_mrr_usd,
            reactivation_mrr_usd::double as reactivation_mrr_usd,
            contraction_mrr_usd::double as contraction_mrr_usd, churn_mrr_usd::double as churn_mrr_usd,
            closing_mrr_usd::double as closing_mrr_usd, net_new_mrr_usd::double as net_new_mrr_usd,
            arr_usd::double as arr_usd, paying_customers, subscribed_workspaces, new_customers,
            expanded_customers, reactivated_customers, contracted_customers, churned_customers,
            is_current_month
        from fct_mrr_bridge
        where month_start between ? and ?
        order by month_start
        """,
        [first_month, last_day],
    )


@st.cache_data(show_spinner=False, max_entries=CACHE_ENTRIES)
def mrr_by_plan(version: SnapshotVersion, first_month: date, last_day: date, plans: tuple[str, ...]) -> pd.DataFrame:
    """Closing MRR and paying customers per month and plan (the plan at month end)."""
    return _query(
        version,
        f"""
        select month_start, month, plan, sum(mrr_usd)::double as mrr_usd,
            count(*) filter (where is_paying) as paying_customers
        from fct_mrr
        where month_start between ? and ? and {_in('plan')}
        group by month_start, month, plan
        order by month_start, plan
        """,
        [first_month, last_day, *_list_params(plans)],
    )


@st.cache_data(show_spinner=False, max_entries=CACHE_ENTRIES)
def retention(version: SnapshotVersion, first_month: date, last_day: date) -> pd.DataFrame:
    return _query(
        version,
        """
        select period_end_month, month, window_months, cohort_month, cohort_customers,
            retained_customers, starting_mrr_usd::double as starting_mrr_usd,
            ending_mrr_usd::double as ending_mrr_usd, net_revenue_retention, gross_revenue_retention
        from fct_revenue_retention
        where period_end_month between ? and ?
        order by period_end_month, window_months
        """,
        [first_month, last_day],
    )


# ---------------------------------------------------------------------------------------------
# Inference spend and model economics
# ---------------------------------------------------------------------------------------------

_SPEND_FILTER = f"event_date between ? and ? and {_in('plan')} and {_in('request_model')}"


def _spend_params(filters: Filters) -> list:
    return [filters.start, filters.end, *_list_params(filters.plans), *_list_params(filters.models)]


@st.cache_data(show_spinner=False, max_entries=CACHE_ENTRIES)
def spend_totals(version: SnapshotVersion, filters: Filters) -> pd.DataFrame:
    """One row: generations, spend and the cost ratios over the filtered range."""
    return _query(
        version,
        f"""
        select
            coalesce(sum(generations), 0)::bigint as generations,
            coalesce(sum(priced_generations), 0)::bigint as priced_generations,
            coalesce(sum(unpriced_generations), 0)::bigint as unpriced_generations,
            coalesce(sum(accepted_generations), 0)::bigint as accepted_generations,
            coalesce(sum(priced_accepted_generations), 0)::bigint as priced_accepted_generations,
            coalesce(sum(spend_usd), 0)::double as spend_usd,
            sum(spend_usd)::double / nullif(sum(priced_generations)::bigint, 0) as cost_per_generation_usd,
            sum(spend_usd)::double / nullif(sum(priced_accepted_generations)::bigint, 0)
                as cost_per_accepted_generation_usd,
            count(distinct workspace_id) as active_workspaces
        from fct_inference_spend_daily
        where {_SPEND_FILTER}
        """,
        _spend_params(filters),
    )


@st.cache_data(show_spinner=False, max_entries=CACHE_ENTRIES)
def active_workspaces_by_day(version: SnapshotVersion, filters: Filters) -> pd.DataFrame:
    """Workspaces with at least one generation, per day."""
    return _query(
        version,
        f"""
        select event_date, count(distinct workspace_id) as active_workspaces
        from fct_inference_spend_daily
        where {_SPEND_FILTER}
        group by event_date
        order by event_date
        """,
        _spend_params(filters),
    )


@st.cache_data(show_spinner=False, max_entries=CACHE_ENTRIES)
def spend_by_day_and_model(version: SnapshotVersion, filters: Filters) -> pd.DataFrame:
    return _query(
        version,
        f"""
        select spend.event_date, spend.provider_name, spend.request_model,
            coalesce(roles.display_name, spend.request_model) as model_name,
            sum(spend.generations)::bigint as generations,
            sum(spend.unpriced_generations)::bigint as unpriced_generations,
            sum(spend.spend_usd)::double as spend_usd
        from fct_inference_spend_daily as spend
        left join model_roles as roles
            on roles.provider = spend.provider_name and roles.model = spend.request_model
        where {_SPEND_FILTER}
        group by all
        order by spend.event_date, model_name
        """,
        _spend_params(filters),
    )


@st.cache_data(show_spinner=False, max_entries=CACHE_ENTRIES)
def spend_by_model(version: SnapshotVersion, filters: Filters) -> pd.DataFrame:
    """Per model over the range: spend, generations and the cost ratios (sums of the mart)."""
    return _query(
        version,
        f"""
        select spend.provider_name, spend.request_model, spend.model_role,
            coalesce(roles.display_name, spend.request_model) as model_name,
            sum(spend.generations)::bigint as generations,
            sum(spend.priced_generations)::bigint as priced_generations,
            sum(spend.unpriced_generations)::bigint as unpriced_generations,
            sum(spend.priced_accepted_generations)::bigint as priced_accepted_generations,
            sum(spend.spend_usd)::double as spend_usd,
            sum(spend.spend_usd)::double / nullif(sum(spend.priced_generations)::bigint, 0) as cost_per_generation_usd,
            sum(spend.spend_usd)::double / nullif(sum(spend.priced_accepted_generations)::bigint, 0)
                as cost_per_accepted_generation_usd
        from fct_inference_spend_daily as spend
        left join model_roles as roles
            on roles.provider = spend.provider_name and roles.model = spend.request_model
        where {_SPEND_FILTER}
        group by all
        order by spend_usd desc
        """,
        _spend_params(filters),
    )


@st.cache_data(show_spinner=False, max_entries=CACHE_ENTRIES)
def model_economics(version: SnapshotVersion, models: tuple[str, ...]) -> pd.DataFrame:
    """fct_model_economics as is (all history), per model and prompt intent."""
    return _query(
        version,
        f"""
        select econ.provider_name, econ.request_model, econ.model_role,
            coalesce(roles.display_name, econ.request_model) as model_name, econ.prompt_intent,
            econ.generations, econ.unpriced_generations, econ.priced_accepted_generations,
            econ.spend_usd::double as spend_usd, econ.cost_per_generation_usd,
            econ.cost_per_accepted_generation_usd, econ.sessions_led, econ.successful_priced_sessions,
            econ.cost_per_successful_session_usd, econ.acceptance_rate, econ.acceptance_ci_low,
            econ.acceptance_ci_high
        from fct_model_economics as econ
        left join model_roles as roles
            on roles.provider = econ.provider_name and roles.model = econ.request_model
        where {_in('econ.request_model')}
        order by model_name, econ.prompt_intent
        """,
        _list_params(models),
    )


# ---------------------------------------------------------------------------------------------
# Gross margin
# ---------------------------------------------------------------------------------------------


@st.cache_data(show_spinner=False, max_entries=CACHE_ENTRIES)
def margin_by_plan(version: SnapshotVersion, first_month: date, last_day: date, plans: tuple[str, ...]) -> pd.DataFrame:
    return _query(
        version,
        f"""
        select plan, plan_name, tier_rank, month_start, month, usage_days, days_in_month, workspaces,
            paying_workspaces, generations, unpriced_generations, revenue_usd::double as revenue_usd,
            inference_spend_usd::double as inference_spend_usd,
            gross_margin_usd::double as gross_margin_usd, gross_margin_pct
        from fct_gross_margin_by_plan_monthly
        where month_start between ? and ? and {_in('plan')}
        order by month_start, tier_rank
        """,
        [first_month, last_day, *_list_params(plans)],
    )


@st.cache_data(show_spinner=False, max_entries=CACHE_ENTRIES)
def worst_workspaces(
    version: SnapshotVersion, first_month: date, last_day: date, plans: tuple[str, ...], limit: int = 15
) -> pd.DataFrame:
    """The workspace-months with the lowest gross margin in USD."""
    return _query(
        version,
        f"""
        select workspace_id, month, plan, usage_days, generations,
            revenue_usd::double as revenue_usd, inference_spend_usd::double as inference_spend_usd,
            gross_margin_usd::double as gross_margin_usd, gross_margin_pct
        from fct_gross_margin_monthly
        where month_start between ? and ? and {_in('plan')}
        order by gross_margin_usd, workspace_id, month
        limit ?
        """,
        [first_month, last_day, *_list_params(plans), limit],
    )


# ---------------------------------------------------------------------------------------------
# Model quality
# ---------------------------------------------------------------------------------------------


@st.cache_data(show_spinner=False, max_entries=CACHE_ENTRIES)
def model_quality(version: SnapshotVersion, models: tuple[str, ...]) -> pd.DataFrame:
    """fct_model_quality (signals) as is: all history, per model and prompt intent."""
    return _query(
        version,
        f"""
        select quality.provider_name, quality.request_model,
            coalesce(roles.display_name, quality.request_model) as model_name, quality.prompt_intent,
            quality.generations, quality.accepted, quality.labelled, quality.succeeded,
            quality.acceptance_rate, quality.acceptance_ci_low, quality.acceptance_ci_high,
            quality.success_rate, quality.success_ci_low, quality.success_ci_high
        from fct_model_quality as quality
        left join model_roles as roles
            on roles.provider = quality.provider_name and roles.model = quality.request_model
        where {_in('quality.request_model')}
        order by model_name, quality.prompt_intent
        """,
        _list_params(models),
    )


@st.cache_data(show_spinner=False, max_entries=CACHE_ENTRIES)
def model_quality_daily(version: SnapshotVersion, filters: Filters) -> pd.DataFrame:
    """Daily counts per model (all intents), for the trend chart."""
    return _query(
        version,
        f"""
        select quality.event_date, quality.request_model,
            coalesce(any_value(roles.display_name), quality.request_model) as model_name,
            sum(quality.generations)::bigint as generations, sum(quality.accepted)::bigint as accepted,
            sum(quality.accepted)::double / nullif(sum(quality.generations)::bigint, 0) as acceptance_rate
        from fct_model_quality_daily as quality
        left join model_roles as roles
            on roles.provider = quality.provider_name and roles.model = quality.request_model
        where quality.event_date between ? and ? and {_in('quality.request_model')}
        group by quality.event_date, quality.request_model
        order by quality.event_date, model_name
        """,
        [filters.start, filters.end, *_list_params(filters.models)],
    )


# ---------------------------------------------------------------------------------------------
# Flywheel health
# ---------------------------------------------------------------------------------------------


@st.cache_data(show_spinner=False, max_entries=CACHE_ENTRIES)
def events_daily(version: SnapshotVersion, start: date, end: date) -> pd.DataFrame:
    return _query(
        version,
        """
        select ingest_date, event_type, events, late_events
        from fct_events_daily
        where ingest_date between ? and ?
        order by ingest_date, event_type
        """,
        [start, end],
    )


@st.cache_data(show_spinner=False, max_entries=CACHE_ENTRIES)
def ingest_daily(version: SnapshotVersion, start: date, end: date) -> pd.DataFrame:
    return _query(
        version,
        """
        select ingest_date, event_source, files, file_bytes, lines_read, loaded, quarantined,
            duplicates, quarantine_rate
        from fct_ingest_daily
        where ingest_date between ? and ?
        order by ingest_date, event_source
        """,
        [start, end],
    )


@st.cache_data(show_spinner=False, max_entries=CACHE_ENTRIES)
def quarantine_reasons(version: SnapshotVersion, start: date, end: date) -> pd.DataFrame:
    return _query(
        version,
        """
        select event_source, reason_code, sum(lines)::bigint as lines, sum(files)::bigint as files
        from fct_quarantine_daily
        where ingest_date between ? and ?
        group by event_source, reason_code
        order by lines desc, reason_code
        """,
        [start, end],
    )


@st.cache_data(show_spinner=False, max_entries=CACHE_ENTRIES)
def pii_findings(version: SnapshotVersion, start: date, end: date) -> pd.DataFrame:
    return _query(
        version,
        """
        select field, entity_type, sum(findings)::bigint as findings
        from fct_pii_findings_daily
        where ingest_date between ? and ?
        group by field, entity_type
        order by findings desc, field, entity_type
        """,
        [start, end],
    )


@st.cache_data(show_spinner=False, max_entries=CACHE_ENTRIES)
def dataset_versions(version: SnapshotVersion) -> pd.DataFrame:
    return _query(
        version,
        """
        select dataset, version, format, created_at, examples, files, bytes, path
        from dataset_versions
        order by dataset, created_at desc, version
        """,
    )


# ---------------------------------------------------------------------------------------------
# Routing what-if
# ---------------------------------------------------------------------------------------------


@st.cache_data(show_spinner=False, max_entries=CACHE_ENTRIES)
def routing_baseline(version: SnapshotVersion) -> pd.DataFrame:
    """fct_routing_baseline as is, money as floats (input of pipelines.serving.routing)."""
    frame = _query(version, "select * from fct_routing_baseline order by prompt_intent")
    for column in frame.columns:
        if column.endswith("_usd"):
            frame[column] = frame[column].astype(float)
    return frame


@st.cache_data(show_spinner=False, max_entries=CACHE_ENTRIES)
def routing_revenue(version: SnapshotVersion) -> float:
    """Revenue of the months the baseline's traffic covers (the margin mart's months with usage)."""
    frame = _query(version, "select coalesce(sum(revenue_usd), 0)::double as revenue_usd from fct_gross_margin_by_plan_monthly")
    return float(frame.iloc[0]["revenue_usd"]) if not frame.empty else 0.0
