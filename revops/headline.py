"""The report's first section and ``summary.json``'s ``headline``: per segment, the numbers a
sales leader reads first, the same everywhere.

The forecast is the plan quarter's one forecast (``PlanState.quarter``: the pipeline and
time-series views combined); the funnel headline is what is still needed from today; the
capacity headline the AEs needed at the forecast's productivity; the quota headline the quotas
the territory plan set against the target.
"""
from __future__ import annotations

import html
import math
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from revops.report import Section, Table, figure_png  # noqa: E402
from revops.report_format import axis_money, money, share  # noqa: E402

TOTAL = "Total"  # the forecast's name for the company total; the funnel's "ALL" is renamed to it
FUNNEL_KEYS = {"won": "won", "opportunity": "opportunities", "sql": "sqls", "mql": "mqls"}


def headline_table(state, targets: pd.DataFrame | None, period: pd.Period) -> pd.DataFrame:
    """segment x (target, forecast p10/p50/p90, p_target, gap, funnel still needed, AEs, quota)."""
    frames = []
    if targets is not None:
        t = targets[targets["period"].astype(str) == str(period)].groupby("segment")["target"].sum()
        frames.append(pd.concat([t, pd.Series({TOTAL: t.sum()})]).rename("target"))
    quarter = getattr(state, "quarter", None)
    if quarter is not None:
        table = quarter.table.set_index("segment")
        keep = {"p10": "forecast_p10", "p50": "forecast_p50", "p90": "forecast_p90", "p_target": "p_target"}
        frames.append(table[[c for c in keep if c in table.columns]].rename(columns=keep))
    elif state.pipeline is not None:
        pipe = state.pipeline.table.set_index("segment")
        keep = {"p10": "forecast_p10", "p50": "forecast_p50", "p90": "forecast_p90",
                "probability_of_target": "p_target"}
        frames.append(pipe[[c for c in keep if c in pipe.columns]].rename(columns=keep))
    if state.funnel_totals is not None:
        totals = state.funnel_totals.replace({"segment": {"ALL": TOTAL}})
        still = totals.pivot_table(index="segment", columns="stage", values="still_needed", aggfunc="sum")
        frames.append(still[[c for c in FUNNEL_KEYS if c in still.columns]].rename(
            columns={s: f"{FUNNEL_KEYS[s]}_still_needed" for s in FUNNEL_KEYS}))
        opps = totals[totals["stage"] == "opportunity"].set_index("segment")
        if "gap" in opps.columns:
            frames.append(opps[["due_before_as_of", "actual", "gap"]].rename(columns={
                "due_before_as_of": "opportunities_due_before_as_of",
                "actual": "opportunities_created_before_as_of", "gap": "opportunities_gap"}))
    if state.headcount is not None:
        head = state.headcount.replace({"segment": {"ALL": TOTAL}})
        ae = head[head["role"] == "ae"].groupby("segment")[
            [c for c in ("needed", "on_file", "productive_fte", "needed_from_history") if c in head.columns]].sum(min_count=1)
        frames.append(ae.rename(columns={"needed": "aes_needed", "on_file": "aes_on_file",
                                         "productive_fte": "aes_productive_fte",
                                         "needed_from_history": "aes_needed_from_history"}))
    if state.territory is not None:
        reps = state.territory.rep_summary
        segment = reps["segment"] if "segment" in reps.columns else reps["pool"].str.split("/").str[0]
        quota = reps.groupby(segment)["quota"].sum()
        frames.append(pd.concat([quota, pd.Series({TOTAL: quota.sum()})]).rename("quota_total"))
    if not frames:
        return pd.DataFrame()
    table = pd.concat(frames, axis=1).rename_axis("segment").reset_index()
    if "target" in table and "forecast_p50" in table:
        table["gap_to_target"] = table["target"] - table["forecast_p50"]
    if "target" in table and "quota_total" in table:
        table["quota_coverage"] = table["quota_total"] / table["target"].where(table["target"] > 0)
    # Segments alphabetically, the company total last.
    order = table["segment"].astype(str).map(lambda s: (s == TOTAL, s))
    return table.iloc[sorted(range(len(table)), key=lambda i: order.iloc[i])].reset_index(drop=True)


def _clean(value: Any) -> Any:
    if isinstance(value, (float, int)) and not isinstance(value, bool):
        value = float(value)
        return None if not math.isfinite(value) else round(value, 4 if abs(value) < 10 else 2)
    return value


def headline_summary(state, targets: pd.DataFrame | None, period: pd.Period,
                     currency: str | None = None) -> dict[str, Any]:
    """``summary.json``'s ``headline``: ``segments.<segment>`` with target, forecast_p10/p50/p90,
    p_target, gap_to_target, the funnel (``*_still_needed``, ``opportunities_gap``), capacity
    (``aes_*``) and quota (``quota_total``, ``quota_coverage``) headlines."""
    table = headline_table(state, targets, period)
    segments = {str(row["segment"]): {k: _clean(v) for k, v in row.items() if k != "segment"}
                for row in table.to_dict("records")}
    out: dict[str, Any] = {"period": str(period), "currency": currency, "segments": segments}
    quarter = getattr(state, "quarter", None)
    if quarter is not None:
        out["forecast_rule"] = quarter.rule
        out["forecast_weights"] = {"pipeline": round(float(quarter.weight_pipeline), 4),
                                   "time_series": round(1 - float(quarter.weight_pipeline), 4)}
    return out


def forecast_vs_target_figure(table: pd.DataFrame, currency: str | None = None):
    """Bars: forecast p50 with its p10-p90 range against the target, per segment."""
    data = table[table["segment"].astype(str) != TOTAL].dropna(subset=["forecast_p50"])
    fig, ax = plt.subplots(figsize=(7.5, 3.8))
    x = list(range(len(data)))
    ax.bar(x, data["forecast_p50"], color="#4c78a8", width=0.6, label="forecast (P50)")
    ax.errorbar(x, data["forecast_p50"],
                yerr=[data["forecast_p50"] - data["forecast_p10"], data["forecast_p90"] - data["forecast_p50"]],
                fmt="none", ecolor="#1d2733", capsize=6, label="P10-P90 range")
    if "target" in data:
        ax.scatter(x, data["target"], marker="_", s=1400, color="#e45756", linewidths=3, label="target", zorder=3)
    ax.set_xticks(x, data["segment"].astype(str))
    ax.set_ylabel(f"bookings{f' ({currency})' if currency else ''}")
    axis_money(ax, "y", currency)
    ax.set_ylim(0, max(float(data["forecast_p90"].max()), float(data.get("target", data["forecast_p90"]).max())) * 1.08)
    ax.grid(axis="y", alpha=0.3)
    ax.set_title("Plan quarter: forecast vs target", loc="left")
    # Outside the axes: a legend never sits on a bar or a target marker.
    ax.legend(loc="upper left", bbox_to_anchor=(1.03, 1.0), fontsize=8, frameon=False,
              handlelength=2.5)
    fig.tight_layout()
    return fig


def _gap(value: float, currency: str | None) -> str:
    """Target minus P50 in words: '$1.08M short', '$552K ahead'."""
    if not pd.notna(value):
        return ""
    if abs(value) < 0.5:
        return "on target"
    return f"{money(abs(value), currency, compact=True)} {'short' if value > 0 else 'ahead'}"


def _range(row: pd.Series, currency: str | None) -> str:
    return f"{money(row['forecast_p10'], currency, compact=True)} – {money(row['forecast_p90'], currency, compact=True)}"


def headline_section(state, targets: pd.DataFrame | None, period: pd.Period,
                     currency: str | None = None) -> Section | None:
    table = headline_table(state, targets, period)
    if table.empty:
        return None
    section = Section(f"{period} at a glance", anchor="headline")
    has_forecast = {"forecast_p10", "forecast_p50", "forecast_p90"} <= set(table.columns)
    total = table[table["segment"] == TOTAL]
    if len(total) and has_forecast and "target" in table:
        row = total.iloc[0]

        def m(value: float) -> str:
            return html.escape(money(value, currency, compact=True))

        words = [f"<b>{period}</b>: forecast <b>{m(row['forecast_p50'])}</b> "
                 f"against a target of {m(row['target'])}"]
        if row["target"] > 0:
            words.append(f" ({share(row['forecast_p50'] / row['target'])} of target)")
        if "p_target" in row and pd.notna(row["p_target"]):
            words.append(f"; a <b>{share(row['p_target'])}</b> chance of reaching it")
        words.append(f"; 8 times in 10 between {html.escape(_range(row, currency)).replace(' – ', ' and ')}.")
        if pd.notna(row.get("aes_needed")) and pd.notna(row.get("aes_on_file")):
            words.append(f" {row['aes_needed']:,.1f} AEs needed at the forecast's productivity, "
                         f"{row['aes_on_file']:,.0f} on file.")
        if pd.notna(row.get("opportunities_still_needed")):
            words.append(f" Still needed from today: {row['opportunities_still_needed']:,.0f} new "
                         f"opportunities, {row.get('won_still_needed', 0):,.0f} won deals beyond "
                         "the open pipeline.")
        section.blocks.append(f"<p class='callout'>{''.join(words)}</p>")
    shown = pd.DataFrame({"segment": table["segment"]})
    kinds = {}
    if "target" in table:
        shown["target"] = [money(v, currency, compact=True) for v in table["target"]]
    if has_forecast:
        shown["forecast_p50"] = [money(v, currency, compact=True) for v in table["forecast_p50"]]
        shown["range"] = [_range(r, currency) for _, r in table.iterrows()]
    if "p_target" in table:
        shown["p_target"] = [share(v) for v in table["p_target"]]
    if "gap_to_target" in table:
        shown["gap_to_target"] = [_gap(v, currency) for v in table["gap_to_target"]]
    if "quota_coverage" in table:
        shown["quota_coverage"] = [share(v) for v in table["quota_coverage"]]
    if "aes_needed" in table:
        shown["aes"] = [f"{n:,.1f} / {o:,.0f}" if pd.notna(n) and pd.notna(o) else ""
                        for n, o in zip(table["aes_needed"], table.get("aes_on_file", table["aes_needed"]))]
    kinds = {c: "raw" for c in shown.columns if c != "segment"}
    section.tables.append(Table(
        shown, "", kinds=kinds, key=("segment",), css_id="headline-table", css_class="headline",
        cell_classes=True,
        labels={"forecast_p50": "Forecast (P50)", "range": "Range (P10 – P90)",
                "p_target": "P(target)", "gap_to_target": "Gap to target",
                "quota_coverage": "Quotas / target", "aes": "AEs needed / on file"}))
    if has_forecast:
        fig = forecast_vs_target_figure(table, currency)
        section.figures.append(("Forecast (P50) with its P10-P90 range against the target, per segment",
                                figure_png(fig)))
        plt.close(fig)
    return section


def guide_section(period: pd.Period, as_of: pd.Timestamp, currency: str | None = None) -> Section:
    """'How to read this report': what each number means, in a few lines."""
    first = (as_of + pd.Timedelta(days=1)).strftime("%B %Y")
    items = [
        f"<b>Forecast (P50)</b>: the one bookings forecast for {period} per segment; half the "
        "outcomes fall above, half below. It combines the pipeline (open deals x win probability, "
        "plus new business) and the trend of past bookings, weighted by how each did on past quarters.",
        "<b>Range (P10 – P90)</b>: 8 times out of 10 the quarter lands inside it.",
        "<b>P(target)</b>: the chance of reaching the target. <b>Gap to target</b>: how far the P50 "
        "is short of the target (or ahead of it).",
        "<b>Quotas / target</b>: the quotas the territory plan set, against the target (above 100% "
        "by the over-assignment).",
        "<b>AEs needed / on file</b>: account executives the target needs at the productivity the "
        "forecast expects of today's team, against the reps on file.",
        f"<b>Funnel</b>: months before {first} are over and show what happened and the gap; 'still "
        "needed' counts only what new work can still bring, after the open pipeline and open leads.",
        f"Amounts are in {html.escape(currency)}." if currency else
        "Amounts are in the currency of the export (set [report] currency in the plan file to show it).",
        "Wide tables scroll sideways; hover a column header for its name in the CSV files.",
    ]
    section = Section("How to read this report", anchor="guide")
    section.blocks.append("<ul class='guide'>" + "".join(f"<li>{i}</li>" for i in items) + "</ul>")
    return section
