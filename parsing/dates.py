"""Dates as exports write them, read one whole column at a time with one day/month order.

``03/04/2026`` is 3 April in Europe and March 4 in the United States, so the order is decided
per column from all its values, never value by value:

- a value whose first number is above 12 (``31/03/2026``) tells day-first; one whose second
  number is above 12 (``03/31/2026``) tells month-first; a column holding both mixes two
  readings (:attr:`DateReading.mixed`) and the caller refuses it;
- when no value tells, the caller's ``fallback`` (what the file's or folder's other date columns
  told) decides; then the convention that dotted dates (``04.03.2026``) are day-first; else the
  column is *undecided* and the caller refuses it or says so;
- a setting (``order``) overrides all of that; values that do not read under it are bad.

A year first (``2026-03-31``, ``2026/03/31``) is always year-month-day; month names
(``31 Mar 2026``, ``March 31, 2026``) tell the order themselves. Two-digit years are read as
the last two digits of a year (``26`` is 2026, ``85`` is 1985) at the end of the date, or at the
start with the setting ``YMD``. Times (``14:05``, ``14:05:33.120``, ``2:05 PM``) and offsets
(``Z``, ``+02:00``, ``UTC``) are read; every value becomes a naive UTC ``datetime64[ns]``.
"""
from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Literal

import numpy as np
import pandas as pd

from parsing.column import ColumnReading
from parsing.tokens import PLACEHOLDERS

DateOrder = Literal["DMY", "MDY", "YMD"]
ORDERS: tuple[DateOrder, ...] = ("DMY", "MDY", "YMD")
ORDER_WORDS = {"DMY": "day/month/year", "MDY": "month/day/year", "YMD": "year/month/day"}

_TIME = (r"(?:(?:[T ]|,\s*|\s+)(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:[.,](?P<F>\d{1,9}))?)?"
         r"\s*(?P<ampm>[AaPp]\.?[Mm]\.?)?)?")
_ZONE = r"\s*(?P<tz>Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?"
_NUMERIC = re.compile(rf"^(?P<a>\d{{1,4}})(?P<sep>[-/.])(?P<b>\d{{1,2}})(?P=sep)(?P<c>\d{{1,4}}){_TIME}{_ZONE}$")
_MONTH = r"(?P<mon>[A-Za-z]{3,9})\.?"
_NAMED_DAY_FIRST = re.compile(
    rf"^(?P<d>\d{{1,2}})(?:st|nd|rd|th)?[-\s/.]+{_MONTH}[-\s/.,]+(?P<y>\d{{4}}){_TIME}{_ZONE}$")
_NAMED_MONTH_FIRST = re.compile(
    rf"^(?:[A-Za-z]{{3,9}},?\s+)?{_MONTH}[-\s/.]+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<y>\d{{4}}){_TIME}{_ZONE}$")
_ISO_START = re.compile(r"^\d{4}-\d")
_HAS_ZONE = re.compile(r"(Z|[+-]\d{2}:?\d{2})$")
_MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_abbr) if name}
_MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_name) if name})
_MONTHS["sept"] = 9


@dataclass(frozen=True)
class DateReading(ColumnReading):
    """A column read as dates (naive UTC). ``order`` is the order the values that needed one
    were read with, and ``decided_by`` why: ``"setting"``, ``"values"``, ``"evidence"``,
    ``"convention"`` (dotted dates), ``"default"`` (undecided, see :attr:`undecided`) or None
    (no value needed an order)."""

    values: np.ndarray
    missing: np.ndarray
    bad: np.ndarray
    order: DateOrder | None = None
    decided_by: str | None = None
    ambiguous: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    day_first_rows: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    month_first_rows: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))

    WAYS = ("DMY", "MDY")

    def told_rows(self) -> tuple[np.ndarray, np.ndarray]:
        return self.day_first_rows, self.month_first_rows


@dataclass
class _Parts:
    """What a text says before an order is chosen: fixed (y, m, d) or open (a, b, year)."""

    fixed: tuple[int, int, int] | None
    open: tuple[int, int, int, bool] | None  # a, b, year, two-digit year
    time: str
    zone: str | None
    dotted: bool


def _year(two: str) -> int:
    value = int(two)
    return 2000 + value if value < 69 else 1900 + value  # Python's %y rule


def _valid(y: int, m: int, d: int) -> bool:
    return 1 <= m <= 12 and 1 <= d <= calendar.monthrange(y, m)[1] if 1 <= y <= 9999 else False


def _time_text(g: dict[str, str | None]) -> str | None:
    """``THH:MM:SS.fffffffff`` or "" (no time), None when the time does not read."""
    if g["H"] is None:
        return ""
    hour, minute = int(g["H"]), int(g["M"])
    if g["ampm"]:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if g["ampm"][0] in "Pp" else 0)
    if hour > 23 or minute > 59 or (g["S"] is not None and int(g["S"]) > 59):
        return None
    text = f"T{hour:02d}:{minute:02d}:{g['S'] or '00'}"
    return text + (f".{g['F']}" if g["F"] else "")


def _zone_text(zone: str | None) -> str | None:
    if not zone:
        return None
    if zone in ("Z", "UTC", "GMT"):
        return "+00:00"
    digits = zone[1:].replace(":", "")
    return f"{zone[0]}{digits[:2]}:{digits[2:4] or '00'}"


def _parts(text: str) -> _Parts | None:
    match = _NUMERIC.match(text)
    if match is not None:
        g = match.groupdict()
        time = _time_text(g)
        if time is None:
            return None
        a, b, c = g["a"], g["b"], g["c"]
        zone, dotted = _zone_text(g["tz"]), g["sep"] == "."
        if len(a) == 4 and len(c) <= 2:
            return _Parts((int(a), int(b), int(c)), None, time, zone, dotted)
        if len(a) <= 2 and len(c) == 4:
            return _Parts(None, (int(a), int(b), int(c), False), time, zone, dotted)
        if len(a) <= 2 and len(c) == 2:
            return _Parts(None, (int(a), int(b), int(c), True), time, zone, dotted)
        return None
    for pattern in (_NAMED_DAY_FIRST, _NAMED_MONTH_FIRST):
        match = pattern.match(text)
        if match is not None:
            g = match.groupdict()
            month = _MONTHS.get(g["mon"].lower())
            time = _time_text(g)
            if month is None or time is None:
                return None
            return _Parts((int(g["y"]), month, int(g["d"])), None, time, _zone_text(g["tz"]), False)
    return None


def _candidates(parts: _Parts) -> set[str]:
    a, b, year, two_digit = parts.open  # type: ignore[misc]
    y = _year(str(year)) if two_digit else year
    out = set()
    if _valid(y, b, a):
        out.add("DMY")
    if _valid(y, a, b):
        out.add("MDY")
    return out


def _ymd(parts: _Parts, order: str | None) -> tuple[int, int, int] | None:
    if parts.fixed is not None:
        return parts.fixed
    a, b, year, two_digit = parts.open  # type: ignore[misc]
    if order == "YMD":
        return (_year(str(a)), b, year) if two_digit and a >= 0 else None
    y = _year(str(year)) if two_digit else year
    if order == "DMY":
        return (y, b, a)
    if order == "MDY":
        return (y, a, b)
    return None


def _to_utc(texts: list[str]) -> np.ndarray:
    """ISO texts to naive UTC datetime64[ns]; those with an offset are parsed apart from the
    others (pandas carries one value's offset into the naive values after it in one call)."""
    out = np.full(len(texts), np.datetime64("NaT"), dtype="datetime64[ns]")
    if not texts:
        return out
    zoned = np.array([bool(_HAS_ZONE.search(t)) for t in texts], dtype=bool)
    array = np.array(texts, dtype=object)
    for mask in (zoned, ~zoned):
        if mask.any():
            parsed = pd.to_datetime(pd.Series(array[mask]), format="ISO8601", errors="coerce", utc=True)
            out[mask] = parsed.dt.tz_localize(None).to_numpy(dtype="datetime64[ns]")
    return out


def _as_series(values: pd.Series | Iterable[Any]) -> pd.Series:
    if isinstance(values, pd.Series):
        return values
    if isinstance(values, (np.ndarray, pd.Index)):
        return pd.Series(values)
    return pd.Series(list(values), dtype=object)


def _naive_utc(values: pd.Series) -> np.ndarray:
    if getattr(values.dt, "tz", None) is not None:
        values = values.dt.tz_convert("UTC").dt.tz_localize(None)
    return values.to_numpy(dtype="datetime64[ns]")


def read_dates(
    values: pd.Series | Iterable[Any],
    *,
    order: DateOrder | None = None,
    fallback: DateOrder | None = None,
    default: DateOrder = "MDY",
) -> DateReading:
    """Read a column as dates, one day/month order for the whole column (see the module
    docstring). Each distinct value is read once."""
    series = _as_series(values)
    n = len(series)
    none = np.zeros(n, dtype=bool)
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        stamps = _naive_utc(series)
        return DateReading(stamps, np.isnat(stamps), none, None, None, none, none, none)
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    k = len(uniques)
    stamps = np.full(k + 1, np.datetime64("NaT"), dtype="datetime64[ns]")
    missing = np.zeros(k + 1, dtype=bool)
    missing[k] = True
    bad = np.zeros(k + 1, dtype=bool)
    iso: list[int] = []
    others: dict[int, _Parts] = {}
    for i, value in enumerate(uniques):
        if isinstance(value, str):
            text = value.strip()
            if text.lower() in PLACEHOLDERS:
                missing[i] = True
            elif _ISO_START.match(text):
                iso.append(i)
            else:
                parts = _parts(text)
                if parts is None:
                    bad[i] = True
                else:
                    others[i] = parts
        elif isinstance(value, (pd.Timestamp, np.datetime64)) or hasattr(value, "year"):
            stamp = pd.Timestamp(value)
            if pd.isna(stamp):
                missing[i] = True
            else:
                if stamp.tzinfo is not None:
                    stamp = stamp.tz_convert("UTC").tz_localize(None)
                stamps[i] = stamp.as_unit("ns").to_datetime64()
        elif isinstance(value, float) and np.isnan(value):
            missing[i] = True
        else:
            bad[i] = True  # a number or an object is not a date
    if iso:
        parsed = _to_utc([str(uniques[i]).strip() for i in iso])
        stamps[iso] = parsed
        failed = np.asarray(iso)[np.isnat(parsed)]
        for i in failed:  # "2026-03-31 14:05 UTC" and the like: the general reader
            parts = _parts(str(uniques[i]).strip())
            if parts is None:
                bad[i] = True
            else:
                others[int(i)] = parts
    day_first = np.zeros(k + 1, dtype=bool)
    month_first = np.zeros(k + 1, dtype=bool)
    either = np.zeros(k + 1, dtype=bool)
    dotted_all, any_open = True, False
    for i, parts in others.items():
        if parts.open is None:
            continue
        any_open = True
        dotted_all &= parts.dotted
        found = _candidates(parts)
        if found == {"DMY"}:
            day_first[i] = True
        elif found == {"MDY"}:
            month_first[i] = True
        elif found:
            either[i] = True
    day_rows, month_rows, either_rows = day_first[codes], month_first[codes], either[codes]
    if order is not None:
        chosen, decided_by = order, "setting"
    elif day_rows.any() or month_rows.any():
        if day_rows.any() and month_rows.any():
            chosen = "DMY" if day_rows.sum() >= month_rows.sum() else "MDY"
        else:
            chosen = "DMY" if day_rows.any() else "MDY"
        decided_by = "values"
    elif either_rows.any():
        if fallback is not None:
            chosen, decided_by = fallback, "evidence"
        elif dotted_all:
            chosen, decided_by = "DMY", "convention"
        else:
            chosen, decided_by = default, "default"
    else:
        chosen, decided_by = default, None  # no value needs an order
    texts, where = [], []
    for i, parts in others.items():
        ymd = _ymd(parts, chosen)
        if ymd is None or not _valid(*ymd):
            bad[i] = True
            continue
        y, m, d = ymd
        texts.append(f"{y:04d}-{m:02d}-{d:02d}{parts.time}{parts.zone or ''}")
        where.append(i)
    if texts:
        parsed = _to_utc(texts)
        stamps[where] = parsed
        bad[np.asarray(where)[np.isnat(parsed)]] = True
    return DateReading(stamps[codes], missing[codes], bad[codes], chosen if decided_by else None,
                       decided_by, either_rows, day_rows, month_rows)
