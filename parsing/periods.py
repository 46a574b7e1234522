"""Planning periods: a quarter (``2027Q1``) or a month (``2027-01``), as exports write them."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

import numpy as np
import pandas as pd

from parsing.dates import DateOrder, DateReading, read_dates

_QUARTER = r"^(\d{4})\s*-?\s*Q([1-4])$"
_QUARTER_FIRST = r"^Q([1-4])\s*[- ]?\s*(\d{4})$"


@dataclass(frozen=True)
class PeriodReading:
    """Canonical period texts (``2027Q1``, ``2027-01``; None where missing or bad) and the
    reading of the values that were dates (at positions ``date_rows``)."""

    values: pd.Series
    missing: np.ndarray
    bad: np.ndarray
    dates: DateReading | None = None
    date_rows: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))


def read_periods(values: pd.Series | Iterable[Any], *, order: DateOrder | None = None,
                 fallback: DateOrder | None = None) -> PeriodReading:
    """``2027Q1``, ``2027-Q1``, ``Q1 2027``, ``2027-01`` or a date (read as :func:`read_dates`
    reads a column) -> the canonical period text."""
    series = values if isinstance(values, pd.Series) else pd.Series(list(values), dtype=object)
    text = series.astype("string").str.strip().str.upper()
    out = pd.Series(pd.NA, index=series.index, dtype="string")
    quarter = text.str.extract(_QUARTER)
    first = quarter[0].notna()
    out[first] = quarter[0][first] + "Q" + quarter[1][first]
    reversed_ = text.str.extract(_QUARTER_FIRST)
    second = reversed_[0].notna() & out.isna()
    out[second] = reversed_[1][second] + "Q" + reversed_[0][second]
    rest = (out.isna() & text.notna() & (text != "")).to_numpy(dtype=bool)
    dates = None
    positions = np.flatnonzero(rest)
    missing = (text.isna() | (text == "")).to_numpy(dtype=bool)
    bad = np.zeros(len(series), dtype=bool)
    if rest.any():
        dates = read_dates(series[rest], order=order, fallback=fallback)
        stamps = pd.Series(dates.values)
        month = stamps.dt.strftime("%Y-%m")
        ok = ~np.isnat(dates.values)
        out.iloc[positions[ok]] = month[ok].to_numpy()
        missing[positions[dates.missing]] = True
        bad[positions[~ok & ~dates.missing]] = True
    return PeriodReading(out.astype(object).where(out.notna(), None), missing, bad, dates, positions)
