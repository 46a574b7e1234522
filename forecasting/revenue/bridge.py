"""The ARR bridge per segment (and ALL) and period: from starting to ending ARR.

Per account, ARR at the start of a period (the close of its eve) and at its end:
    new          none at the start, some at the end        new_arr = end
    churned      some at the start, none at the end        churned_arr = start
    expansion    more at the end than at the start         expansion_arr = end - start
    contraction  less at the end than at the start         contraction_arr = start - end
so ending = starting + new + expansion - contraction - churned, and
    GRR = (starting - contraction - churned) / starting
    NRR = (starting + expansion - contraction - churned) / starting
    logo_churn_rate = accounts_churned / accounts_start.
An account that churns and comes back within one period counts by its two ends only.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from forecasting.revenue.arr import OVERALL, account_arr, account_segments, prepare_subscriptions

BRIDGE_COLUMNS = ["segment", "period", "period_start", "period_end", "complete", "starting_arr",
                  "new_arr", "expansion_arr", "contraction_arr", "churned_arr", "ending_arr", "grr",
                  "nrr", "logo_churn_rate", "accounts_start", "accounts_new", "accounts_churned",
                  "accounts_end"]
_SUMS = ["starting_arr", "new_arr", "expansion_arr", "contraction_arr", "churned_arr", "ending_arr",
         "accounts_start", "accounts_new", "accounts_churned", "accounts_end"]


def bridge_periods(subscriptions: pd.DataFrame, freq: str, as_of: pd.Timestamp | None,
                   history_periods: int | None = None) -> pd.PeriodIndex:
    """From the period of the first subscription start to the period holding ``as_of``."""
    first = subscriptions["start_date"].min().to_period(freq)
    last = pd.Timestamp(as_of).to_period(freq)
    periods = pd.period_range(min(first, last), last, freq=freq)
    return periods[-history_periods:] if history_periods else periods


def arr_bridge(subscriptions: pd.DataFrame, *, freq: str = "Q", as_of: str | pd.Timestamp | None = None,
               history_periods: int | None = None) -> pd.DataFrame:
    """The bridge table (:data:`BRIDGE_COLUMNS`), one row per segment and period plus ``ALL``.

    ``as_of``: the plan date (None: the latest start or end date in the table); the period
    holding it ends there (``complete`` False when it ends before the period does)."""
    subs = prepare_subscriptions(subscriptions)
    if as_of is None:
        as_of = pd.concat([subs["start_date"], subs["end_date"].dropna()]).max()
    as_of = pd.Timestamp(as_of).normalize()
    periods = bridge_periods(subs, freq, as_of, history_periods)
    # ARR at the close of each period's eve and of its last day (the plan date for the last one).
    starts = [p.start_time.normalize() - pd.Timedelta(days=1) for p in periods]
    ends = [min(p.end_time.normalize(), as_of) for p in periods]
    days = sorted(set(starts) | set(ends))
    wide = account_arr(subs, days)
    segment = account_segments(subs).reindex(wide.index).to_numpy()
    rows = []
    for period, day0, day1 in zip(periods, starts, ends):
        s = wide[day0].to_numpy()
        e = wide[day1].to_numpy()
        had, has = s > 0, e > 0
        kept = had & has
        frame = pd.DataFrame({
            "segment": segment,
            "starting_arr": s,
            "new_arr": np.where(~had & has, e, 0.0),
            "expansion_arr": np.where(kept & (e > s), e - s, 0.0),
            "contraction_arr": np.where(kept & (e < s), s - e, 0.0),
            "churned_arr": np.where(had & ~has, s, 0.0),
            "ending_arr": e,
            "accounts_start": had.astype(int),
            "accounts_new": (~had & has).astype(int),
            "accounts_churned": (had & ~has).astype(int),
            "accounts_end": has.astype(int),
        })
        by_segment = frame.groupby("segment", sort=True)[_SUMS].sum()
        by_segment.loc[OVERALL] = frame[_SUMS].sum()
        by_segment = by_segment.reset_index()
        by_segment["period"] = str(period)
        by_segment["period_start"] = period.start_time.normalize().date().isoformat()
        by_segment["period_end"] = day1.date().isoformat()
        by_segment["complete"] = bool(day1 == period.end_time.normalize())
        rows.append(by_segment)
    out = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=BRIDGE_COLUMNS)
    return _rates(out)[BRIDGE_COLUMNS]


def _rates(bridge: pd.DataFrame) -> pd.DataFrame:
    out = bridge.copy()
    start = out["starting_arr"].to_numpy(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["grr"] = np.where(start > 0, (start - out["contraction_arr"] - out["churned_arr"]) / start, np.nan)
        out["nrr"] = np.where(start > 0, (start + out["expansion_arr"] - out["contraction_arr"]
                                          - out["churned_arr"]) / start, np.nan)
        n = out["accounts_start"].to_numpy(float)
        out["logo_churn_rate"] = np.where(n > 0, out["accounts_churned"] / n, np.nan)
    for column in _SUMS:
        if column.startswith("accounts_"):
            out[column] = out[column].astype(int)
    return out


def rolling_retention(bridge: pd.DataFrame, periods: int = 4) -> pd.DataFrame:
    """GRR and NRR over the last ``periods`` periods per segment (ARR-weighted chain of the
    periods' rates: each period's retained share of its starting ARR multiplied together)."""
    rows = []
    for segment, frame in bridge.groupby("segment", sort=True):
        last = frame.sort_values("period").tail(periods)
        rows.append({"segment": segment, "periods": f"{last['period'].iloc[0]}..{last['period'].iloc[-1]}",
                     "grr": float(np.prod(last["grr"].fillna(1.0))),
                     "nrr": float(np.prod(last["nrr"].fillna(1.0)))})
    return pd.DataFrame(rows)
