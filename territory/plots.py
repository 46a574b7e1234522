"""Figures of a plan (matplotlib, no I/O): balance per rep before/after, and the moves."""
from __future__ import annotations

import numpy as np
import pandas as pd


def balance_figure(rep_summary: pd.DataFrame, measure: str = "potential"):
    """Deviation from fair share per rep, before and after, with the tolerance band."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    reps = rep_summary[rep_summary["capacity"] > 0].sort_values(["pool", "rep_id"])
    n = len(reps)
    fig, ax = plt.subplots(figsize=(max(6.0, min(0.12 * n + 4, 30.0)), 4.0))
    x = np.arange(n)
    ax.bar(x - 0.2, reps[f"{measure}_deviation_before_pct"].fillna(0), width=0.4,
           label="before", color="#bbbbbb")
    ax.bar(x + 0.2, reps[f"{measure}_deviation_pct"].fillna(0), width=0.4, label="after",
           color="#1f77b4")
    tol = reps["tolerance_pct"].max()
    ax.axhspan(-tol, tol, color="#2ca02c", alpha=0.1, label=f"+/-{tol:.0f}% tolerance")
    ax.axhline(0, color="black", linewidth=0.6)
    ax.set_ylabel(f"{measure} vs fair share (%)")
    ax.set_xlabel("rep (grouped by pool)")
    if n <= 40:
        ax.set_xticks(x, reps["rep_id"], rotation=90, fontsize=7)
    ax.set_title(f"Balance of {measure} per rep, before and after")
    ax.legend(loc="upper right", fontsize=8)
    fig.tight_layout()
    return fig


def moves_figure(rep_summary: pd.DataFrame):
    """Accounts moved in and out per rep."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    reps = rep_summary.sort_values(["pool", "rep_id"])
    n = len(reps)
    fig, ax = plt.subplots(figsize=(max(6.0, min(0.12 * n + 4, 30.0)), 4.0))
    x = np.arange(n)
    ax.bar(x, reps["moved_in"], color="#2ca02c", label="moved in")
    ax.bar(x, -reps["moved_out"], color="#d62728", label="moved out")
    ax.axhline(0, color="black", linewidth=0.6)
    ax.set_ylabel("accounts")
    ax.set_xlabel("rep (grouped by pool)")
    if n <= 40:
        ax.set_xticks(x, reps["rep_id"], rotation=90, fontsize=7)
    ax.set_title("Accounts moved per rep")
    ax.legend(loc="upper right", fontsize=8)
    fig.tight_layout()
    return fig
