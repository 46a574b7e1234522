"""Figures of pay plans: payout curves, plans side by side, attainment against the bands.
matplotlib is imported inside each function (the engine stays light without plots)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Mapping

import numpy as np
import pandas as pd

from territory.compensation import CompensationConfig, payout_multiple

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def payout_curves_figure(plans: Mapping[str, CompensationConfig], max_attainment: float = 3.0) -> "Figure":
    """Commission as a multiple of variable pay against attainment, one line per plan (SPIFs
    not drawn: they depend on other metrics)."""
    from matplotlib.figure import Figure

    grid = np.linspace(0.0, max_attainment, 301)
    fig = Figure(figsize=(7, 4))
    ax = fig.subplots()
    for name, config in plans.items():
        ax.plot(100 * grid, payout_multiple(grid, config), label=name)
    ax.axvline(100, color="grey", lw=0.8, ls=":")
    ax.set(xlabel="attainment (% of quota)", ylabel="payout (x variable pay at target)",
           title="What each plan pays for an attainment")
    ax.legend(frameon=False, loc="upper left")
    fig.tight_layout()
    return fig


def plan_comparison_figure(comparison: pd.DataFrame) -> "Figure":
    """Cost of sales and share of rep quarters paid above target, per plan
    (from :func:`territory.compensation.compare_pay_plans`)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(9, 3.6))
    left, right = fig.subplots(1, 2)
    names = comparison["plan"].astype(str).tolist()
    left.bar(names, comparison["cost_of_sales_pct"], color="#4c72b0")
    left.set(ylabel="% of bookings", title="Cost of sales")
    right.bar(names, 100 * comparison["share_paid_above_target"], color="#dd8452")
    right.set(ylabel="% of rep quarters", title="Paid above target pay")
    for ax in (left, right):
        ax.tick_params(axis="x", rotation=20)
    fig.tight_layout()
    return fig


def attainment_figure(draws: np.ndarray, quota: np.ndarray,
                      thresholds: tuple[float, ...] = (1.0,)) -> "Figure":
    """How rep quarters spread over attainment, with the plan's band edges: where the rates
    and the cap bite."""
    from matplotlib.figure import Figure

    ratio = (np.asarray(draws, dtype=float) / np.asarray(quota, dtype=float)).ravel()
    fig = Figure(figsize=(7, 3.6))
    ax = fig.subplots()
    ax.hist(100 * ratio[np.isfinite(ratio)], bins=40, color="#55a868")
    for t in thresholds:
        ax.axvline(100 * t, color="black", lw=0.8, ls="--")
    ax.set(xlabel="attainment (% of quota)", ylabel="rep quarters",
           title="Attainment of every rep quarter, and where the rate changes")
    fig.tight_layout()
    return fig
