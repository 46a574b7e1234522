"""Figures of a review: SLA compliance by month and segment, plan vs actual by stage."""
from __future__ import annotations

import matplotlib
import matplotlib.patches  # noqa: F401 - legend handles

matplotlib.use("Agg", force=False)
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from forecasting.review.plan_vs_actual import STAGE_ORDER  # noqa: E402
from forecasting.review.sla import ALL  # noqa: E402

STAGE_NAMES = {"mql": "MQLs", "sql": "SQLs", "opportunity": "Opportunities", "won": "Won deals"}


def plot_sla_compliance(summary: pd.DataFrame, title: str = "SLA compliance by month"):
    """Two panels: first touch within the SLA, and cadence met, per month, one line per segment."""
    rows = summary[summary["month"] != ALL]
    fig, axes = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
    for ax, column, name in ((axes[0], "first_touch_in_sla_share", "First touch within the SLA"),
                             (axes[1], "cadence_met_share", "Cadence met (window over)")):
        for segment, part in rows.groupby("segment", sort=False):
            style = {"color": "black", "linewidth": 2.2} if segment == ALL else {"linewidth": 1.2, "alpha": 0.8}
            ax.plot(part["month"], part[column], label="All segments" if segment == ALL else segment, **style)
        ax.set_title(name)
        ax.set_ylim(0, 1)
        ax.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
        ticks = sorted(rows["month"].unique())
        step = max(1, len(ticks) // 8)
        ax.set_xticks(ticks[::step])
        ax.tick_params(axis="x", rotation=45)
        ax.grid(alpha=0.3)
    axes[1].legend(loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_plan_vs_actual(stage_totals: pd.DataFrame, title: str = "Last plan vs actual by stage"):
    """Attainment (actual / planned) per stage and segment; the bottleneck stage is outlined."""
    frame = stage_totals.copy()
    segments = list(dict.fromkeys(frame["segment"]))
    stages = [s for s in STAGE_ORDER if s in set(frame["stage"])]
    fig, ax = plt.subplots(figsize=(9, 4))
    width = 0.8 / max(len(segments), 1)
    x = np.arange(len(stages))
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    handles = []
    for i, segment in enumerate(segments):
        part = frame[frame["segment"] == segment].set_index("stage").reindex(stages)
        colour = "#444444" if segment == ALL else colours[i % len(colours)]
        bars = ax.bar(x + i * width, part["attainment"].fillna(0).to_numpy(), width, color=colour)
        handles.append(matplotlib.patches.Patch(color=colour, label="All segments" if segment == ALL else segment))
        for bar, flagged in zip(bars, part["bottleneck"].eq(True)):
            if flagged:  # hatched and outlined: the weakest link of this segment
                bar.set_hatch("//")
                bar.set_edgecolor("black")
                bar.set_linewidth(1.5)
    handles.append(matplotlib.patches.Patch(facecolor="white", edgecolor="black", hatch="//", label="bottleneck"))
    ax.axhline(1.0, color="black", linewidth=1, linestyle="--")
    ax.set_xticks(x + width * (len(segments) - 1) / 2)
    ax.set_xticklabels([STAGE_NAMES.get(s, s) for s in stages])
    ax.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    ax.set_ylabel("actual / planned")
    ax.set_title(title)
    ax.legend(handles=handles, loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    return fig


def review_figures(result) -> dict:
    """{"sla_compliance": Figure} when there are activities, {"plan_vs_actual": Figure} with a plan."""
    figures = {}
    if result.has_activities and len(result.sla_summary):
        figures["sla_compliance"] = plot_sla_compliance(result.sla_summary)
    if result.stage_totals is not None and len(result.stage_totals):
        figures["plan_vs_actual"] = plot_plan_vs_actual(result.stage_totals)
    return figures


def plot_sla_scenarios(table: pd.DataFrame):
    """Per scenario: open leads in breach, and the SQL rates of compliant vs non-compliant leads."""
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    y = np.arange(len(table))
    axes[0].barh(y, table["open_leads_in_breach"], color="#c0504d")
    axes[0].set_yticks(y)
    axes[0].set_yticklabels(table["scenario"])
    axes[0].invert_yaxis()
    axes[0].set_title("Open leads in breach now")
    for offset, name, colour in ((-0.18, "compliant", "#2e7d32"), (0.18, "non_compliant", "#9e9e9e")):
        rate = table[f"sql_rate_{name}"]
        err = np.vstack([rate - table[f"sql_rate_{name}_low"], table[f"sql_rate_{name}_high"] - rate])
        axes[1].errorbar(rate, y + offset, xerr=err, fmt="o", color=colour, capsize=3,
                         label=name.replace("_", " "))
    axes[1].set_yticks(y)
    axes[1].set_yticklabels([])
    axes[1].invert_yaxis()
    axes[1].xaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    axes[1].set_title("SQL rate (95% Wilson interval)")
    axes[1].legend(loc="lower right", frameon=False)
    axes[1].grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return fig


def plot_expected_sqls(table: pd.DataFrame):
    """Extra SQLs had every lead been worked to each scenario's SLA (association, not causation)."""
    fig, ax = plt.subplots(figsize=(8, 3.5))
    ax.barh(table["scenario"], table["expected_extra_sqls"], color="#1f77b4")
    ax.invert_yaxis()
    ax.set_xlabel("extra SQLs, had every lead been worked to this SLA")
    ax.set_title("What the SLA is worth (the SQL-rate gap x the leads not worked to it)")
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return fig


def plot_sql_rate_by_cadence(table: pd.DataFrame):
    """SQL rate by first-week calls, one line per emails count: where the cadence stops paying."""
    fig, ax = plt.subplots(figsize=(8, 4))
    for emails, part in table.groupby("emails"):
        ax.errorbar(part["calls"], part["sql_rate"],
                    yerr=np.vstack([part["sql_rate"] - part["sql_rate_low"], part["sql_rate_high"] - part["sql_rate"]]),
                    marker="o", capsize=2, label=f"{emails} emails")
    ax.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    ax.set_xlabel("calls in the cadence window")
    ax.set_ylabel("SQL rate")
    ax.set_title("SQL rate by first-week cadence")
    ax.legend(frameon=False)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig
