"""Cleaning single cell values: form placeholders, booleans, numbers, dates.

Every column encoder maps *distinct* values through these scalar functions and then spreads the
result over the rows (``pandas.factorize``). The batch path and the one-lead path of the HTTP
service therefore share one definition of what a value means, and a million rows cost one pass
over their few distinct values instead of a Python call per row.

The vocabulary (placeholders, yes/no words) and the readings of numbers and dates are the
project's parsing layer (:mod:`parsing`): a number column remembers its decimal separator
(``ColumnSpec.decimal``) and a date column its day/month order (``ColumnSpec.date_format`` is
``"DMY"``, ``"MDY"`` or ``"YMD"``; ``"ISO8601"`` for ISO stamps; models saved before kept
pandas' ``"mixed"``, still read as they were).
"""
from __future__ import annotations

import functools
import math
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

import numpy as np
import pandas as pd

from parsing import BOOL_TOKENS, FALSE_TOKENS, ORDERS, PLACEHOLDERS, TRUE_TOKENS, clean_token, read_dates
from parsing import flag_value as parse_bool
from parsing import number_value

__all__ = ["BOOL_TOKENS", "FALSE_TOKENS", "PLACEHOLDERS", "TRUE_TOKENS", "clean_token", "date_days",
           "date_value_days", "is_missing", "map_distinct", "number_parser", "parse_bool",
           "parse_dates", "parse_number", "to_days"]


def is_missing(value: Any) -> bool:
    return clean_token(value) is None


def parse_number(value: Any, decimal: str | None = None) -> float | None:
    """Float value, NaN when missing, None when the cell holds text that is not a number.

    ``decimal``: the column's decimal separator ("," or "."); None: a value that reads both
    ways (``3.500``) takes the decimal point, one that reads one way (``2,3``) that way.
    Money, percentages and grouped thousands read as :func:`parsing.read_numbers` reads them.
    """
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        return float(value)
    return number_value(value, decimal)  # type: ignore[arg-type]


def number_parser(decimal: str | None) -> Callable[[Any], float | None]:
    """:func:`parse_number` for a column read with ``decimal`` (the function itself for None)."""
    return parse_number if decimal is None else functools.partial(parse_number, decimal=decimal)


def map_distinct(series: pd.Series, func: Callable[[Any], float | None]) -> tuple[np.ndarray, np.ndarray]:
    """Apply ``func`` to each distinct value of ``series``; return (float values, invalid mask).

    ``func`` returns a float (NaN = missing) or None for an invalid value (reported, not guessed).
    """
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    mapped = np.empty(len(uniques) + 1, dtype=np.float64)
    bad = np.zeros(len(uniques) + 1, dtype=bool)
    for i, value in enumerate(uniques):
        result = func(value)
        if result is None:
            mapped[i], bad[i] = math.nan, True
        else:
            mapped[i] = result
    mapped[-1] = math.nan  # code -1: pandas' own missing values
    return mapped[codes], bad[codes]


def to_days(stamps: pd.DatetimeIndex | pd.Series) -> np.ndarray:
    """Datetimes as float days since 1970-01-01 (NaN for NaT), time zones converted to UTC."""
    index = pd.DatetimeIndex(stamps)
    if index.tz is not None:
        index = index.tz_convert("UTC").tz_localize(None)
    values = index.as_unit("ns").asi8.astype(np.float64) / 86_400e9
    values[index.isna()] = math.nan
    return values


def parse_dates(values: Any, date_format: str) -> np.ndarray:
    """Parse strings/datetimes to float days; NaN where a value cannot be read as a date.

    ``date_format``: ``"DMY"``, ``"MDY"`` or ``"YMD"`` (the column's order, read by
    :func:`parsing.read_dates`), else a pandas format (``"ISO8601"``, ``"mixed"``)."""
    if date_format in ORDERS:
        return to_days(pd.DatetimeIndex(read_dates(pd.Index(values, dtype=object), order=date_format).values))
    parsed = pd.to_datetime(pd.Index(values, dtype=object), errors="coerce", format=date_format, utc=True)
    return to_days(parsed)


def date_days(series: pd.Series, date_format: str) -> tuple[np.ndarray, np.ndarray]:
    """(days, invalid mask) for a date column; placeholders are missing, other junk invalid.

    Parsed in one vectorised call; only the cells that fail are looked at one distinct value at
    a time, to tell a placeholder ("N/A": missing) from junk ("soon": invalid).
    """
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        return to_days(series), np.zeros(len(series), dtype=bool)
    if date_format in ORDERS:
        reading = read_dates(pd.Series(series, dtype=object), order=date_format)
        return to_days(pd.DatetimeIndex(reading.values)), reading.bad
    parsed = pd.to_datetime(pd.Series(series, dtype=object), errors="coerce", format=date_format, utc=True)
    days = to_days(parsed)
    failed = np.isnan(days)
    bad = np.zeros(len(days), dtype=bool)
    if failed.any():
        codes, uniques = pd.factorize(pd.Series(series, dtype=object)[failed], use_na_sentinel=True)
        present = np.array([clean_token(v) is not None for v in uniques] + [False], dtype=bool)
        bad[failed] = present[codes]
    return days, bad


_EPOCH = datetime(1970, 1, 1)
_MICRO = timedelta(microseconds=1)


def date_value_days(value: Any, date_format: str) -> tuple[float, bool]:
    """One cell as (float days since 1970, invalid?): the one-lead twin of :func:`date_days`."""
    if isinstance(value, (pd.Timestamp, datetime)) and not pd.isna(value):
        stamp = pd.Timestamp(value)
        if stamp.tzinfo is not None:
            stamp = stamp.tz_convert("UTC").tz_localize(None)
        return stamp.as_unit("ns").value / 86_400e9, False
    token = clean_token(value)
    if token is None:
        return math.nan, False
    if date_format == "ISO8601":
        try:
            parsed = datetime.fromisoformat(token)
        except ValueError:
            parsed = None
        if parsed is not None:
            if parsed.tzinfo is not None:
                parsed = parsed.astimezone(timezone.utc).replace(tzinfo=None)
            # Integer nanoseconds, as pandas computes them, so both paths give identical floats.
            return ((parsed - _EPOCH) // _MICRO * 1000) / 86_400e9, False
    days = parse_dates([token], date_format)[0]
    return float(days), bool(np.isnan(days))
