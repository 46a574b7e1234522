"""Bookings (won amount by the date the deal closed) per segment, and their growth."""
from __future__ import annotations

import numpy as np
import pandas as pd

from forecasting.funnel.prep import OVERALL


def _won(opps: pd.DataFrame) -> pd.DataFrame:
    won = opps.loc[opps["is_won"] == 1.0, ["segment", "closed_on", "amount"]].copy()
    won["amount"] = won["amount"].fillna(0.0)
    return won


def bookings_by_period(opps: pd.DataFrame, freq: str = "Q", as_of: pd.Timestamp | None = None,
                       complete_only: bool = True) -> pd.DataFrame:
    """segment, period, start, end, bookings, n_won for every period (and ``ALL``).

    Periods without a won deal count as zero between the first and last period, so growth is
    computed against the right neighbour. With ``complete_only`` a period ending after ``as_of``
    (the current, partial quarter) is left out: its bookings would look like a drop.
    """
    won = _won(opps)
    columns = ["segment", "period", "start", "end", "bookings", "n_won"]
    if won.empty:
        return pd.DataFrame(columns=columns)
    won["period"] = won["closed_on"].dt.to_period(freq)
    both = pd.concat([won, won.assign(segment=OVERALL)])
    grouped = both.groupby(["segment", "period"])["amount"].agg(["sum", "size"])
    periods = pd.period_range(won["period"].min(), won["period"].max(), freq=freq)
    segments = sorted(won["segment"].unique()) + [OVERALL]
    full = grouped.reindex(pd.MultiIndex.from_product([segments, periods], names=["segment", "period"]))
    full = full.fillna(0.0).reset_index()
    full["start"] = full["period"].map(lambda p: p.start_time.normalize())
    full["end"] = full["period"].map(lambda p: p.end_time.normalize())
    if complete_only and as_of is not None:
        full = full[full["end"] <= as_of]
    full = full.rename(columns={"sum": "bookings", "size": "n_won"})
    full["n_won"] = full["n_won"].astype(int)
    full["period"] = full["period"].astype(str)
    return full[columns].reset_index(drop=True)


def bookings_growth(quarterly: pd.DataFrame) -> pd.DataFrame:
    """Add ``growth_qoq`` and ``growth_yoy`` (NaN when the earlier quarter is missing or zero)."""
    out = quarterly.copy()
    out["growth_qoq"] = np.nan
    out["growth_yoy"] = np.nan
    out["n_prior_qoq"] = 0
    out["n_prior_yoy"] = 0
    for _, idx in out.groupby("segment").groups.items():
        part = out.loc[idx]
        for lag, name in ((1, "qoq"), (4, "yoy")):
            prior = part["bookings"].shift(lag)
            out.loc[idx, f"growth_{name}"] = np.where(prior > 0, part["bookings"] / prior - 1.0, np.nan)
            out.loc[idx, f"n_prior_{name}"] = part["n_won"].shift(lag).fillna(0).astype(int)
    return out


def month_shares(opps: pd.DataFrame) -> pd.DataFrame:
    """segment (and ``ALL``), month_of_year, share of its calendar quarter's bookings, n_quarters.

    Averaged over the complete quarters of the history; used to split a quarterly target
    into months the way the business has actually booked (end-of-quarter push, summer dip).
    """
    won = _won(opps)
    if won.empty:
        return pd.DataFrame(columns=["segment", "month_of_year", "share", "n_quarters"])
    won = pd.concat([won, won.assign(segment=OVERALL)])
    won["month"] = won["closed_on"].dt.to_period("M")
    monthly = won.groupby(["segment", "month"])["amount"].sum().reset_index()
    monthly["quarter"] = monthly["month"].map(lambda m: m.asfreq("Q"))
    quarter_total = monthly.groupby(["segment", "quarter"])["amount"].transform("sum")
    monthly = monthly[quarter_total > 0].copy()
    monthly["share"] = monthly["amount"] / quarter_total[quarter_total > 0]
    monthly["month_of_year"] = monthly["month"].map(lambda m: m.month)
    # A quarter counts only if all three of its months had bookings; otherwise its shares lie.
    months_in_q = monthly.groupby(["segment", "quarter"])["month"].transform("size")
    monthly = monthly[months_in_q == 3]
    shares = monthly.groupby(["segment", "month_of_year"])["share"].agg(["mean", "size"]).reset_index()
    return shares.rename(columns={"mean": "share", "size": "n_quarters"})
