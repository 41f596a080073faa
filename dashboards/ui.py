"""What every page shares: number formats, stable colours, Altair charts with a CSV download, empty states.

Pages compose these; they hold layout, not SQL (that is ``dashboards.data``) and not metric
definitions (those are the dbt marts).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import altair as alt
import pandas as pd
import streamlit as st

from dashboards import data

FILL_COMMAND = "`make demo` (simulate a week and run everything) or `flywheel run` (after `flywheel generate`)"

# Stable colours: a model, plan or movement has the same colour on every chart.
MODEL_COLORS = {
    "Claude Sonnet 4.5": "#D97757",
    "GPT-5": "#10A37F",
    "Gemini 2.5 Pro": "#4285F4",
    "Flywheel Coder 7B": "#8B5CF6",
    "gpt-5-preview-0925": "#9CA3AF",
}
FALLBACK_COLORS = ["#F59E0B", "#EC4899", "#14B8A6", "#64748B", "#A3E635"]
PLAN_COLORS = {
    "none": "#CBD5E1",
    "free": "#93C5FD",
    "pro": "#3B82F6",
    "team": "#1D4ED8",
    "enterprise": "#1E3A8A",
}
MOVEMENT_COLORS = {
    "Opening": "#64748B",
    "New": "#16A34A",
    "Expansion": "#4ADE80",
    "Reactivation": "#0EA5E9",
    "Contraction": "#F59E0B",
    "Churn": "#DC2626",
    "Closing": "#334155",
}
BEFORE_AFTER_COLORS = {"Before": "#94A3B8", "After": "#8B5CF6"}
PROVIDER_NAMES = {"anthropic": "Anthropic", "openai": "OpenAI", "gcp.gemini": "Google", "flywheel": "Flywheel (in-house)"}
PROVIDER_COLORS = {"Anthropic": "#D97757", "OpenAI": "#10A37F", "Google": "#4285F4", "Flywheel (in-house)": "#8B5CF6"}
INTENT_NAMES = {
    "new_app": "New app",
    "add_feature": "Add feature",
    "fix_bug": "Fix with AI",
    "change_style": "Restyle",
    "follow_up": "Chat follow-up",
    "other": "Other",
    "unknown": "Unknown",
}


# ---------------------------------------------------------------------------------------------
# Formats
# ---------------------------------------------------------------------------------------------


def _missing(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def usd(value: float | None) -> str:
    """Money for a headline: $642.5k, $1.25M, $312, $0.0231 (small amounts keep 3 significant digits)."""
    if _missing(value):
        return "–"
    sign = "-" if value < 0 else ""
    amount = abs(value)
    if amount >= 1e6:
        return f"{sign}${amount / 1e6:,.2f}M"
    if amount >= 1e4:
        return f"{sign}${amount / 1e3:,.1f}k"
    if amount >= 100:
        return f"{sign}${amount:,.0f}"
    if amount >= 1:
        return f"{sign}${amount:,.2f}"
    if amount == 0:
        return "$0"
    return f"{sign}${amount:.3g}"


def usd_exact(value: float | None) -> str:
    return "–" if _missing(value) else f"${value:,.2f}"


def pct(value: float | None, digits: int = 1) -> str:
    return "–" if _missing(value) else f"{value * 100:.{digits}f}%"


def count(value: float | None) -> str:
    return "–" if _missing(value) else f"{value:,.0f}"


def provider_name(provider: str) -> str:
    return PROVIDER_NAMES.get(provider, provider)


def rows_height(rows: int, per_row: int = 40, frame: int = 90) -> int:
    """Chart height for ``rows`` bands: Streamlit fits axes and legend inside the height it is given."""
    return frame + per_row * max(rows, 1)


def intent_name(intent: str) -> str:
    return INTENT_NAMES.get(intent, intent.replace("_", " ").capitalize())


def color_scale(names: Sequence[str], palette: dict[str, str]) -> alt.Scale:
    """A colour scale that keeps each known name's colour; unknown names take spare colours."""
    domain = list(dict.fromkeys(names))
    spare = iter(FALLBACK_COLORS * 4)
    return alt.Scale(domain=domain, range=[palette.get(n) or next(spare) for n in domain])


# ---------------------------------------------------------------------------------------------
# Page furniture
# ---------------------------------------------------------------------------------------------


def require_snapshot() -> data.SnapshotVersion:
    """The snapshot to read; without one, say which command makes it and stop the page."""
    version = data.snapshot_version()
    if version is None:
        st.info(
            f"**No data yet.** The dashboards read a snapshot of the marts at "
            f"`{data.snapshot_path()}`, and it does not exist. Run {FILL_COMMAND}; the last step "
            "of every run writes the snapshot, and this page shows it on the next refresh.",
            icon=":material/hourglass_empty:",
        )
        st.stop()
    return version


def empty_state(what: str, why: str = "") -> None:
    st.info(f"**{what}** {why or 'Run ' + FILL_COMMAND + ' to fill it.'}", icon=":material/inbox:")


def page_header(title: str, caption: str) -> None:
    st.title(title)
    st.caption(caption)


def download(frame: pd.DataFrame, name: str, label: str = "CSV") -> None:
    """A download button for exactly the rows a chart or table shows."""
    st.download_button(
        f"Download {label}",
        frame.to_csv(index=False).encode(),
        file_name=f"{name}.csv",
        mime="text/csv",
        key=f"download-{name}",
        icon=":material/download:",
        on_click="ignore",
        type="tertiary",
    )


def chart(chart_spec: alt.TopLevelMixin, frame: pd.DataFrame, name: str) -> None:
    """An Altair chart across the column, and the CSV of what it shows under it."""
    st.altair_chart(chart_spec, width="stretch")
    download(frame, name)


def table(frame: pd.DataFrame, name: str, column_config: dict | None = None, height: int | str = "auto") -> None:
    st.dataframe(frame, hide_index=True, width="stretch", column_config=column_config, height=height)
    download(frame, name)


# ---------------------------------------------------------------------------------------------
# Charts
# ---------------------------------------------------------------------------------------------


def waterfall_frame(row: pd.Series) -> pd.DataFrame:
    """The bridge of one month as waterfall steps: where each bar starts and ends."""
    steps = [
        ("Opening", row["opening_mrr_usd"], "total"),
        ("New", row["new_mrr_usd"], "up"),
        ("Expansion", row["expansion_mrr_usd"], "up"),
        ("Reactivation", row["reactivation_mrr_usd"], "up"),
        ("Contraction", -row["contraction_mrr_usd"], "down"),
        ("Churn", -row["churn_mrr_usd"], "down"),
    ]
    rows, level = [], 0.0
    for label, amount, kind in steps:
        start = 0.0 if kind == "total" else level
        end = float(amount) if kind == "total" else level + float(amount)
        rows.append({"step": label, "amount_usd": float(amount), "start_usd": start, "end_usd": end, "kind": kind})
        level = end
    rows.append({"step": "Closing", "amount_usd": float(row["closing_mrr_usd"]), "start_usd": 0.0,
                 "end_usd": float(row["closing_mrr_usd"]), "kind": "total"})
    frame = pd.DataFrame(rows)
    frame["label"] = [
        usd(a) if k == "total" else ("" if a == 0 else ("+" if a > 0 else "−") + usd(abs(a)))
        for a, k in zip(frame["amount_usd"], frame["kind"], strict=True)
    ]
    return frame


def waterfall_domain(frame: pd.DataFrame) -> tuple[float, float]:
    """A y range around the movements: against a large opening MRR they would be invisible from $0."""
    levels = pd.concat([frame.loc[frame["kind"] != "total", "start_usd"], frame.loc[frame["kind"] != "total", "end_usd"]])
    low, high = float(levels.min()), float(levels.max())
    pad = max((high - low) * 0.6, high * 0.002, 1.0)
    return max(0.0, low - pad), high + pad


def waterfall_chart(frame: pd.DataFrame) -> alt.LayerChart:
    order = list(frame["step"])
    low, high = waterfall_domain(frame)
    base = alt.Chart(frame).encode(
        x=alt.X("step:N", sort=order, title=None, axis=alt.Axis(labelAngle=0, labelOverlap=False, labelFontSize=10))
    )
    bars = base.mark_bar(cornerRadius=3, size=40, clip=True).encode(
        y=alt.Y("start_usd:Q", title="MRR (USD, axis zoomed)", axis=alt.Axis(format="$,.0f"),
                scale=alt.Scale(domain=[low, high], zero=False)),
        y2="end_usd:Q",
        color=alt.Color("step:N", scale=color_scale(order, MOVEMENT_COLORS), legend=None),
        tooltip=[alt.Tooltip("step:N", title="Movement"), alt.Tooltip("amount_usd:Q", title="USD", format="$,.2f")],
    )
    labels = base.mark_text(dy=-8, fontSize=12, fontWeight="bold", clip=True).encode(
        y=alt.Y("label_at:Q"), text="label:N"
    ).transform_calculate(label_at=f"min(max(datum.start_usd, datum.end_usd), {high})")
    return (bars + labels).properties(height=360)


def movements_chart(bridge: pd.DataFrame) -> alt.LayerChart:
    """Monthly movements as diverging bars (gains up, losses down) and net new MRR as a line."""
    long = bridge.melt(
        id_vars=["month", "month_label"],
        value_vars=["new_mrr_usd", "expansion_mrr_usd", "reactivation_mrr_usd", "contraction_mrr_usd", "churn_mrr_usd"],
        var_name="movement", value_name="usd",
    )
    long["movement"] = long["movement"].str.removesuffix("_mrr_usd").str.capitalize()
    long.loc[long["movement"].isin(["Contraction", "Churn"]), "usd"] *= -1
    order = ["New", "Expansion", "Reactivation", "Contraction", "Churn"]
    months = list(bridge["month_label"])
    bars = alt.Chart(long).mark_bar().encode(
        x=alt.X("month_label:O", title=None, sort=months, axis=alt.Axis(labelAngle=0)),
        y=alt.Y("sum(usd):Q", title="MRR movement (USD)", axis=alt.Axis(format="$,.0f")),
        color=alt.Color("movement:N", scale=color_scale(order, MOVEMENT_COLORS), sort=order,
                        legend=alt.Legend(orient="top", title=None)),
        order=alt.Order("movement_rank:Q"),
        tooltip=["month:O", "movement:N", alt.Tooltip("usd:Q", format="$,.2f", title="USD")],
    ).transform_calculate(movement_rank="indexof(" + str(order) + ", datum.movement)")
    net = alt.Chart(bridge).mark_line(point=True, color="#0F172A", strokeWidth=2).encode(
        x=alt.X("month_label:O", sort=months), y="net_new_mrr_usd:Q",
        tooltip=["month:O", alt.Tooltip("net_new_mrr_usd:Q", format="$,.2f", title="Net new MRR")],
    )
    return (bars + net).properties(height=360)


def stacked_area(frame: pd.DataFrame, x: str, y: str, color: str, palette: dict[str, str],
                 y_title: str, y_format: str = "$,.2f", x_type: str = "T") -> alt.Chart:
    names = sorted(frame[color].unique())
    return alt.Chart(frame).mark_area(opacity=0.88, line=True).encode(
        x=alt.X(f"{x}:{x_type}", title=None),
        y=alt.Y(f"sum({y}):Q", title=y_title, stack=True, axis=alt.Axis(format=y_format)),
        color=alt.Color(f"{color}:N", scale=color_scale(names, palette), legend=alt.Legend(orient="top", title=None)),
        tooltip=[alt.Tooltip(f"{x}:{x_type}"), f"{color}:N", alt.Tooltip(f"sum({y}):Q", format=y_format, title=y_title)],
    ).properties(height=300)


def bar_with_labels(frame: pd.DataFrame, category: str, value: str, palette: dict[str, str],
                    value_title: str, value_format: str = "$,.2f", label_fn=usd) -> alt.LayerChart:
    """Horizontal bars, longest first, each labelled with its value."""
    frame = frame.assign(_label=[label_fn(v) for v in frame[value]])
    order = list(frame.sort_values(value, ascending=False)[category])
    base = alt.Chart(frame).encode(y=alt.Y(f"{category}:N", sort=order, title=None, axis=alt.Axis(labelLimit=260)))
    bars = base.mark_bar(cornerRadiusEnd=3).encode(
        x=alt.X(f"{value}:Q", title=value_title, axis=alt.Axis(format=value_format)),
        color=alt.Color(f"{category}:N", scale=color_scale(order, palette), legend=None),
        tooltip=[f"{category}:N", alt.Tooltip(f"{value}:Q", format=value_format, title=value_title)],
    )
    text = base.mark_text(align="left", dx=4, fontSize=12).encode(x=f"{value}:Q", text="_label:N")
    return (bars + text).properties(height=rows_height(len(order)))


def rate_with_interval(frame: pd.DataFrame, rate: str, low: str, high: str, row: str, color: str,
                       palette: dict[str, str], title: str, order: list[str] | None = None) -> alt.LayerChart:
    """Point estimates with their 95% intervals as bars, one row per ``row``, one colour per ``color``."""
    names = order or sorted(frame[color].unique())
    offset = alt.YOffset(f"{color}:N", scale=alt.Scale(domain=names))
    base = alt.Chart(frame).encode(
        y=alt.Y(f"{row}:N", title=None),
        yOffset=offset,
        color=alt.Color(f"{color}:N", scale=color_scale(names, palette),
                        legend=alt.Legend(orient="top", title=None, columns=3, labelLimit=200)),
        tooltip=[f"{row}:N", f"{color}:N",
                 alt.Tooltip(f"{rate}:Q", format=".1%", title=title),
                 alt.Tooltip(f"{low}:Q", format=".1%", title="95% CI low"),
                 alt.Tooltip(f"{high}:Q", format=".1%", title="95% CI high")],
    )
    rule = base.mark_rule(strokeWidth=2.5, opacity=0.7).encode(
        x=alt.X(f"{low}:Q", title=title, axis=alt.Axis(format="%"), scale=alt.Scale(zero=False)),
        x2=f"{high}:Q",
    )
    point = base.mark_point(filled=True, size=70, opacity=1).encode(x=f"{rate}:Q")
    return (rule + point).properties(height=rows_height(frame[row].nunique(), per_row=16 * len(names) + 14, frame=120))
