"""Overview: ARR and its movements, retention, and how many workspaces are using the product."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from dashboards import data, ui

MIN_COHORT = 20

version = ui.require_snapshot()
filters: data.Filters | None = st.session_state.get("filters")
ui.page_header(
    "Overview",
    "Recurring revenue at each month's last instant (ChartMogul's definitions: annual plans / 12, "
    "USD at fixed planning rates), its movements, and retention. Revenue is company-wide; the plan "
    "filter applies to ARR by plan and to active workspaces.",
)
if filters is None:
    ui.empty_state("No revenue yet.")
    st.stop()

bridge = data.mrr_bridge(version, filters.first_month, filters.end)
if bridge.empty:
    ui.empty_state("No subscription months in this date range.", "Widen the date range in the sidebar.")
    st.stop()

bridge = bridge.assign(month_label=pd.to_datetime(bridge["month_start"]).dt.strftime("%b %y"))
latest = bridge.iloc[-1]
previous = bridge.iloc[-2] if len(bridge) > 1 else None
totals = data.spend_totals(version, filters).iloc[0]
active_by_day = data.active_workspaces_by_day(version, filters)
retention = data.retention(version, filters.first_month, filters.end)
monthly_retention = retention[retention["window_months"] == 1]
latest_retention = retention[retention["period_end_month"] == retention["period_end_month"].max()]
# the headline window: the longest whose cohort is large enough to mean something
meaningful = latest_retention[latest_retention["cohort_customers"] >= MIN_COHORT]
headline = (meaningful if not meaningful.empty else latest_retention).sort_values("window_months")
headline = headline.iloc[-1] if not headline.empty else None

month_name = pd.Timestamp(latest["month_start"]).strftime("%B %Y")
in_progress = " (month to date)" if latest["is_current_month"] else ""
kpis = st.columns(5)
kpis[0].metric(
    "ARR", ui.usd(latest["arr_usd"]),
    delta=ui.usd(latest["arr_usd"] - previous["arr_usd"]) if previous is not None else None,
    help=f"12 x MRR at the end of {month_name}{in_progress}; the delta is against the month before.", border=True,
    chart_data=list(bridge["arr_usd"]), chart_type="area",
)
kpis[1].metric(
    "MRR", ui.usd(latest["closing_mrr_usd"]), delta=ui.usd(latest["net_new_mrr_usd"]),
    help="Closing MRR; the delta is net new MRR (new + expansion + reactivation - contraction - churn).",
    border=True, chart_data=list(bridge["net_new_mrr_usd"]), chart_type="bar",
)
kpis[2].metric(
    f"NRR ({int(headline['window_months'])} mo)" if headline is not None else "NRR",
    ui.pct(headline["net_revenue_retention"]) if headline is not None else "–",
    delta=f"GRR {ui.pct(headline['gross_revenue_retention'])}" if headline is not None else None,
    delta_color="off", delta_arrow="off", border=True,
    chart_data=list(monthly_retention["net_revenue_retention"]) or None,
    help="Net revenue retention of the customers paying at the start of the window: (starting + expansion + "
    "reactivation - contraction - churn) / starting; GRR leaves expansion and reactivation out. The longest "
    f"window whose cohort has at least {MIN_COHORT} customers; the line is month-over-month NRR.",
)
kpis[3].metric(
    "Paying customers", ui.count(latest["paying_customers"]),
    delta=int(latest["paying_customers"] - previous["paying_customers"]) if previous is not None else None,
    help="Workspaces with MRR > 0 at month end.", border=True,
    chart_data=list(bridge["paying_customers"]), chart_type="area",
)
kpis[4].metric(
    "Active workspaces", ui.count(totals["active_workspaces"]),
    help="Workspaces with at least one generation in the date range (plan and model filters apply); "
    "the line is per day.",
    border=True, chart_data=list(active_by_day["active_workspaces"]) or None, chart_type="area",
)

left, right = st.columns(2, gap="large")
with left:
    st.subheader("MRR bridge")
    complete = bridge[~bridge["is_current_month"]]
    months = list(bridge["month"])
    default_month = complete["month"].iloc[-1] if not complete.empty else months[-1]
    chosen_month = st.select_slider("Month", options=months, value=default_month, key="overview_month",
                                    label_visibility="collapsed") if len(months) > 1 else months[0]
    steps = ui.waterfall_frame(bridge[bridge["month"] == chosen_month].iloc[0])
    st.caption(f"{chosen_month}: opening to closing MRR. The axis is zoomed on the movements.")
    ui.chart(ui.waterfall_chart(steps), steps.drop(columns=["label"]), f"mrr-waterfall-{chosen_month}")
with right:
    st.subheader("Movements by month")
    st.caption("Gains above the line, losses below; the line is net new MRR.")
    movements = bridge[["month", "month_label", "new_mrr_usd", "expansion_mrr_usd", "reactivation_mrr_usd",
                        "contraction_mrr_usd", "churn_mrr_usd", "net_new_mrr_usd"]]
    ui.chart(ui.movements_chart(movements), movements, "mrr-movements")

left, right = st.columns(2, gap="large")
with left:
    st.subheader("ARR by plan")
    by_plan = data.mrr_by_plan(version, filters.first_month, filters.end, filters.plans)
    by_plan = by_plan[by_plan["mrr_usd"] > 0].assign(arr_usd=lambda f: 12 * f["mrr_usd"])
    if by_plan.empty:
        ui.empty_state("No paying plan in this selection.", "Change the plan filter.")
    else:
        plan_order = [p for p in ["enterprise", "team", "pro", "free", "none"] if p in set(by_plan["plan"])]
        area = alt.Chart(by_plan).mark_area(opacity=0.9).encode(
            x=alt.X("month_start:T", title=None, axis=alt.Axis(format="%b %y")),
            y=alt.Y("arr_usd:Q", title="ARR (USD)", stack=True, axis=alt.Axis(format="$,.0f")),
            color=alt.Color("plan:N", scale=ui.color_scale(plan_order, ui.PLAN_COLORS), sort=plan_order,
                            legend=alt.Legend(orient="top", title=None)),
            order=alt.Order("plan_rank:Q"),
            tooltip=["month:N", "plan:N", alt.Tooltip("arr_usd:Q", format="$,.0f", title="ARR"),
                     alt.Tooltip("paying_customers:Q", title="Paying customers")],
        ).transform_calculate(plan_rank="indexof(" + str(plan_order) + ", datum.plan)").properties(height=360)
        ui.chart(area, by_plan, "arr-by-plan")
with right:
    st.subheader("Revenue retention")
    monthly = monthly_retention
    if monthly.empty:
        ui.empty_state("Retention needs two months of history.", "It appears after the second reported month.")
    else:
        long = monthly.melt(id_vars=["period_end_month", "month"],
                            value_vars=["net_revenue_retention", "gross_revenue_retention"],
                            var_name="measure", value_name="retention")
        long["measure"] = long["measure"].map({"net_revenue_retention": "Net (NRR)",
                                               "gross_revenue_retention": "Gross (GRR)"})
        lines = alt.Chart(long).mark_line(point=True, strokeWidth=2.5).encode(
            x=alt.X("period_end_month:T", title=None, axis=alt.Axis(format="%b %y")),
            y=alt.Y("retention:Q", title="Month-over-month retention", axis=alt.Axis(format="%"),
                    scale=alt.Scale(zero=False)),
            color=alt.Color("measure:N", scale=alt.Scale(domain=["Net (NRR)", "Gross (GRR)"],
                                                         range=["#16A34A", "#F59E0B"]),
                            legend=alt.Legend(orient="top", title=None)),
            tooltip=["month:N", "measure:N", alt.Tooltip("retention:Q", format=".1%")],
        )
        hundred = alt.Chart(pd.DataFrame({"y": [1.0]})).mark_rule(strokeDash=[4, 4], color="#94A3B8").encode(y="y:Q")
        ui.chart((lines + hundred).properties(height=280), long, "revenue-retention-monthly")
    if not latest_retention.empty:
        windows = pd.DataFrame({
            "Window": latest_retention["window_months"].map(lambda n: f"{n} month" + ("s" if n > 1 else "")),
            "Cohort (paying at end of)": pd.to_datetime(latest_retention["cohort_month"]).dt.strftime("%b %Y"),
            "Customers": latest_retention["cohort_customers"],
            "NRR": latest_retention["net_revenue_retention"].map(ui.pct),
            "GRR": latest_retention["gross_revenue_retention"].map(ui.pct),
        })
        st.caption(f"Windows ending {month_name}")
        st.dataframe(windows, hide_index=True, width="stretch")

with st.expander("The bridge, month by month"):
    ui.table(bridge.drop(columns=["month_start", "month_label"]), "mrr-bridge", column_config={
        c: st.column_config.NumberColumn(format="dollar") for c in bridge.columns if c.endswith("_usd")
    })
