"""Figures of the revenue engine: the ARR bridge waterfall, NRR/GRR by segment over time, and
renewal risk. Each function returns matplotlib figures; the caller saves them."""
from __future__ import annotations

import numpy as np
import pandas as pd

from forecasting.revenue.arr import OVERALL


def _money(value: float) -> str:
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if abs(value) >= size:
            return f"{value / size:,.1f}{suffix}"
    return f"{value:,.0f}"


def bridge_waterfall(bridge: pd.DataFrame, segment: str = OVERALL, period: str | None = None):
    """Starting ARR, + new, + expansion, - contraction, - churn, = ending ARR for one period
    (default: the latest complete one)."""
    import matplotlib.pyplot as plt

    rows = bridge[bridge["segment"] == segment]
    if period is None:
        complete = rows[rows["complete"]] if "complete" in rows else rows
        period = (complete if len(complete) else rows)["period"].max()
    row = rows[rows["period"] == period].iloc[0]
    steps = [("Starting ARR", row["starting_arr"], "total"), ("New", row["new_arr"], "up"),
             ("Expansion", row["expansion_arr"], "up"), ("Contraction", -row["contraction_arr"], "down"),
             ("Churn", -row["churned_arr"], "down"), ("Ending ARR", row["ending_arr"], "total")]
    fig, ax = plt.subplots(figsize=(8, 4.2))
    level = 0.0
    colours = {"total": "#4C72B0", "up": "#55A868", "down": "#C44E52"}
    for i, (name, value, kind) in enumerate(steps):
        bottom = 0.0 if kind == "total" else (level if value >= 0 else level + value)
        height = abs(value) if kind != "total" else value
        ax.bar(i, height, bottom=bottom, color=colours[kind], width=0.6)
        ax.text(i, bottom + height, ("" if kind == "total" else ("+" if value >= 0 else "-")) + _money(abs(value)),
                ha="center", va="bottom", fontsize=9)
        level = value if kind == "total" else level + value
    ax.set_xticks(range(len(steps)), [s[0] for s in steps])
    ax.yaxis.set_major_formatter(lambda v, _: _money(v))
    ax.set_title(f"ARR bridge {period} ({'all segments' if segment == OVERALL else segment}): "
                 f"GRR {row['grr']:.0%}, NRR {row['nrr']:.0%}")
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return fig


def retention_over_time(bridge: pd.DataFrame, periods: int = 12):
    """NRR and GRR per segment over the last ``periods`` periods (one shared time axis)."""
    import matplotlib.pyplot as plt

    ticks = sorted(bridge["period"].unique())[-periods:]
    x = np.arange(len(ticks))
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), sharey=True)
    for ax, metric, title in ((axes[0], "nrr", "Net revenue retention"), (axes[1], "grr", "Gross revenue retention")):
        for segment, frame in bridge.groupby("segment", sort=True):
            values = frame.set_index("period")[metric].reindex(ticks).to_numpy(float)
            ax.plot(x, values, marker="o", ms=3, lw=2.2 if segment == OVERALL else 1.2,
                    label="Total" if segment == OVERALL else segment)
        ax.axhline(1.0, color="grey", lw=0.8, ls="--")
        ax.set_title(title)
        ax.yaxis.set_major_formatter(lambda v, _: f"{v:.1%}")
        step = max(1, len(ticks) // 8)
        ax.set_xticks(x[::step], ticks[::step], rotation=45, ha="right", fontsize=8)
        ax.spines[["top", "right"]].set_visible(False)
    axes[1].legend(loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False)
    fig.tight_layout()
    return fig


def renewal_risk(renewals: pd.DataFrame, forecast: pd.DataFrame | None = None):
    """ARR due per segment split into expected renewed and at risk, with the p10-p90 range of
    renewed ARR."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 3.8))
    if renewals.empty:
        ax.text(0.5, 0.5, "no renewals due", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return fig
    by = renewals.groupby("segment", sort=True)[["expected_renewed_arr", "arr_at_risk"]].sum()
    x = np.arange(len(by))
    expected, risk = by["expected_renewed_arr"].to_numpy(float), by["arr_at_risk"].to_numpy(float)
    ax.barh(x, expected, color="#55A868", label="expected to renew")
    ax.barh(x, risk, left=expected, color="#C44E52", label="at risk")
    if forecast is not None and len(forecast):
        f = forecast.set_index("segment").reindex(by.index)
        p10, p50, p90 = (f[c].to_numpy(float) for c in ("renewed_arr_p10", "renewed_arr_p50", "renewed_arr_p90"))
        ax.errorbar(p50, x, xerr=np.vstack([p50 - p10, p90 - p50]),
                    fmt="|", color="black", capsize=4, label="renewed ARR p10-p90")
    ax.set_yticks(x, by.index)
    ax.xaxis.set_major_formatter(lambda v, _: _money(v))
    ax.set_title("ARR due for renewal: expected to renew and at risk")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.15), ncol=3, frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return fig


def revenue_figures(bridge: pd.DataFrame, renewals: pd.DataFrame | None = None,
                    forecast: pd.DataFrame | None = None) -> dict:
    """{"arr_bridge": ..., "retention": ..., "renewal_risk": ...} (the last only with renewals)."""
    figures = {}
    if len(bridge):
        figures["arr_bridge"] = bridge_waterfall(bridge)
        figures["retention"] = retention_over_time(bridge)
    if renewals is not None:
        figures["renewal_risk"] = renewal_risk(renewals, forecast)
    return figures


def what_if_figure(base: pd.DataFrame, scenarios: dict[str, pd.DataFrame], segment: str = OVERALL,
                   periods: int = 8):
    """Ending ARR and NRR per period for the bridge as it was and for each what-if
    (:func:`forecasting.revenue.retention_what_if`), last ``periods`` periods of ``segment``."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
    for name, frame in {"as it was": base, **scenarios}.items():
        rows = frame[frame["segment"] == segment].sort_values("period").tail(periods)
        style = {"lw": 2.4, "color": "black"} if name == "as it was" else {"lw": 1.6}
        axes[0].plot(rows["period"], rows["ending_arr"], marker="o", ms=3, label=name, **style)
        axes[1].plot(rows["period"], rows["nrr"], marker="o", ms=3, label=name, **style)
    axes[0].set_title(f"Ending ARR ({'all segments' if segment == OVERALL else segment})")
    axes[0].yaxis.set_major_formatter(lambda v, _: _money(v))
    axes[1].set_title("Net revenue retention per period")
    axes[1].yaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
    for ax in axes:
        ax.tick_params(axis="x", rotation=45, labelsize=8)
        ax.spines[["top", "right"]].set_visible(False)
    axes[1].legend(loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False)
    fig.tight_layout()
    return fig
