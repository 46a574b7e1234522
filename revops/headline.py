"""The report's first section: per segment, the numbers a sales leader reads first."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from revops.report import Section, figure_png  # noqa: E402

TOTAL = "Total"  # the forecast's name for the company total; the funnel's "ALL" is renamed to it


def headline_table(state, targets: pd.DataFrame | None, period: pd.Period) -> pd.DataFrame:
    """segment x (target, forecast, probability of target, funnel goals, AE gap, quota)."""
    frames = []
    if targets is not None:
        t = targets[targets["period"] == str(period)].groupby("segment")["target"].sum()
        frames.append(pd.concat([t, pd.Series({TOTAL: t.sum()})]).rename("target"))
    if state.pipeline is not None:
        pipe = state.pipeline.table.set_index("segment")
        keep = {"p10": "forecast_p10", "p50": "forecast_p50", "p90": "forecast_p90",
                "probability_of_target": "p_reach_target"}
        frames.append(pipe[[c for c in keep if c in pipe.columns]].rename(columns=keep))
    if state.funnel_totals is not None:
        goals = state.funnel_totals.replace({"segment": {"ALL": TOTAL}}).pivot_table(index="segment", columns="stage",
                                                         values="still_needed", aggfunc="sum")
        names = {"opportunity": "opportunities_needed", "sql": "sql_goal", "mql": "mql_goal"}
        frames.append(goals[[c for c in names if c in goals.columns]].rename(columns=names))
        head = state.headcount.replace({"segment": {"ALL": TOTAL}})
        ae = head[head["role"] == "ae"].groupby("segment")[["needed", "on_file"]].sum()
        frames.append(ae.rename(columns={"needed": "aes_needed", "on_file": "aes_on_file"}))
    if state.territory is not None:
        quota = state.territory.rep_summary.groupby("segment")["quota"].sum()
        frames.append(pd.concat([quota, pd.Series({TOTAL: quota.sum()})]).rename("quota_total"))
    if not frames:
        return pd.DataFrame()
    table = pd.concat(frames, axis=1).rename_axis("segment").reset_index()
    # Segments alphabetically, the company total last.
    order = table["segment"].astype(str).map(lambda s: (s == TOTAL, s))
    return table.iloc[sorted(range(len(table)), key=lambda i: order.iloc[i])].reset_index(drop=True)


def forecast_vs_target_figure(table: pd.DataFrame):
    """Bars: forecast p50 with its p10-p90 range against the target, per segment."""
    data = table[table["segment"].astype(str) != TOTAL].dropna(subset=["forecast_p50"])
    fig, ax = plt.subplots(figsize=(7, 3.6))
    x = range(len(data))
    ax.bar(x, data["forecast_p50"], color="#4c78a8", label="forecast (p50)")
    ax.errorbar(x, data["forecast_p50"],
                yerr=[data["forecast_p50"] - data["forecast_p10"], data["forecast_p90"] - data["forecast_p50"]],
                fmt="none", ecolor="#1d2733", capsize=6, label="p10-p90")
    if "target" in data:
        ax.scatter(x, data["target"], marker="_", s=900, color="#e45756", linewidths=3, label="target", zorder=3)
    ax.set_xticks(list(x), data["segment"].astype(str))
    ax.set_ylabel("bookings")
    ax.legend(loc="upper right", fontsize=8, framealpha=0.9)
    ax.set_title("Plan quarter: forecast vs target")
    fig.tight_layout()
    return fig


def headline_section(state, targets: pd.DataFrame | None, period: pd.Period) -> Section | None:
    table = headline_table(state, targets, period)
    if table.empty:
        return None
    section = Section(f"{period} at a glance", anchor="headline")
    section.paragraphs.append(
        "Per segment: the target, the bookings forecast for the quarter (closed to date + weighted "
        "pipeline + expected new business) with its p10-p90 range and the probability of reaching "
        "the target; the funnel goals still to be met (the SLA numbers); account executives needed "
        "vs on file; and the quotas set by the territory plan (they add up to target x (1 + over-assignment))."
    )
    section.tables.append(("", table))
    if {"forecast_p10", "forecast_p50", "forecast_p90"} <= set(table.columns):
        fig = forecast_vs_target_figure(table)
        section.figures.append(("Forecast vs target per segment", figure_png(fig)))
        plt.close(fig)
    return section
