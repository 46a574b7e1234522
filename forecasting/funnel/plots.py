"""Funnel plots: the funnel per segment and the monthly goals, as matplotlib ``Figure`` objects
(no pyplot state, no backend switch, no files: the caller saves or shows them)."""
from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from forecasting.funnel.plan import STAGES

STAGE_LABELS = {"mql": "MQLs", "sql": "SQLs", "opportunity": "Opportunities", "won": "Won deals"}
COLORS = {"mql": "#4c78a8", "sql": "#72b7b2", "opportunity": "#f58518", "won": "#54a24b"}


def plot_funnel(plan: pd.DataFrame) -> Figure:
    """One funnel per segment: the plan's total requirement per stage, widest (MQL) on top.

    The light bar is what is required; the dark bar what is still needed from today (months
    already over need nothing more; the open pipeline and open MQLs are counted first). Bar
    labels give the count, what past months produced, and the conversion rate to the stage below.
    """
    segments = sorted(plan["segment"].unique())
    fig = Figure(figsize=(4.2 * max(1, len(segments)), 3.8))
    axes = fig.subplots(1, max(1, len(segments)), squeeze=False)
    for ax, segment in zip(axes[0], segments):
        part = plan[plan["segment"] == segment]
        stages = [s for s in reversed(STAGES) if s in set(part["stage"])]
        past = part[part["in_past"].astype(bool)]
        totals = part.groupby("stage")[["required", "still_needed"]].sum()
        happened = past.groupby("stage")["actual"].sum(min_count=1)
        rates = part.groupby("stage")["rate"].first()
        widest = max(float(totals["required"].max()), 1e-9)
        for y, stage in enumerate(reversed(stages)):
            required, still = totals.loc[stage, "required"], totals.loc[stage, "still_needed"]
            ax.barh(y, required / widest, left=-required / widest / 2, color=COLORS[stage], alpha=0.35)
            ax.barh(y, still / widest, left=-still / widest / 2, color=COLORS[stage])
            label = f"{STAGE_LABELS[stage]}: {required:,.0f} required, {still:,.0f} still needed"
            if stage in happened.index and np.isfinite(happened[stage]):
                label += f"\n{happened[stage]:,.0f} happened in past months"
            if stage != "won":
                label += f"\nconverts at {rates[stage]:.0%}"
            ax.text(0, y, label, ha="center", va="center", fontsize=7.5)
        ax.set_title(segment)
        ax.set_xlim(-0.55, 0.55)
        ax.set_ylim(-0.6, len(stages) - 0.4)
        ax.axis("off")
    fig.suptitle("Funnel goals for the plan period (light: required; dark: still needed from today)")
    fig.tight_layout()
    return fig


def plot_monthly_goals(plan: pd.DataFrame) -> Figure:
    """Per segment and stage, by month: required (dashed), what happened in months already over
    (crosses) and what is still needed from today (solid). Past months are shaded."""
    segments = sorted(plan["segment"].unique())
    fig = Figure(figsize=(9, 2.7 * max(1, len(segments)) + 0.6))
    axes = fig.subplots(max(1, len(segments)), 1, squeeze=False, sharex=True)
    periods = sorted(plan["period"].unique())
    x = np.arange(len(periods))
    past_months = set(plan.loc[plan["in_past"].astype(bool), "period"])
    n_past = sum(1 for p in periods if p in past_months)
    for ax, segment in zip(axes[:, 0], segments):
        part = plan[plan["segment"] == segment]
        if n_past:
            ax.axvspan(-0.5, n_past - 0.5, color="#e3e8ee", alpha=0.6, lw=0,
                       label="months already over")
        for stage in STAGES:
            rows = part[part["stage"] == stage]
            if rows.empty:
                continue
            required = rows.groupby("period")["required"].sum().reindex(periods)
            actual = rows.groupby("period")["actual"].sum(min_count=1).reindex(periods)
            still = rows.groupby("period")["still_needed"].sum().reindex(periods)
            still = still.where(~pd.Index(periods).isin(list(past_months)))
            ax.plot(x, required.to_numpy(), ls="--", lw=1, color=COLORS[stage], alpha=0.7)
            ax.plot(x, actual.where(actual > 0).to_numpy(), ls="none", marker="x", color=COLORS[stage])
            ax.plot(x, still.where(still > 0).to_numpy(), marker="o", color=COLORS[stage],
                    label=STAGE_LABELS[stage])
        ax.set_yscale("log")
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v:,.0f}" if v >= 1 else f"{v:g}"))
        # within a decade the minor ticks carry the labels: 2s and 5s only, so they stay legible
        ax.yaxis.set_minor_formatter(FuncFormatter(
            lambda v, _p: f"{v:,.0f}" if v >= 1 and f"{v:.0e}"[0] in "25" else ""))
        ax.set_title(segment, fontsize=9)
        ax.grid(alpha=0.3)
    axes[0, 0].legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False,
                      title="still needed\n(dashed: required,\nx: happened)", title_fontsize=7)
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
