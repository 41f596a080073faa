"""Margin: revenue minus inference spend, by plan and month, and the workspaces that cost the most."""

from __future__ import annotations

import altair as alt
import streamlit as st

from dashboards import data, ui

version = ui.require_snapshot()
filters: data.Filters | None = st.session_state.get("filters")
ui.page_header(
    "Gross margin",
    "Revenue (the month's MRR) minus inference spend (the cost of revenue the platform measures), for the "
    "months with usage. Plans are each workspace's plan at month end. Date and plan filters apply.",
)
if filters is None:
    ui.empty_state("No margin yet.")
    st.stop()

by_plan = data.margin_by_plan(version, filters.first_month, filters.end, filters.plans)
if by_plan.empty:
    ui.empty_state("No month with usage in this selection.",
                   "Margin needs generations (for the cost) in the months of the date range.")
    st.stop()

revenue = by_plan["revenue_usd"].sum()
spend = by_plan["inference_spend_usd"].sum()
margin = by_plan["gross_margin_usd"].sum()
latest = by_plan[by_plan["month_start"] == by_plan["month_start"].max()].iloc[0]
kpis = st.columns(5)
kpis[0].metric("Revenue", ui.usd(revenue), border=True, help="Sum of the months' MRR (month end).")
kpis[1].metric("Inference spend", ui.usd(spend), border=True)
kpis[2].metric("Gross margin", ui.usd(margin), border=True, help="Revenue - inference spend.")
kpis[3].metric("Gross margin %", ui.pct(margin / revenue if revenue else None), border=True,
               help="Gross margin / revenue over the selection.")
kpis[4].metric(f"Usage days in {latest['month']}", f"{int(latest['usage_days'])} / {int(latest['days_in_month'])}",
               border=True, help="Days of the month with generations: a month in progress carries only part of its spend.")

if latest["usage_days"] < latest["days_in_month"]:
    st.caption(
        f":material/info: {latest['month']} has spend for {int(latest['usage_days'])} of its "
        f"{int(latest['days_in_month'])} days against a full month of MRR: its margin will fall as the month fills."
    )

plans = by_plan.assign(
    spend_share=lambda f: f["inference_spend_usd"] / f["revenue_usd"].where(f["revenue_usd"] > 0),
    margin_label=lambda f: f["gross_margin_pct"].map(ui.pct),
    spend_per_workspace=lambda f: f["inference_spend_usd"] / f["workspaces"],
)
plan_order = [p for p in ["enterprise", "team", "pro", "free", "none"] if p in set(plans["plan"])]
left, right = st.columns(2, gap="large")
with left:
    st.subheader("Gross margin % by plan")
    with_revenue = plans.dropna(subset=["gross_margin_pct"])
    if with_revenue.empty:
        ui.empty_state("No revenue in this selection.", "Free plans have no revenue, so no margin %.")
    else:
        base = alt.Chart(with_revenue).encode(
            y=alt.Y("plan:N", sort=plan_order, title=None),
            yOffset=alt.YOffset("month:N"),
        )
        bars = base.mark_bar(cornerRadiusEnd=3).encode(
            x=alt.X("gross_margin_pct:Q", title="Gross margin %", axis=alt.Axis(format="%"),
                    scale=alt.Scale(domain=[min(0.0, with_revenue["gross_margin_pct"].min()), 1.0])),
            color=alt.Color("plan:N", scale=ui.color_scale(plan_order, ui.PLAN_COLORS), legend=None),
            tooltip=["month:N", "plan:N", alt.Tooltip("revenue_usd:Q", format="$,.2f", title="Revenue"),
                     alt.Tooltip("inference_spend_usd:Q", format="$,.2f", title="Inference spend"),
                     alt.Tooltip("gross_margin_pct:Q", format=".2%", title="Gross margin %")],
        )
        labels = base.mark_text(align="right", dx=-6, color="white", fontWeight="bold").encode(
            x="gross_margin_pct:Q", text="margin_label:N")
        ui.chart((bars + labels).properties(height=ui.rows_height(len(with_revenue), 46)),
                 with_revenue.drop(columns=["margin_label"]), "gross-margin-by-plan")
with right:
    st.subheader("Inference spend by plan")
    st.caption("Per month; the label is spend as a share of the plan's revenue.")
    shares = plans.assign(share_label=lambda f: f["spend_share"].map(lambda v: "no revenue" if v != v else ui.pct(v, 2)))
    base = alt.Chart(shares).encode(y=alt.Y("plan:N", sort=plan_order, title=None), yOffset=alt.YOffset("month:N"))
    bars = base.mark_bar(cornerRadiusEnd=3).encode(
        x=alt.X("inference_spend_usd:Q", title="Inference spend (USD)", axis=alt.Axis(format="$,.0f")),
        color=alt.Color("plan:N", scale=ui.color_scale(plan_order, ui.PLAN_COLORS), legend=None),
        tooltip=["month:N", "plan:N", alt.Tooltip("inference_spend_usd:Q", format="$,.2f", title="Spend"),
                 alt.Tooltip("workspaces:Q", title="Workspaces"),
                 alt.Tooltip("spend_per_workspace:Q", format="$,.2f", title="Spend per workspace")],
    )
    labels = base.mark_text(align="left", dx=4).encode(x="inference_spend_usd:Q", text="share_label:N")
    ui.chart((bars + labels).properties(height=ui.rows_height(len(shares), 46)), shares.drop(columns=["share_label"]),
             "inference-spend-by-plan")

st.subheader("Lowest-margin workspaces")
worst = data.worst_workspaces(version, filters.first_month, filters.end, filters.plans)
if worst.empty:
    ui.empty_state("No workspace in this selection.")
else:
    worst = worst.assign(
        workspace=lambda f: f["workspace_id"] + " · " + f["month"],
        margin_label=lambda f: f["gross_margin_usd"].map(ui.usd),
        below_zero=lambda f: f["gross_margin_usd"] < 0,
    )
    order = list(worst["workspace"])
    base = alt.Chart(worst).encode(y=alt.Y("workspace:N", sort=order, title=None))
    bars = base.mark_bar(cornerRadiusEnd=3).encode(
        x=alt.X("gross_margin_usd:Q", title="Gross margin (USD)", axis=alt.Axis(format="$,.2f")),
        color=alt.condition(alt.datum.below_zero, alt.value("#DC2626"), alt.value("#94A3B8")),
        tooltip=["workspace_id:N", "month:N", "plan:N",
                 alt.Tooltip("revenue_usd:Q", format="$,.2f", title="Revenue"),
                 alt.Tooltip("inference_spend_usd:Q", format="$,.2f", title="Inference spend"),
                 alt.Tooltip("generations:Q", format=",", title="Generations")],
    )
    labels = base.mark_text(align="left", dx=4, fontWeight="bold").encode(x=alt.value(4), text="margin_label:N")
    ui.chart((bars + labels).properties(height=ui.rows_height(len(worst), 26, 60)),
             worst.drop(columns=["margin_label", "below_zero"]), "lowest-margin-workspaces")

with st.expander("Margin by plan and month"):
    ui.table(by_plan.drop(columns=["month_start", "tier_rank"]), "gross-margin-by-plan-and-month", column_config={
        "revenue_usd": st.column_config.NumberColumn("Revenue", format="$%.2f"),
        "inference_spend_usd": st.column_config.NumberColumn("Inference spend", format="$%.2f"),
        "gross_margin_usd": st.column_config.NumberColumn("Gross margin", format="$%.2f"),
        "gross_margin_pct": st.column_config.NumberColumn("Gross margin %", format="percent"),
    })
