"""Model quality: acceptance and success by model and kind of prompt, with 95% confidence intervals."""

from __future__ import annotations

import altair as alt
import streamlit as st

from dashboards import data, ui

MIN_DAILY_GENERATIONS = 30

version = ui.require_snapshot()
filters: data.Filters | None = st.session_state.get("filters")
ui.page_header(
    "Model quality",
    "Acceptance (the user kept the change) and success (the outcome label, among generations the user "
    "reacted to) from the signal marts, with 95% Wilson intervals. All history; the model filter applies, "
    "and the date range applies to the daily trend.",
)
if filters is None:
    ui.empty_state("No signals yet.")
    st.stop()

quality = data.model_quality(version, filters.models)
if quality.empty:
    ui.empty_state("No generations for these models.", "Clear the model filter or run the pipeline.")
    st.stop()

quality = quality.assign(intent=quality["prompt_intent"].map(ui.intent_name))
per_model = quality.groupby("model_name", as_index=False)[["generations", "accepted"]].sum()
per_model = per_model.sort_values("generations", ascending=False)
tiles = st.columns(min(5, len(per_model)))
for tile, row in zip(tiles, per_model.itertuples(), strict=False):
    tile.metric(row.model_name, ui.pct(row.accepted / row.generations if row.generations else None),
                delta=f"{int(row.generations):,} generations", delta_color="off", delta_arrow="off", border=True,
                help="Accepted / generations over every kind of prompt.")

left, right = st.columns(2, gap="large")
with left:
    st.subheader("Acceptance")
    accepted = quality.dropna(subset=["acceptance_rate"])
    ui.chart(ui.rate_with_interval(accepted, "acceptance_rate", "acceptance_ci_low", "acceptance_ci_high",
                                   "intent", "model_name", ui.MODEL_COLORS, "Acceptance rate"),
             accepted[["provider_name", "request_model", "model_name", "prompt_intent", "generations", "accepted",
                       "acceptance_rate", "acceptance_ci_low", "acceptance_ci_high"]], "acceptance-by-model-and-intent")
with right:
    st.subheader("Success")
    succeeded = quality.dropna(subset=["success_rate"])
    ui.chart(ui.rate_with_interval(succeeded, "success_rate", "success_ci_low", "success_ci_high",
                                   "intent", "model_name", ui.MODEL_COLORS, "Success rate"),
             succeeded[["provider_name", "request_model", "model_name", "prompt_intent", "labelled", "succeeded",
                        "success_rate", "success_ci_low", "success_ci_high"]], "success-by-model-and-intent")

st.subheader("Acceptance per day")
daily = data.model_quality_daily(version, filters)
# a rate from a handful of generations is noise: plot only the days a model had enough of them
daily = daily[daily["generations"] >= MIN_DAILY_GENERATIONS]
st.caption(f"Per model, days with at least {MIN_DAILY_GENERATIONS} generations.")
if daily.empty:
    ui.empty_state("No generations in this date range.", "Widen the date range in the sidebar.")
else:
    names = sorted(daily["model_name"].unique())
    trend = alt.Chart(daily).mark_line(point=True, strokeWidth=2.5).encode(
        x=alt.X("event_date:T", title=None, axis=alt.Axis(format="%a %d %b")),
        y=alt.Y("acceptance_rate:Q", title="Acceptance rate", axis=alt.Axis(format="%"), scale=alt.Scale(zero=False)),
        color=alt.Color("model_name:N", scale=ui.color_scale(names, ui.MODEL_COLORS),
                        legend=alt.Legend(orient="top", title=None)),
        tooltip=[alt.Tooltip("event_date:T", title="Day"), "model_name:N",
                 alt.Tooltip("acceptance_rate:Q", format=".1%", title="Acceptance"),
                 alt.Tooltip("generations:Q", format=",")],
    ).properties(height=300)
    ui.chart(trend, daily, "acceptance-per-day")

with st.expander("Quality table"):
    ui.table(quality[["model_name", "intent", "generations", "accepted", "acceptance_rate", "acceptance_ci_low",
                      "acceptance_ci_high", "labelled", "succeeded", "success_rate", "success_ci_low",
                      "success_ci_high"]], "model-quality", column_config={
        c: st.column_config.NumberColumn(format="percent")
        for c in ["acceptance_rate", "acceptance_ci_low", "acceptance_ci_high", "success_rate", "success_ci_low",
                  "success_ci_high"]
    })
