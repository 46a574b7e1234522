"""Figures of a plan (matplotlib, no I/O): balance per rep before/after, and the moves.

Every rep is labelled with its id and grouped by pool (the pool's name over its reps, a line
between pools); a plan with many reps is drawn in several rows of at most ``REPS_PER_ROW``.
Legends sit outside the plotting area, so they never hide a bar.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

REPS_PER_ROW = 60


def _rows(reps: pd.DataFrame) -> list[pd.DataFrame]:
    """The reps in chunks of at most REPS_PER_ROW, breaking between pools where one fits."""
    chunks, current = [], []
    for _, pool in reps.groupby("pool", sort=False):
        if current and sum(len(c) for c in current) + len(pool) > REPS_PER_ROW:
            chunks.append(pd.concat(current))
            current = []
        while len(pool) > REPS_PER_ROW:  # a pool larger than a row: split it
            chunks.append(pool.iloc[:REPS_PER_ROW])
            pool = pool.iloc[REPS_PER_ROW:]
        current.append(pool)
    if current:
        chunks.append(pd.concat(current))
    return chunks or [reps]


def _figure(reps: pd.DataFrame):
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    rows = _rows(reps)
    width = max(6.0, min(0.16 * max(len(r) for r in rows) + 2.5, 14.0))
    # rep ids are written upright under the bars: long ids (names) need the room below
    longest = int(reps["rep_id"].astype(str).str.len().max()) if len(reps) else 4
    height = 3.4 + 0.06 * max(longest - 4, 0)
    fig, axes = plt.subplots(len(rows), 1, figsize=(width, height * len(rows) + 0.6), squeeze=False)
    return fig, list(zip(axes[:, 0], rows))


def _label_reps_and_pools(ax, reps: pd.DataFrame) -> None:
    x = np.arange(len(reps))
    ax.set_xticks(x, reps["rep_id"].astype(str), rotation=90, fontsize=7)
    ax.set_xlim(-0.6, len(reps) - 0.4)
    pools = reps["pool"].astype(str).to_numpy()
    starts = [0] + [i for i in range(1, len(pools)) if pools[i] != pools[i - 1]]
    ends = starts[1:] + [len(pools)]
    for start, end in zip(starts, ends):
        if start:
            ax.axvline(start - 0.5, color="#9aa5b1", linewidth=0.8, linestyle="--")
        # segment over region on two lines; a name still wider than its reps' slots (a
        # character takes ~0.35 of a slot) is tilted
        name = pools[start].removesuffix("/*").replace("/", "/\n")  # "/*": any region
        wide = max(len(line) for line in name.split("\n")) * 0.35 > (end - start)
        ax.text((start + end - 1) / 2 - (0.3 if wide else 0), 1.01, name.replace("\n", "") if wide else name,
                transform=ax.get_xaxis_transform(), ha="left" if wide else "center", va="bottom",
                fontsize=7, color="#3e4c59", rotation=60 if wide else 0,
                rotation_mode="anchor" if wide else "default", linespacing=1.0)


def balance_figure(rep_summary: pd.DataFrame, measure: str = "potential"):
    """Deviation from fair share per rep, before and after, with the tolerance band."""
    from matplotlib.ticker import FuncFormatter

    reps = rep_summary[rep_summary["capacity"] > 0].sort_values(["pool", "rep_id"])
    fig, panels = _figure(reps)
    tol = float(reps["tolerance_pct"].max()) if len(reps) else 0.0
    for i, (ax, part) in enumerate(panels):
        x = np.arange(len(part))
        ax.bar(x - 0.2, part[f"{measure}_deviation_before_pct"].fillna(0), width=0.4,
               label="before", color="#bbbbbb")
        ax.bar(x + 0.2, part[f"{measure}_deviation_pct"].fillna(0), width=0.4, label="after",
               color="#1f77b4")
        ax.axhspan(-tol, tol, color="#2ca02c", alpha=0.1, label=f"±{tol:.0f}% tolerance")
        ax.axhline(0, color="black", linewidth=0.6)
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v:+.0f}%" if v else "0"))
        ax.set_ylabel(f"{measure} vs fair share")
        _label_reps_and_pools(ax, part)
        if i == 0:
            ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    fig.suptitle(f"Balance of {measure} per rep (grouped by pool), before and after")
    panels[-1][0].set_xlabel("rep")
    fig.tight_layout()
    return fig


def moves_figure(rep_summary: pd.DataFrame):
    """Accounts moved in and out per rep."""
    reps = rep_summary.sort_values(["pool", "rep_id"])
    fig, panels = _figure(reps)
    for i, (ax, part) in enumerate(panels):
        x = np.arange(len(part))
        ax.bar(x, part["moved_in"], color="#2ca02c", label="moved in")
        ax.bar(x, -part["moved_out"], color="#d62728", label="moved out")
        ax.axhline(0, color="black", linewidth=0.6)
        ax.set_ylabel("accounts")
        _label_reps_and_pools(ax, part)
        if i == 0:
            ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    fig.suptitle("Accounts moved in and out per rep (grouped by pool)")
    panels[-1][0].set_xlabel("rep")
    fig.tight_layout()
    return fig
