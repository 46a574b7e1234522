"""Input checks and normalisation shared by the KPI, plan and headcount functions.

The CLI validates files against the data contracts first; these functions still check what
they rely on so that a notebook passing a hand-made frame gets a clear message too.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecasting.funnel.errors import input_error

OVERALL = "ALL"  # the segment label of the all-segments rows
DAYS_PER_MONTH = 365.25 / 12.0

_TRUE = {"1", "1.0", "true", "t", "yes", "y", "won", "closed won", "sql"}
_FALSE = {"0", "0.0", "false", "f", "no", "n", "lost", "closed lost"}


@dataclass(frozen=True)
class Window:
    """The dates a KPI covers, both ends included."""

    start: pd.Timestamp
    end: pd.Timestamp

    @property
    def months(self) -> float:
        return ((self.end - self.start).days + 1) / DAYS_PER_MONTH

    def contains(self, dates: pd.Series) -> pd.Series:
        return (dates >= self.start) & (dates <= self.end)


def require_columns(frame: pd.DataFrame, table: str, columns: list[str], hint: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise input_error(
            table, None, f"missing column(s) {', '.join(map(repr, missing))}",
            f"columns {', '.join(columns)}", f"columns {', '.join(map(str, frame.columns))}", hint,
        )


def parse_flag(series: pd.Series, table: str, column: str) -> pd.Series:
    """1/0, true/false, yes/no, won/lost -> 1.0/0.0, empty -> NaN (still open)."""
    if pd.api.types.is_bool_dtype(series) or pd.api.types.is_numeric_dtype(series):
        values = series.astype(float)
        bad = values.notna() & ~values.isin([0.0, 1.0])
    else:
        text = series.astype("string").str.strip().str.lower()
        values = pd.Series(np.nan, index=series.index, dtype=float)
        values[text.isin(_TRUE).fillna(False).to_numpy(dtype=bool)] = 1.0
        values[text.isin(_FALSE).fillna(False).to_numpy(dtype=bool)] = 0.0
        bad = values.isna() & text.notna() & (text != "")
    if bad.any():
        raise input_error(
            table, column, "values that are not a yes/no outcome",
            "1/0, true/false or empty for still open", repr(series[bad].astype(str).unique()[:3].tolist()),
            "fix those rows, or map the right column onto this one",
            rows=np.flatnonzero(bad.to_numpy()),
        )
    return values


def parse_dates(series: pd.Series, table: str, column: str) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(series):
        if getattr(series.dt, "tz", None) is not None:
            series = series.dt.tz_convert("UTC").dt.tz_localize(None)
        return series.astype("datetime64[ns]")
    parsed = pd.to_datetime(series, errors="coerce", format="mixed")
    bad = parsed.isna() & series.notna() & (series.astype("string").str.strip() != "")
    if bad.any():
        raise input_error(
            table, column, "dates that cannot be read", "a date such as 2026-03-31",
            repr(series[bad].astype(str).unique()[:3].tolist()), "fix those rows in the export",
            rows=np.flatnonzero(bad.to_numpy()),
        )
    return parsed.astype("datetime64[ns]")


def parse_numbers(series: pd.Series, table: str, column: str) -> pd.Series:
    values = pd.to_numeric(series, errors="coerce").astype(float)
    bad = values.isna() & series.notna()
    if bad.any():
        raise input_error(
            table, column, "values that are not numbers", "a number such as 1200.50",
            repr(series[bad].astype(str).unique()[:3].tolist()), "fix those rows in the export",
            rows=np.flatnonzero(bad.to_numpy()),
        )
    return values


def prepare_opportunities(opportunities: pd.DataFrame) -> pd.DataFrame:
    """Typed copy with ``closed_on`` (closed_at, else close_date, for closed deals only)."""
    table = "opportunities"
    require_columns(
        opportunities, table, ["opportunity_id", "segment", "created_at", "stage", "amount", "is_won"],
        "rename the export's columns to the opportunities contract's names",
    )
    opps = opportunities.copy()
    opps["segment"] = opps["segment"].astype("string").str.strip().astype(object)
    opps["stage"] = opps["stage"].astype("string").str.strip().fillna("").astype(object)
    opps["created_at"] = parse_dates(opps["created_at"], table, "created_at")
    opps["amount"] = parse_numbers(opps["amount"], table, "amount")
    opps["is_won"] = parse_flag(opps["is_won"], table, "is_won")
    for column in ("close_date", "closed_at"):
        if column in opps.columns:
            opps[column] = parse_dates(opps[column], table, column)
        else:
            opps[column] = pd.NaT
    closed = opps["is_won"].notna()
    opps["closed_on"] = opps["closed_at"].where(opps["closed_at"].notna(), opps["close_date"])
    opps.loc[~closed, "closed_on"] = pd.NaT
    undated = closed & opps["closed_on"].isna()
    if undated.any():
        raise input_error(
            table, "close_date", "closed deals without a close date",
            "a close_date (or closed_at) on every won or lost opportunity", "empty values",
            "fill the close date in the CRM export, or leave is_won empty for deals still open",
            rows=np.flatnonzero(undated.to_numpy()),
        )
    if opps["segment"].isna().any():
        raise input_error(
            table, "segment", "opportunities without a segment", "a segment on every opportunity",
            "empty values", "fill the segment, e.g. from the account",
            rows=np.flatnonzero(opps["segment"].isna().to_numpy()),
        )
    # A deal without a creation date (early-stage deals in some exports) still counts in the win
    # rate and the open pipeline; it is left out of what needs the date (cycle, cohorts, lags).
    return opps


def prepare_leads(leads: pd.DataFrame, opportunities: pd.DataFrame | None = None) -> pd.DataFrame:
    """Typed copy; the segment comes from the account's opportunities when leads carry none."""
    table = "leads"
    require_columns(leads, table, ["lead_id", "created_at", "is_sql"],
                    "map the lead label column onto 'is_sql' (1 = became an SQL, empty = open)")
    out = leads.copy()
    out["created_at"] = parse_dates(out["created_at"], table, "created_at")
    out["is_sql"] = parse_flag(out["is_sql"], table, "is_sql")
    if "segment" in out.columns:
        out["segment"] = out["segment"].astype("string").str.strip().astype(object)
    elif opportunities is not None and "account_id" in out.columns and "account_id" in opportunities.columns:
        out["segment"] = out["account_id"].map(account_segments(opportunities))
    else:
        out["segment"] = None
    return out


def account_segments(opportunities: pd.DataFrame) -> pd.Series:
    """Each account's most frequent opportunity segment (ties: first in alphabetical order)."""
    pairs = opportunities.dropna(subset=["account_id"]).groupby(["account_id", "segment"]).size()
    if pairs.empty:
        return pd.Series(dtype=object)
    frame = pairs.rename("n").reset_index().sort_values(["account_id", "n", "segment"],
                                                        ascending=[True, False, True])
    return frame.drop_duplicates("account_id").set_index("account_id")["segment"]


def data_as_of(opps: pd.DataFrame, leads: pd.DataFrame | None = None) -> pd.Timestamp:
    """The last date the data knows about: never today's clock, so reruns give the same output."""
    dates = [opps["created_at"].max(), opps["closed_on"].max()]
    if leads is not None and len(leads):
        dates.append(leads["created_at"].max())
    dates = [d for d in dates if pd.notna(d)]
    return pd.Timestamp(max(dates)).normalize()


def kpi_window(as_of: pd.Timestamp, window_months: int | None, first: pd.Timestamp) -> Window:
    if window_months is None:
        return Window(pd.Timestamp(first).normalize(), as_of)
    if window_months < 1:
        raise input_error("settings", "window_months", "a window shorter than a month",
                          "a whole number of months >= 1, or None for all history",
                          repr(window_months), "use e.g. 12")
    start = as_of - pd.DateOffset(months=int(window_months)) + pd.Timedelta(days=1)
    return Window(pd.Timestamp(start).normalize(), as_of)


def parse_period(text: object, table: str = "targets", column: str = "period") -> pd.Period:
    """``2027Q1``/``2027-Q1`` (quarter), ``2027-01`` (month) or ``2027`` (year) -> pandas Period."""
    value = str(text).strip().upper().replace("-Q", "Q").replace(" ", "")
    try:
        if "Q" in value:
            return pd.Period(value, freq="Q")
        if len(value) == 4 and value.isdigit():
            return pd.Period(value, freq="Y")
        return pd.Period(value, freq="M")
    except (ValueError, TypeError) as exc:
        raise input_error(table, column, f"a period that cannot be read ({exc})",
                          "a quarter such as 2027Q1, a month such as 2027-01 or a year such as 2027",
                          repr(text), "write the period as 2027Q1") from exc


def prepare_targets(targets: pd.DataFrame) -> pd.DataFrame:
    """Typed copy with ``start``/``end`` timestamps of each target period."""
    require_columns(targets, "targets", ["segment", "period", "target"],
                    "a targets table has one row per segment and period, e.g. SMB,2027Q1,1200000")
    out = targets.copy()
    out["segment"] = out["segment"].astype("string").str.strip().astype(object)
    out["target"] = parse_numbers(out["target"], "targets", "target")
    periods = [parse_period(p) for p in out["period"]]
    out["period"] = [str(p) for p in periods]
    out["start"] = [p.start_time.normalize() for p in periods]
    out["end"] = [p.end_time.normalize() for p in periods]
    negative = out["target"] < 0
    if negative.any():
        raise input_error("targets", "target", "negative targets", "a target >= 0",
                          repr(out.loc[negative, "target"].tolist()[:3]), "fix the targets file",
                          rows=np.flatnonzero(negative.to_numpy()))
    return out


NEW_BUSINESS = ("", "new", "new business", "new_business")


def new_business_targets(targets: pd.DataFrame) -> pd.DataFrame:
    """The new-business rows of a targets table that carries ``type`` (new / renewal /
    expansion; empty counts as new), without the column; a table without it as it is. The
    funnel works back only new business: renewals and expansion come from customers, not leads."""
    if "type" not in targets.columns:
        return targets
    kind = targets["type"].astype("string").str.strip().str.lower().fillna("")
    return targets[kind.isin(NEW_BUSINESS).to_numpy()].drop(columns=["type"]).reset_index(drop=True)
