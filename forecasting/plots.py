"""Fan charts: history, p50 and the interval bands (matplotlib; the caller saves the figure)."""
from __future__ import annotations

import pandas as pd


def fan_chart(history: pd.DataFrame, forecast: pd.DataFrame, title: str):
    """``history``: period (Period), bookings; ``forecast``: period (YYYY-MM-DD), p10, p50, p90,
    and lo_L/hi_L columns for wider levels. Returns a matplotlib Figure."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(8, 4), dpi=100)
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
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    return fig
