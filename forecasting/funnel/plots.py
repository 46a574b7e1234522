"""Funnel plots: the funnel per segment and the monthly goals, as matplotlib ``Figure`` objects
(no pyplot state, no backend switch, no files: the caller saves or shows them)."""
from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from forecasting.funnel.plan import STAGES

STAGE_LABELS = {"mql": "MQLs", "sql": "SQLs", "opportunity": "Opportunities", "won": "Won deals"}
COLORS = {"mql": "#4c78a8", "sql": "#72b7b2", "opportunity": "#f58518", "won": "#54a24b"}


def plot_funnel(plan: pd.DataFrame) -> Figure:
    """One funnel per segment: the plan's total requirement per stage, widest (MQL) on top.

    The light bar is what is required; the dark bar what is still needed once the open MQLs'
    expected SQLs are counted. Bar labels give the count and the conversion rate to the stage below.
    """
    segments = sorted(plan["segment"].unique())
    fig = Figure(figsize=(4.2 * max(1, len(segments)), 3.6))
    axes = fig.subplots(1, max(1, len(segments)), squeeze=False)
    for ax, segment in zip(axes[0], segments):
        part = plan[plan["segment"] == segment]
        stages = [s for s in reversed(STAGES) if s in set(part["stage"])]
        totals = part.groupby("stage")[["required", "still_needed"]].sum()
        rates = part.groupby("stage")["rate"].first()
        widest = max(float(totals["required"].max()), 1e-9)
        for y, stage in enumerate(reversed(stages)):
            required, still = totals.loc[stage, "required"], totals.loc[stage, "still_needed"]
            ax.barh(y, required / widest, left=-required / widest / 2, color=COLORS[stage], alpha=0.35)
            ax.barh(y, still / widest, left=-still / widest / 2, color=COLORS[stage])
            label = f"{STAGE_LABELS[stage]}: {required:,.0f}"
            if still < required - 0.5:
                label += f" ({still:,.0f} still needed)"
            if stage != "won":
                label += f"\nconverts at {rates[stage]:.0%}"
            ax.text(0, y, label, ha="center", va="center", fontsize=8)
        ax.set_title(segment)
        ax.set_xlim(-0.55, 0.55)
        ax.set_ylim(-0.6, len(stages) - 0.4)
        ax.axis("off")
    fig.suptitle("Funnel goals for the plan period (won deals at the bottom)")
    fig.tight_layout()
    return fig


def plot_monthly_goals(plan: pd.DataFrame) -> Figure:
    """Still-needed volume per stage and month, one panel per segment (shows the lag placement)."""
    segments = sorted(plan["segment"].unique())
    fig = Figure(figsize=(8, 2.6 * max(1, len(segments))))
    axes = fig.subplots(max(1, len(segments)), 1, squeeze=False, sharex=True)
    periods = sorted(plan["period"].unique())
    x = np.arange(len(periods))
    for ax, segment in zip(axes[:, 0], segments):
        part = plan[plan["segment"] == segment]
        for stage in STAGES:
            series = part[part["stage"] == stage].groupby("period")["still_needed"].sum().reindex(periods)
            if series.notna().any():
                ax.plot(x, series.to_numpy(), marker="o", color=COLORS[stage], label=STAGE_LABELS[stage])
        ax.set_yscale("log")
        ax.set_title(segment, fontsize=9)
        ax.grid(alpha=0.3)
    axes[0, 0].legend(fontsize=7, ncol=4)
    axes[-1, 0].set_xticks(x, [p[:7] for p in periods], rotation=45, fontsize=7)
    fig.suptitle("When each stage's volume is needed (log scale)")
    fig.tight_layout()
    return fig


def funnel_figures(plan: pd.DataFrame) -> dict[str, Figure]:
    """``{"funnel": plot_funnel(plan), "monthly_goals": plot_monthly_goals(plan)}``.

    The names are the files' stems the hub writes (funnel.png, monthly_goals.png); saving with
    ``metadata={"Software": None}`` keeps identical plans byte-identical.
    """
    return {"funnel": plot_funnel(plan), "monthly_goals": plot_monthly_goals(plan)}
