"""Routing what-if: move a share of each kind of prompt from the frontier models to the in-house model."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from dashboards import data, ui
from pipelines.serving import routing

version = ui.require_snapshot()
ui.page_header(
    "Routing what-if",
    "Move a share of each kind of prompt's frontier traffic to the in-house model: spend at the in-house "
    "price for the same tokens, margin against the same revenue, and acceptance at the in-house model's "
    "measured rate (95% band: every rate at its interval's bound). All observed traffic; filters do not apply.",
)

baseline_rows = data.routing_baseline(version)
if baseline_rows.empty:
    ui.empty_state("No traffic to route yet.")
    st.stop()

baselines = [routing.baseline_from_row(row) for row in baseline_rows.to_dict("records")]
defaults = routing.default_shares(baselines)


def reset_to_defaults() -> None:
    for intent, share in defaults.items():
        st.session_state[f"share_{intent}"] = int(round(share * 100))


st.subheader("Share of frontier traffic moved to the in-house model")
sliders = st.columns(3)
shares: dict[str, float] = {}
for index, baseline in enumerate(baselines):
    measured = baseline.in_house_acceptance
    help_text = (
        f"In-house acceptance on {baseline.intent_name.lower()}: {ui.pct(measured.value)} "
        f"({ui.pct(measured.low)}–{ui.pct(measured.high)}); frontier: "
        f"{ui.pct(baseline.frontier_acceptance.value if baseline.frontier_acceptance else None)}."
        if measured else "No in-house measurements for this kind of prompt: it cannot be moved."
    )
    with sliders[index % 3]:
        percent = st.slider(
            f"{baseline.intent_name} · {baseline.frontier_generations:,} frontier generations",
            min_value=0, max_value=100, value=int(round(defaults[baseline.prompt_intent] * 100)), step=5,
            format="%d%%", key=f"share_{baseline.prompt_intent}", disabled=not baseline.routable, help=help_text,
        )
    shares[baseline.prompt_intent] = percent / 100 if baseline.routable else 0.0
st.button("Reset to the default scenario", on_click=reset_to_defaults, icon=":material/restart_alt:", type="tertiary")

outcome = routing.simulate_routing(baselines, shares, data.routing_revenue(version))
before_acceptance, after_acceptance = outcome.acceptance_before, outcome.acceptance_after
kpis = st.columns(5)
kpis[0].metric("Inference spend", ui.usd(outcome.spend_after_usd),
               delta=f"{ui.usd(-outcome.savings_usd)} vs today", delta_color="inverse", border=True,
               help=f"Over the observed traffic. Today: {ui.usd(outcome.spend_before_usd)}.")
kpis[1].metric("Saving", ui.pct(outcome.savings_usd / outcome.spend_before_usd if outcome.spend_before_usd else None),
               delta=f"{outcome.moved_generations:,.0f} generations moved", delta_color="off", delta_arrow="off",
               border=True)
kpis[2].metric("Gross margin %", ui.pct(outcome.margin_pct_after, 2),
               delta=f"{(outcome.margin_pct_after - outcome.margin_pct_before) * 100:+.2f} pts"
               if outcome.margin_pct_before is not None else None, border=True,
               help=f"Against revenue of {ui.usd(outcome.revenue_usd)} (the months with usage). Today: "
               f"{ui.pct(outcome.margin_pct_before, 2)}.")
kpis[3].metric("Expected acceptance", ui.pct(after_acceptance.value),
               delta=f"{(after_acceptance.value - before_acceptance.value) * 100:+.1f} pts", border=True,
               help=f"95% band {ui.pct(after_acceptance.low)}–{ui.pct(after_acceptance.high)}. "
               f"Today: {ui.pct(before_acceptance.value)} ({ui.pct(before_acceptance.low)}–"
               f"{ui.pct(before_acceptance.high)}).")
kpis[4].metric("Acceptance, worst case", ui.pct(after_acceptance.low),
               delta=f"{(after_acceptance.low - before_acceptance.low) * 100:+.1f} pts", border=True,
               help="The low end of the 95% band: every acceptance rate at the bottom of its Wilson interval "
               f"(conservative). Today's worst case: {ui.pct(before_acceptance.low)}.")

per_intent = pd.DataFrame([
    {
        "prompt_intent": o.prompt_intent, "intent": o.intent_name, "share_moved": o.share,
        "moved_generations": o.moved_generations, "generations": o.generations,
        "spend_before_usd": o.spend_before_usd, "spend_after_usd": o.spend_after_usd,
        "acceptance_before": o.acceptance_before.value, "acceptance_before_low": o.acceptance_before.low,
        "acceptance_before_high": o.acceptance_before.high, "acceptance_after": o.acceptance_after.value,
        "acceptance_after_low": o.acceptance_after.low, "acceptance_after_high": o.acceptance_after.high,
        "note": o.note,
    }
    for o in outcome.intents
])

left, right = st.columns(2, gap="large")
with left:
    st.subheader("Spend per kind of prompt")
    spend = per_intent.melt(id_vars=["intent"], value_vars=["spend_before_usd", "spend_after_usd"],
                            var_name="scenario", value_name="spend_usd")
    spend["scenario"] = spend["scenario"].map({"spend_before_usd": "Before", "spend_after_usd": "After"})
    chart = alt.Chart(spend).mark_bar(cornerRadiusEnd=3).encode(
        y=alt.Y("intent:N", title=None, sort="-x"),
        yOffset=alt.YOffset("scenario:N", sort=["Before", "After"]),
        x=alt.X("spend_usd:Q", title="Spend (USD)", axis=alt.Axis(format="$,.0f")),
        color=alt.Color("scenario:N", scale=ui.color_scale(["Before", "After"], ui.BEFORE_AFTER_COLORS),
                        sort=["Before", "After"], legend=alt.Legend(orient="top", title=None)),
        tooltip=["intent:N", "scenario:N", alt.Tooltip("spend_usd:Q", format="$,.2f", title="Spend")],
    ).properties(height=ui.rows_height(len(per_intent), 44, 80))
    ui.chart(chart, spend, "routing-spend")
with right:
    st.subheader("Expected acceptance per kind of prompt")
    accept = pd.concat([
        per_intent[["intent", "acceptance_before", "acceptance_before_low", "acceptance_before_high"]]
        .set_axis(["intent", "rate", "low", "high"], axis=1).assign(scenario="Before"),
        per_intent[["intent", "acceptance_after", "acceptance_after_low", "acceptance_after_high"]]
        .set_axis(["intent", "rate", "low", "high"], axis=1).assign(scenario="After"),
    ])
    ui.chart(ui.rate_with_interval(accept, "rate", "low", "high", "intent", "scenario", ui.BEFORE_AFTER_COLORS,
                                   "Expected acceptance", order=["Before", "After"]), accept, "routing-acceptance")

with st.expander("Scenario per kind of prompt"):
    ui.table(per_intent, "routing-scenario", column_config={
        "share_moved": st.column_config.NumberColumn("Share moved", format="percent"),
        "moved_generations": st.column_config.NumberColumn("Moved", format="%.0f"),
        "spend_before_usd": st.column_config.NumberColumn("Spend before", format="$%.2f"),
        "spend_after_usd": st.column_config.NumberColumn("Spend after", format="$%.2f"),
        **{c: st.column_config.NumberColumn(format="percent") for c in per_intent.columns if c.startswith("acceptance")},
    })
