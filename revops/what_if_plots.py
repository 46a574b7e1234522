"""Figures of the what-if notebooks (matplotlib ``Figure`` objects; no pyplot state, no files).

Each function takes a table produced by the library (territory scenarios, funnel sensitivity
and scenarios, forecast vs target, win-rate drops, lead tiers) and returns a Figure.
:func:`show` displays any figure in a notebook as a PNG whatever matplotlib backend an imported
module selected, and :func:`show_figures` displays the named figures an engine returns
(``scoring.plots.figures``, ``forecasting.fan_charts``, ``forecasting.funnel.funnel_figures``).
"""
from __future__ import annotations

import io
from typing import Iterable, Mapping

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

PALETTE = ("#4c78a8", "#f58518", "#54a24b", "#e45756", "#72b7b2", "#b279a2", "#ff9da6", "#9d755d")


def show(fig) -> None:
    """Display a figure in the notebook (as PNG bytes) and release it."""
    from IPython.display import Image, display

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    try:  # figures made through pyplot stay registered until closed
        import matplotlib.pyplot as plt

        plt.close(fig)
    except Exception:  # noqa: BLE001 - closing is a courtesy, displaying is the point
        pass
    display(Image(data=buffer.getvalue(), format="png"))


def show_figures(figures: Mapping[str, Figure] | Iterable[Figure]) -> None:
    """Display several figures in order: a ``{name: Figure}`` mapping (as the engines return,
    e.g. ``scoring.plots.figures(scorer)``) or any iterable of figures."""
    for fig in (figures.values() if isinstance(figures, Mapping) else figures):
        show(fig)


# ---------------------------------------------------------------------------------- territory
def territory_scenarios_figure(comparison: pd.DataFrame) -> Figure:
    """Balance and disruption per scenario (from ``revops.what_if.compare_scenarios``)."""
    table = comparison.set_index("metric")
    names = list(table.columns)
    panels = (("worst deviation from fair share after (%)", "worst deviation from fair share (%)"),
              ("accounts moved off their owner", "accounts moved"),
              ("potential moved (share)", "potential moved (% of total)"))
    fig = Figure(figsize=(4.0 * len(panels), 3.6))
    for k, (metric, title) in enumerate(panels):
        ax = fig.add_subplot(1, len(panels), k + 1)
        values = pd.to_numeric(table.loc[metric], errors="coerce").fillna(0.0).to_numpy(dtype=float)
        if metric.endswith("(share)"):
            values = 100.0 * values
        ax.bar(np.arange(len(names)), values, color=[PALETTE[i % len(PALETTE)] for i in range(len(names))])
        ax.set_xticks(np.arange(len(names)), names, rotation=30, ha="right", fontsize=8)
        ax.set_title(title, fontsize=10)
        ax.grid(axis="y", alpha=0.3)
        if "deviation" in metric:
            asked = pd.to_numeric(table.loc["balance tolerance asked (share)"], errors="coerce").to_numpy(dtype=float)
            ax.scatter(np.arange(len(names)), 100.0 * asked, marker="_", s=400, color="black",
                       label="tolerance asked", zorder=3)
            ax.legend(fontsize=7)
    fig.suptitle("Territory scenarios: balance against disruption")
    fig.tight_layout()
    return fig


def quota_changes_figure(changes: pd.DataFrame, base: str | None = None) -> Figure:
    """Quota change per rep against the base plan, one panel per scenario."""
    scenario_cols = [c for c in changes.columns if c.endswith(" change")]
    base = base or next(c for c in changes.columns if c not in ("rep_id", "pool") and not c.endswith(("change", "%")))
    n = max(1, len(scenario_cols))
    fig = Figure(figsize=(max(6.0, 0.28 * len(changes) + 3), 2.4 * n))
    x = np.arange(len(changes))
    for k, column in enumerate(scenario_cols):
        ax = fig.add_subplot(n, 1, k + 1)
        values = changes[column].fillna(0.0).to_numpy(dtype=float)
        ax.bar(x, values, color=np.where(values >= 0, "#54a24b", "#e45756"))
        ax.axhline(0, color="black", linewidth=0.6)
        ax.set_title(f"{column.removesuffix(' change')}: quota change vs {base}", fontsize=9)
        ax.grid(axis="y", alpha=0.3)
        ax.set_xticks(x, changes["rep_id"] if k == n - 1 else [""] * len(x), rotation=90, fontsize=7)
    fig.tight_layout()
    return fig


# ------------------------------------------------------------------------------------- funnel
def sensitivity_figure(sensitivity: pd.DataFrame, segment: str = "ALL", method: str = "percent") -> Figure:
    """Tornado: how far the MQL goal moves when each assumption moves (``funnel_sensitivity``)."""
    part = sensitivity[(sensitivity["segment"] == segment) & (sensitivity["method"] == method)]
    if part.empty:
        raise ValueError(f"sensitivity_figure: no rows for segment {segment!r} and method {method!r}.")
    spread = part.groupby("assumption")["delta"].agg(["min", "max"])
    spread = spread.assign(width=spread["max"] - spread["min"]).sort_values("width")
    base = float(part["base_mql_goal"].iloc[0])
    fig = Figure(figsize=(7.5, 0.45 * len(spread) + 1.6))
    ax = fig.add_subplot(1, 1, 1)
    y = np.arange(len(spread))
    ax.barh(y, spread["max"].clip(lower=0) + spread["min"].clip(lower=0), color="#e45756", label="MQL goal up")
    ax.barh(y, spread["min"].clip(upper=0) + spread["max"].clip(upper=0), color="#4c78a8", label="MQL goal down")
    ax.axvline(0, color="black", linewidth=0.6)
    ax.set_yticks(y, [a.replace("_", " ") for a in spread.index], fontsize=8)
    what = "each assumption +/- its change" if method == "percent" else "each assumption at its interval ends"
    ax.set_xlabel(f"change in the MQL goal (base {base:,.0f})")
    ax.set_title(f"Which assumption moves the MQL goal most ({segment}; {what})", fontsize=10)
    ax.legend(fontsize=8, loc="lower right")
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return fig


def funnel_scenarios_figure(goals: pd.DataFrame, segment: str = "ALL",
                            stages: tuple[str, ...] = ("mql", "sql", "opportunity", "won")) -> Figure:
    """Still-needed volume per stage, one bar per scenario (``FunnelScenarios.goals``)."""
    part = goals[goals["segment"] == segment]
    names = list(dict.fromkeys(part["scenario"]))
    fig = Figure(figsize=(3.2 * len(stages), 3.6))
    for k, stage in enumerate(stages):
        ax = fig.add_subplot(1, len(stages), k + 1)
        values = part[part["stage"] == stage].set_index("scenario")["still_needed"].reindex(names)
        ax.bar(np.arange(len(names)), values.fillna(0).to_numpy(), color=[PALETTE[i % len(PALETTE)] for i in range(len(names))])
        ax.set_xticks(np.arange(len(names)), names, rotation=35, ha="right", fontsize=8)
        ax.set_title(f"{stage.upper() if len(stage) == 3 else stage} goal", fontsize=10)
        ax.grid(axis="y", alpha=0.3)
    fig.suptitle(f"Funnel goals per scenario ({segment})")
    fig.tight_layout()
    return fig


def headcount_figure(headcount: pd.DataFrame, segment: str = "ALL") -> Figure:
    """AEs and SDRs needed per scenario against the productive FTE on file."""
    part = headcount[headcount["segment"] == segment]
    roles = list(dict.fromkeys(part["role"]))
    names = list(dict.fromkeys(part["scenario"]))
    fig = Figure(figsize=(4.2 * max(1, len(roles)), 3.6))
    for k, role in enumerate(roles):
        ax = fig.add_subplot(1, len(roles), k + 1)
        rows = part[part["role"] == role].groupby("scenario", sort=False)[["needed", "productive_fte"]].sum().reindex(names)
        ax.bar(np.arange(len(names)), rows["needed"].to_numpy(dtype=float), color="#4c78a8", label="needed")
        on_file = pd.to_numeric(rows["productive_fte"], errors="coerce").to_numpy(dtype=float)
        if np.isfinite(on_file).any():
            ax.scatter(np.arange(len(names)), on_file, marker="_", s=500, color="black", label="productive FTE on file",
                       zorder=3)
        ax.set_xticks(np.arange(len(names)), names, rotation=35, ha="right", fontsize=8)
        ax.set_title(f"{role.upper()}s", fontsize=10)
        ax.legend(fontsize=7)
        ax.grid(axis="y", alpha=0.3)
    fig.suptitle(f"Headcount per scenario ({segment}, summed over the plan's target periods)")
    fig.tight_layout()
    return fig


# ----------------------------------------------------------------------------------- forecast
def forecast_vs_target_figure(table: pd.DataFrame) -> Figure:
    """Forecast p50 and pipeline expectation against the target, per segment (``forecast_vs_target``)."""
    rows = table[table["segment"] != "Total"]
    x = np.arange(len(rows))
    fig = Figure(figsize=(7.5, 3.8))
    ax = fig.add_subplot(1, 1, 1)
    width = 0.27
    ax.bar(x - width, rows["target"], width, color="#bbbbbb", label="target")
    ax.bar(x, rows["forecast_p50"], width, color="#4c78a8", label="bookings forecast (p50)")
    if "pipeline_expected" in rows.columns:
        ax.bar(x + width, rows["pipeline_expected"], width, color="#f58518", label="pipeline view (expected)")
    ax.set_xticks(x, rows["segment"])
    ax.set_ylabel("bookings in the quarter")
    ax.set_title(f"Forecast vs target, {rows['period'].iloc[0] if len(rows) else ''}")
    ax.legend(fontsize=8)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    return fig


def win_rate_figure(scenarios: pd.DataFrame) -> Figure:
    """Expected bookings (with p10-p90) and P(target) as win rates drop (``win_rate_scenarios``)."""
    segments = list(dict.fromkeys(scenarios["segment"]))
    fig = Figure(figsize=(11, 3.8))
    left, right = fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2)
    # Both kinds read in percent: a relative drop of 10% or a drop of 10 percentage points.
    label = "win rate drop (%)" if scenarios["kind"].iloc[0] == "relative" else "win rate drop (percentage points)"
    for k, segment in enumerate(segments):
        part = scenarios[scenarios["segment"] == segment].sort_values("drop")
        colour = PALETTE[k % len(PALETTE)]
        x = 100.0 * part["drop"].to_numpy(dtype=float)
        if segment != "Total":
            left.plot(x, part["expected_total"], marker="o", color=colour, label=segment)
            left.fill_between(x, part["p10"], part["p90"], color=colour, alpha=0.15, lw=0)
        if part["probability_of_target"].notna().any():
            right.plot(x, 100 * part["probability_of_target"], marker="o", color=colour, label=segment,
                       linewidth=2.5 if segment == "Total" else 1.5)
    left.set(xlabel=label, ylabel="quarter bookings", title="Expected bookings (band: p10-p90)")
    right.set(xlabel=label, ylabel="P(reaching the target) %", title="Chance of making the target")
    for ax in (left, right):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def backtest_figure(backtest: pd.DataFrame) -> Figure:
    """Backtest forecasts against what happened, one panel per segment (``ForecastResult.backtest``)."""
    segments = sorted(s for s in backtest["segment"].unique() if s != "Total")
    fig = Figure(figsize=(8, 2.4 * max(1, len(segments))))
    for k, segment in enumerate(segments):
        ax = fig.add_subplot(len(segments), 1, k + 1)
        part = backtest[backtest["segment"] == segment]
        x = pd.to_datetime(part["period"].astype(str))
        ax.scatter(x, part["actual"], color="black", s=12, label="actual", zorder=3)
        for j, (origin, fold) in enumerate(part.groupby("origin", sort=True)):
            ax.plot(pd.to_datetime(fold["period"].astype(str)), fold["forecast"], marker=".",
                    color=PALETTE[j % len(PALETTE)], label=f"origin {origin}")
        ax.set_title(segment, fontsize=9)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, ncol=4)
    fig.suptitle("Backtest: forecasts made at past origins vs actual bookings")
    fig.tight_layout()
    return fig


# ------------------------------------------------------------------------------------ scoring
def tier_figure(table: pd.DataFrame) -> Figure:
    """Per tier: share of leads, of expected SQLs, and of inside-sales hours (``tier_table``)."""
    rows = table[table["tier"] != "Total"]
    x = np.arange(len(rows))
    hours = rows["hours"].to_numpy(dtype=float)
    fig = Figure(figsize=(7.5, 3.6))
    ax = fig.add_subplot(1, 1, 1)
    width = 0.27
    ax.bar(x - width, 100 * rows["share_of_leads"], width, color="#bbbbbb", label="leads")
    ax.bar(x, 100 * rows["share_of_sqls"], width, color="#54a24b", label="expected SQLs")
    ax.bar(x + width, 100 * hours / max(hours.sum(), 1e-12), width, color="#e45756", label="inside-sales hours")
    ax.set_xticks(x, [f"{t}\n{lo:.0f}-{hi:.0f}" if np.isfinite(lo) else t
                      for t, lo, hi in zip(rows["tier"], rows["min_score"], rows["max_score"])])
    ax.set_ylabel("% of total")
    ax.set_title("What each tier holds and costs (score range under the tier)")
    ax.legend(fontsize=8)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    return fig


def frontier_figure(frontier: pd.DataFrame, chosen_hours: float | None = None) -> Figure:
    """Captured SQLs against inside-sales capacity (``capacity_frontier``)."""
    fig = Figure(figsize=(6.5, 3.6))
    ax = fig.add_subplot(1, 1, 1)
    ax.plot(frontier["capacity_hours"], frontier["captured_sqls"], marker="o", color="#4c78a8")
    if chosen_hours is not None:
        ax.axvline(chosen_hours, color="#e45756", linestyle="--", label="capacity in this plan")
        ax.legend(fontsize=8)
    ax.set(xlabel="inside-sales hours available", ylabel="captured SQLs (best tiers)",
           title="What more capacity buys")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig
