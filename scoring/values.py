"""Cleaning single cell values: form placeholders, booleans, numbers, dates.

Every column encoder maps *distinct* values through these scalar functions and then spreads the
result over the rows (``pandas.factorize``). The batch path and the one-lead path of the HTTP
service therefore share one definition of what a value means, and a million rows cost one pass
over their few distinct values instead of a Python call per row.
"""
from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

import numpy as np
import pandas as pd

# What web forms and CRMs write for "no answer"; compared after strip() and lower().
PLACEHOLDERS = frozenset({"", "n/a", "na", "nan", "-", "--", "unknown", "none", "null", "?", "nat"})
TRUE_TOKENS = frozenset({"1", "true", "yes", "y", "t"})
FALSE_TOKENS = frozenset({"0", "false", "no", "n", "f"})
BOOL_TOKENS = TRUE_TOKENS | FALSE_TOKENS


def clean_token(value: Any) -> str | None:
    """A cell as a stripped string, or None when it is missing or a form placeholder.

    Integral floats print without ``.0`` so that ``1.0`` read by pandas and ``"1"`` typed in a
    form are the same category.
    """
    if value is None:
        return None
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, (float, np.floating)):
        if math.isnan(value):
            return None
        if value.is_integer():
            return str(int(value))
        return repr(float(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if value is pd.NaT or (isinstance(value, pd.Timestamp) and pd.isna(value)):
        return None
    text = str(value).strip()
    if text.lower() in PLACEHOLDERS:
        return None
    return text


def is_missing(value: Any) -> bool:
    return clean_token(value) is None


def parse_number(value: Any) -> float | None:
    """Float value, NaN when missing, None when the cell holds text that is not a number."""
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        return float(value)
    token = clean_token(value)
    if token is None:
        return math.nan
    try:
        return float(token.replace(",", "")) if _is_thousands(token) else float(token)
    except ValueError:
        return None


def _is_thousands(token: str) -> bool:
    # "12,500" from a spreadsheet; "1,5" (a decimal comma) is not rewritten.
    parts = token.lstrip("+-").split(",")
    return len(parts) > 1 and all(len(p) == 3 and p.isdigit() for p in parts[1:]) and parts[0].isdigit()


def parse_bool(value: Any) -> float | None:
    """1.0 / 0.0, NaN when missing, None when the cell is not a yes/no value."""
    token = clean_token(value)
    if token is None:
        return math.nan
    lowered = token.lower()
    if lowered in TRUE_TOKENS:
        return 1.0
    if lowered in FALSE_TOKENS:
        return 0.0
    return None


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
    """Parse strings/datetimes to float days; NaN where a value cannot be read as a date."""
    parsed = pd.to_datetime(pd.Index(values, dtype=object), errors="coerce", format=date_format, utc=True)
    return to_days(parsed)


def date_days(series: pd.Series, date_format: str) -> tuple[np.ndarray, np.ndarray]:
    """(days, invalid mask) for a date column; placeholders are missing, other junk invalid.

    Parsed in one vectorised call; only the cells that fail are looked at one distinct value at
    a time, to tell a placeholder ("N/A": missing) from junk ("soon": invalid).
    """
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        return to_days(series), np.zeros(len(series), dtype=bool)
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
