"""Inference spend: what the models cost, by model and provider over time, and per accepted generation."""

from __future__ import annotations

import altair as alt
import streamlit as st

from dashboards import data, ui

version = ui.require_snapshot()
filters: data.Filters | None = st.session_state.get("filters")
ui.page_header(
    "Inference spend",
    "Every generation priced at the catalog price in force on its day (input, output, cache read and "
    "cache write separately; dbt/seeds/model_prices.csv). Acceptance is the signal marts'. All filters apply.",
)
if filters is None:
    ui.empty_state("No inference spend yet.")
    st.stop()

totals = data.spend_totals(version, filters).iloc[0]
if totals["generations"] == 0:
    ui.empty_state("No generations in this selection.", "Widen the date range or clear the plan and model filters.")
    st.stop()

by_model = data.spend_by_model(version, filters)
kpis = st.columns(5)
kpis[0].metric("Inference spend", ui.usd(totals["spend_usd"]), border=True,
               help="Priced generations only; unpriced ones are counted on the right, never costed as $0.")
kpis[1].metric("Generations", ui.count(totals["generations"]), border=True)
kpis[2].metric("Cost per generation", ui.usd(totals["cost_per_generation_usd"]), border=True,
               help="Spend / priced generations.")
kpis[3].metric("Cost per accepted generation", ui.usd(totals["cost_per_accepted_generation_usd"]), border=True,
               help="Spend / accepted priced generations: what one kept answer costs, rejected ones included. "
               "Acceptance is the signal marts' (fct_generations.is_accepted).")
kpis[4].metric("Unpriced generations", ui.count(totals["unpriced_generations"]), border=True,
               help="Generations whose model has no price that day in the catalog.")

unpriced = by_model[by_model["unpriced_generations"] > 0]
if not unpriced.empty:
    names = ", ".join(f"**{r.request_model}** ({int(r.unpriced_generations):,})" for r in unpriced.itertuples())
    st.warning(
        f"No catalog price for {names}: these generations are counted but not in the spend. "
        "Add the model to dbt/seeds/model_prices.csv to cost them.",
        icon=":material/price_check:",
    )

head, toggle = st.columns([3, 1], vertical_alignment="bottom")
color_by = toggle.segmented_control("Colour by", ["Model", "Provider"], default="Model", key="spend_color_by",
                                    label_visibility="collapsed") or "Model"
head.subheader(f"Spend per day, by {color_by.lower()}")
daily = data.spend_by_day_and_model(version, filters)
daily = daily.assign(provider=daily["provider_name"].map(ui.provider_name))
series, palette = ("model_name", ui.MODEL_COLORS) if color_by == "Model" else ("provider", ui.PROVIDER_COLORS)
bars = alt.Chart(daily).mark_bar().encode(
    x=alt.X("yearmonthdate(event_date):O", title=None, axis=alt.Axis(format="%a %d %b", labelAngle=0)),
    y=alt.Y("sum(spend_usd):Q", title="Spend (USD)", axis=alt.Axis(format="$,.2f")),
    color=alt.Color(f"{series}:N", scale=ui.color_scale(sorted(daily[series].unique()), palette),
                    legend=alt.Legend(orient="top", title=None)),
    tooltip=[alt.Tooltip("event_date:T", title="Day"), alt.Tooltip(f"{series}:N", title=color_by),
             alt.Tooltip("sum(spend_usd):Q", format="$,.2f", title="Spend"),
             alt.Tooltip("sum(generations):Q", format=",", title="Generations")],
).properties(height=320)
ui.chart(bars, daily, f"spend-per-day-by-{color_by.lower()}")

left, right = st.columns(2, gap="large")
with left:
    st.subheader("By provider")
    st.caption("Spend over the filters.")
    providers = by_model.assign(provider=by_model["provider_name"].map(ui.provider_name)).groupby(
        ["provider_name", "provider"], as_index=False)[["spend_usd", "generations"]].sum()
    ui.chart(ui.bar_with_labels(providers, "provider", "spend_usd", ui.PROVIDER_COLORS, "Spend (USD)"),
             providers, "spend-by-provider")
with right:
    st.subheader("Cost per accepted generation")
    st.caption("Spend / accepted priced generations, per model, over the filters.")
    per_accepted = by_model.dropna(subset=["cost_per_accepted_generation_usd"])
    ui.chart(ui.bar_with_labels(per_accepted, "model_name", "cost_per_accepted_generation_usd", ui.MODEL_COLORS,
                                "USD per accepted generation", "$,.4f"),
             per_accepted[["provider_name", "request_model", "model_name", "spend_usd",
                           "priced_accepted_generations", "cost_per_accepted_generation_usd"]],
             "cost-per-accepted-generation")

st.subheader("Model economics by kind of prompt")
st.caption(
    "All history (fct_model_economics). Cost per successful session: the cost of the sessions a model led "
    "(most of their generations) divided by those that succeeded (not abandoned, per the signal marts)."
)
economics = data.model_economics(version, filters.models)
priced = economics.dropna(subset=["cost_per_accepted_generation_usd"]).assign(
    intent=lambda f: f["prompt_intent"].map(ui.intent_name),
    label=lambda f: f["cost_per_accepted_generation_usd"].map(ui.usd),
)
if priced.empty:
    ui.empty_state("No priced generations for these models.")
else:
    intents = [ui.intent_name(i) for i in ui.INTENT_NAMES if ui.intent_name(i) in set(priced["intent"])]
    heat = alt.Chart(priced).encode(
        x=alt.X("intent:N", title=None, sort=intents, axis=alt.Axis(labelAngle=0, orient="top")),
        y=alt.Y("model_name:N", title=None),
    )
    cells = heat.mark_rect(cornerRadius=4).encode(
        # log colour: the in-house model is two orders of magnitude cheaper than the frontier
        color=alt.Color("cost_per_accepted_generation_usd:Q", legend=None,
                        scale=alt.Scale(scheme="purples", type="log")),
        tooltip=["model_name:N", "intent:N",
                 alt.Tooltip("cost_per_accepted_generation_usd:Q", format="$,.4f", title="Per accepted generation"),
                 alt.Tooltip("cost_per_generation_usd:Q", format="$,.4f", title="Per generation"),
                 alt.Tooltip("cost_per_successful_session_usd:Q", format="$,.4f", title="Per successful session"),
                 alt.Tooltip("acceptance_rate:Q", format=".1%", title="Acceptance")],
    )
    text = heat.mark_text(fontSize=12).encode(
        text="label:N",
        color=alt.condition(alt.datum.cost_per_accepted_generation_usd > 0.01, alt.value("white"), alt.value("#1E293B")),
    )
    ui.chart((cells + text).properties(height=ui.rows_height(priced["model_name"].nunique(), 46, 50)),
             priced.drop(columns=["label"]),
             "cost-per-accepted-generation-by-intent")
with st.expander("Model economics table"):
    ui.table(economics.assign(intent=economics["prompt_intent"].map(ui.intent_name))[
        ["model_name", "intent", "generations", "unpriced_generations", "spend_usd", "cost_per_generation_usd",
         "cost_per_accepted_generation_usd", "cost_per_successful_session_usd", "acceptance_rate",
         "acceptance_ci_low", "acceptance_ci_high"]], "model-economics", column_config={
        "spend_usd": st.column_config.NumberColumn("Spend", format="$%.2f"),
        "cost_per_generation_usd": st.column_config.NumberColumn("Per generation", format="$%.4f"),
        "cost_per_accepted_generation_usd": st.column_config.NumberColumn("Per accepted", format="$%.4f"),
        "cost_per_successful_session_usd": st.column_config.NumberColumn("Per successful session", format="$%.4f"),
        "acceptance_rate": st.column_config.NumberColumn("Acceptance", format="percent"),
        "acceptance_ci_low": st.column_config.NumberColumn("CI low", format="percent"),
        "acceptance_ci_high": st.column_config.NumberColumn("CI high", format="percent"),
    })
