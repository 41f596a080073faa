"""Flywheel health: what arrived each day, what was rejected and scrubbed, and the training sets built."""

from __future__ import annotations

import altair as alt
import streamlit as st

from dashboards import data, ui

version = ui.require_snapshot()
filters: data.Filters | None = st.session_state.get("filters")
ui.page_header(
    "Flywheel health",
    "Ingest per arrival day (lines read = loaded + quarantined + duplicates), the events kept, what the "
    "scrubber replaced, and the training-set versions exported. The date range applies.",
)
if filters is None:
    ui.empty_state("Nothing has been ingested yet.")
    st.stop()

ingest = data.ingest_daily(version, filters.start, filters.end)
if ingest.empty:
    ui.empty_state("No arrival day in this date range.", "Widen the date range, or run the pipeline.")
    st.stop()

events = data.events_daily(version, filters.start, filters.end)
pii = data.pii_findings(version, filters.start, filters.end)
versions = data.dataset_versions(version)
lines_read = int(ingest["lines_read"].sum())
quarantined = int(ingest["quarantined"].sum())

kpis = st.columns(5)
kpis[0].metric("Lines read", ui.count(lines_read), border=True,
               delta=f"{ingest['ingest_date'].nunique()} arrival days", delta_color="off", delta_arrow="off")
kpis[1].metric("Quarantined", ui.count(quarantined), border=True,
               delta=ui.pct(quarantined / lines_read if lines_read else None, 2) + " of lines", delta_color="off",
               delta_arrow="off", help="Lines that broke the contract; the reasons are below.")
kpis[2].metric("Duplicates dropped", ui.count(ingest["duplicates"].sum()), border=True)
kpis[3].metric("PII findings replaced", ui.count(pii["findings"].sum() if not pii.empty else 0), border=True)
kpis[4].metric("Dataset versions", ui.count(len(versions)), border=True,
               delta=f"{versions['bytes'].sum() / 1e6:,.1f} MB" if not versions.empty else None, delta_color="off",
               delta_arrow="off")

left, right = st.columns(2, gap="large")
with left:
    st.subheader("Ingest per arrival day")
    outcome = ingest.melt(id_vars=["ingest_date", "event_source"], value_vars=["loaded", "quarantined", "duplicates"],
                          var_name="outcome", value_name="lines")
    order = ["loaded", "duplicates", "quarantined"]
    bars = alt.Chart(outcome).mark_bar().encode(
        x=alt.X("yearmonthdate(ingest_date):O", title=None, axis=alt.Axis(format="%a %d %b", labelAngle=0)),
        y=alt.Y("sum(lines):Q", title="Lines", axis=alt.Axis(format="~s")),
        color=alt.Color("outcome:N", scale=alt.Scale(domain=order, range=["#0EA5E9", "#94A3B8", "#DC2626"]),
                        sort=order, legend=alt.Legend(orient="top", title=None)),
        order=alt.Order("outcome_rank:Q"),
        tooltip=[alt.Tooltip("ingest_date:T", title="Arrival day"), "event_source:N", "outcome:N",
                 alt.Tooltip("sum(lines):Q", format=",", title="Lines")],
    ).transform_calculate(outcome_rank="indexof(" + str(order) + ", datum.outcome)").properties(height=340)
    ui.chart(bars, ingest, "ingest-per-arrival-day")
with right:
    st.subheader("Events per arrival day")
    if events.empty:
        ui.empty_state("No interaction events in this date range.")
    else:
        stack = alt.Chart(events).mark_bar().encode(
            x=alt.X("yearmonthdate(ingest_date):O", title=None, axis=alt.Axis(format="%a %d %b", labelAngle=0)),
            y=alt.Y("sum(events):Q", title="Events kept (deduplicated)", axis=alt.Axis(format="~s")),
            color=alt.Color("event_type:N", scale=alt.Scale(scheme="tableau20"),
                            legend=alt.Legend(orient="right", title=None, labelLimit=220)),
            tooltip=[alt.Tooltip("ingest_date:T", title="Arrival day"), "event_type:N",
                     alt.Tooltip("sum(events):Q", format=",", title="Events"),
                     alt.Tooltip("sum(late_events):Q", format=",", title="Happened on an earlier day")],
        ).properties(height=340)
        ui.chart(stack, events, "events-per-day")

left, right = st.columns(2, gap="large")
with left:
    st.subheader("Quarantine reasons")
    reasons = data.quarantine_reasons(version, filters.start, filters.end)
    if reasons.empty:
        st.success("No line was quarantined in this date range.", icon=":material/check_circle:")
    else:
        reasons = reasons.assign(reason=lambda f: f["reason_code"].str.replace("_", " ") + " (" + f["event_source"] + ")")
        palette = dict.fromkeys(reasons["reason"], "#DC2626")
        ui.chart(ui.bar_with_labels(reasons, "reason", "lines", palette, "Lines", ",.0f", label_fn=ui.count),
                 reasons, "quarantine-reasons")
with right:
    st.subheader("Personal data and secrets replaced")
    if pii.empty:
        ui.empty_state("No scrubber findings recorded.",
                       "The privacy stage writes them (lake/ops/pii_findings); none in this date range.")
    else:
        findings = alt.Chart(pii).mark_bar().encode(
            y=alt.Y("entity_type:N", sort="-x", title=None),
            x=alt.X("sum(findings):Q", title="Findings replaced"),
            color=alt.Color("field:N", scale=alt.Scale(scheme="set2"), legend=alt.Legend(orient="top", title=None)),
            tooltip=["entity_type:N", "field:N", alt.Tooltip("sum(findings):Q", format=",", title="Findings")],
        ).properties(height=ui.rows_height(pii["entity_type"].nunique(), 30))
        ui.chart(findings, pii, "pii-findings")

st.subheader("Training-set versions")
if versions.empty:
    ui.empty_state("No dataset version exported yet.",
                   "Versions appear here once the training-set stage writes exports/datasets/<name>/<version>/.")
else:
    ui.table(versions.assign(megabytes=versions["bytes"] / 1e6).drop(columns=["bytes"]), "dataset-versions",
             column_config={"megabytes": st.column_config.NumberColumn("Size (MB)", format="%.2f")})

with st.expander("What the dashboards' snapshot holds"):
    info = data.snapshot_info(version)
    if not info.empty:
        st.caption(f"Built {info.iloc[0]['built_at']:%Y-%m-%d %H:%M:%S} UTC from {info.iloc[0]['warehouse']}")
    ui.table(data.snapshot_tables(version), "snapshot-tables")
