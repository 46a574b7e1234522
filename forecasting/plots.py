"""Fan charts: history, p50 and the interval bands (matplotlib ``Figure`` objects, no pyplot
state and no files: the caller saves or shows them)."""
from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
from matplotlib.ticker import FuncFormatter

from forecasting.results import metric_key

if TYPE_CHECKING:
    from forecasting.api import ForecastResult


def fan_chart(history: pd.DataFrame, forecast: pd.DataFrame, title: str) -> Figure:
    """``history``: period (Period), bookings; ``forecast``: period (YYYY-MM-DD), p10, p50, p90,
    and lo_L/hi_L columns for wider levels. Returns a matplotlib Figure."""
    fig = Figure(figsize=(7, 3.8), dpi=100)
    ax = fig.add_subplot(1, 1, 1)
    hist_x = pd.PeriodIndex(history["period"]).to_timestamp()
    ax.plot(hist_x, history["bookings"].to_numpy(), color="black", lw=1.5, label="history")
    fx = pd.to_datetime(forecast["period"])
    wider = sorted({c[3:] for c in forecast.columns if c.startswith("lo_")}, key=float, reverse=True)
    for i, lv in enumerate(wider):
        ax.fill_between(fx, forecast[f"lo_{lv}"], forecast[f"hi_{lv}"], color="tab:blue",
                        alpha=0.15 + 0.05 * i, lw=0, label=f"{lv}% interval")
    ax.fill_between(fx, forecast["p10"], forecast["p90"], color="tab:blue", alpha=0.35, lw=0,
                    label="80% interval (p10-p90)")
    ax.plot(fx, forecast["p50"], color="tab:blue", lw=2, label="p50")
    ax.set_title(title)
    ax.set_ylabel("bookings")
    ax.yaxis.set_major_formatter(FuncFormatter(_compact))
    locator = AutoDateLocator(maxticks=8)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))
    ax.grid(alpha=0.3)
    # Under the axes: the legend never covers the history or the bands.
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=4, fontsize=8, frameon=False)
    fig.tight_layout()
    return fig


def _compact(value: float, _position=None) -> str:
    """Tick labels in K/M (1.5M) instead of a 1e6 offset."""
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if abs(value) >= size:
            return f"{value / size:,.3g}{suffix}"
    return f"{value:,.0f}"


def fan_charts(result: "ForecastResult") -> dict[str, Figure]:
    """A fan chart per segment and for the company total: ``{"fan_<segment>": Figure, ...,
    "fan_total": Figure}`` (names lower case, [a-z0-9_-], sorted by segment; the hub saves each
    as ``<name>.png``). Regions are left to the forecast table. With one segment, its chart is
    also the total's."""
    hist = result.history
    totals = hist.groupby("period", as_index=False)["bookings"].sum()
    known = set(hist["segment"])
    figures: dict[str, Figure] = {}
    for name, frame in result.forecast.groupby("segment", sort=True):
        if name in known:
            series = hist[hist["segment"] == name]
        elif frame["level"].iloc[0] == "total":
            series = totals
        else:
            continue  # a region: its table rows are enough
        figures[f"fan_{metric_key(str(name))}"] = fan_chart(series, frame, f"{name}: bookings forecast")
    if "fan_total" not in figures and not result.forecast.empty:
        figures["fan_total"] = fan_chart(totals, result.forecast, "Total: bookings forecast")
    return figures
