"""ARR per account per day: the sum of the ARR of the account's subscriptions active that day.

A subscription is active from ``start_date`` to ``end_date`` inclusive (the last day of service,
as a CRM's contract end date is written); an empty ``end_date`` is open-ended. A renewal is a new
row for the same account, usually starting the day after the previous one ends.
"""
from __future__ import annotations

from typing import Iterable

import numpy as np
import pandas as pd

from forecasting.revenue.errors import input_error

REQUIRED = ("subscription_id", "account_id", "segment", "start_date", "end_date", "arr")
OVERALL = "ALL"


def prepare_subscriptions(subscriptions: pd.DataFrame) -> pd.DataFrame:
    """A typed copy (dates as Timestamps, ``arr`` as float), checked: every required column, an end
    never before its start, ARR not negative. Errors name the column and the rows."""
    missing = [c for c in REQUIRED if c not in subscriptions.columns]
    if missing:
        raise input_error("subscriptions", None, f"missing column(s) {', '.join(map(repr, missing))}",
                          "subscription_id, account_id, segment, start_date, end_date (empty: open), arr")
    out = subscriptions.copy().reset_index(drop=True)
    for column in ("subscription_id", "account_id", "segment"):
        out[column] = out[column].astype("string").str.strip().astype(object)
        empty = out[column].isna() | (out[column] == "")
        if empty.any():
            raise input_error("subscriptions", column, "empty value(s)", "a value in every row",
                              rows=np.flatnonzero(empty.to_numpy()))
    for column in ("start_date", "end_date"):
        try:
            out[column] = pd.to_datetime(out[column]).dt.normalize()
        except (ValueError, TypeError) as exc:
            raise input_error("subscriptions", column, f"value(s) are not dates ({exc})",
                              "dates such as 2026-03-31") from None
    if out["start_date"].isna().any():
        raise input_error("subscriptions", "start_date", "empty value(s)", "the first day of service",
                          rows=np.flatnonzero(out["start_date"].isna().to_numpy()))
    out["arr"] = pd.to_numeric(out["arr"], errors="coerce")
    bad = out["arr"].isna() | ~np.isfinite(out["arr"]) | (out["arr"] < 0)
    if bad.any():
        raise input_error("subscriptions", "arr", "value(s) missing, not numbers or negative",
                          "an annual recurring amount >= 0", rows=np.flatnonzero(bad.to_numpy()))
    backwards = (out["end_date"] < out["start_date"]).to_numpy()
    if backwards.any():
        raise input_error("subscriptions", "end_date", "end before start", "end_date on or after start_date "
                          "(the last day of service; empty: open-ended)", rows=np.flatnonzero(backwards))
    dup = out["subscription_id"].duplicated(keep=False).to_numpy()
    if dup.any():
        raise input_error("subscriptions", "subscription_id", "repeated id(s)", "one row per subscription "
                          "(a renewal is a new row with its own id)", rows=np.flatnonzero(dup))
    return out


def account_segments(subscriptions: pd.DataFrame) -> pd.Series:
    """account_id -> segment: the segment of the account's newest subscription (an account that
    moved segment is reported under the one it is in now)."""
    order = subscriptions.sort_values(["start_date", "subscription_id"], kind="stable")
    return order.groupby("account_id", sort=True)["segment"].last()


def active_on(subscriptions: pd.DataFrame, day: pd.Timestamp) -> np.ndarray:
    """Which subscriptions are active on ``day`` (start <= day <= end, or no end)."""
    day = pd.Timestamp(day).normalize()
    start = subscriptions["start_date"].to_numpy()
    end = subscriptions["end_date"].to_numpy()
    return (start <= np.datetime64(day)) & (np.isnat(end) | (end >= np.datetime64(day)))


def account_arr(subscriptions: pd.DataFrame, days: Iterable[pd.Timestamp] | pd.Timestamp) -> pd.DataFrame:
    """ARR per account (rows, every account of the table) per day (columns): the sum of the ARR
    of its subscriptions active that day. ``subscriptions`` as :func:`prepare_subscriptions` returns."""
    if isinstance(days, (pd.Timestamp, str)):
        days = [days]
    days = [pd.Timestamp(d).normalize() for d in days]
    accounts = pd.Index(sorted(subscriptions["account_id"].unique()), name="account_id")
    codes = accounts.get_indexer(subscriptions["account_id"])
    arr = subscriptions["arr"].to_numpy(float)
    out = np.zeros((len(accounts), len(days)))
    for j, day in enumerate(days):
        active = active_on(subscriptions, day)
        out[:, j] = np.bincount(codes[active], weights=arr[active], minlength=len(accounts))
    return pd.DataFrame(out, index=accounts, columns=pd.DatetimeIndex(days))


def daily_arr(subscriptions: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """Long table ``account_id, segment, date, arr`` for every day from ``start`` to ``end``
    (accounts with no ARR that day are left out)."""
    subs = prepare_subscriptions(subscriptions)
    days = pd.date_range(pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize(), freq="D")
    wide = account_arr(subs, days)
    long = wide.stack().rename("arr").reset_index()
    long.columns = ["account_id", "date", "arr"]
    long = long[long["arr"] > 0]
    long.insert(1, "segment", long["account_id"].map(account_segments(subs)))
    return long.reset_index(drop=True)
