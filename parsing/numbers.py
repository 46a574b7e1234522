"""Numbers, money and percentages as exports write them, read one whole column at a time.

``1.234`` is 1234 in a European file and 1.234 in an American one, so the decimal separator is
decided per column from all its values, never value by value:

- a value that reads only one way tells the separator: ``1.234,50``, ``2,5``, ``1,234,567``,
  ``10.50``, ``1'234.50``;
- a value that reads both ways (``3.500``, ``1,200``) follows what the column's other values
  told; if none did, the caller's ``fallback`` (what the rest of the file or the folder told);
  if there is none either, the column is *undecided* and the caller refuses it or says so;
- a setting (``decimal``) overrides all of that; values that do not read under it are bad.

Currency signs and codes before or after the amount (``$1,200``, ``1.200,50 €``, ``CHF 1'234``),
``%`` (``12,5 %`` is 0.125), accounting negatives (``(1,234.50)``) and trailing minus signs
(``1.234,50-``) are read. ``inf``, ``Infinity`` and ``1e400`` read as infinite: a caller that
needs finite numbers says so (:attr:`NumberReading.nonfinite`).
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from parsing.column import ColumnReading
from parsing.tokens import PLACEHOLDERS

Decimal = Literal[",", "."]
DECIMALS: tuple[Decimal, ...] = (".", ",")

CURRENCY_CODES = frozenset({
    "USD", "EUR", "GBP", "JPY", "CHF", "CAD", "AUD", "NZD", "SEK", "NOK", "DKK", "ISK", "PLN", "CZK",
    "HUF", "RON", "BGN", "HRK", "INR", "CNY", "RMB", "HKD", "SGD", "KRW", "TWD", "ZAR", "BRL", "MXN",
    "ARS", "CLP", "COP", "RUB", "UAH", "TRY", "ILS", "AED", "SAR", "QAR", "THB", "IDR", "MYR", "PHP",
    "VND",
})
# Signs that name one currency, for telling "$" and "USD" apart from "€".
_SAME_CURRENCY = {"$": "USD", "US$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "₹": "INR",
                  "₽": "RUB", "₩": "KRW", "₺": "TRY", "₪": "ILS", "R$": "BRL", "A$": "AUD",
                  "C$": "CAD", "NZ$": "NZD", "HK$": "HKD", "S$": "SGD", "MX$": "MXN", "Fr.": "CHF",
                  "zł": "PLN", "Kč": "CZK", "Ft": "HUF", "₴": "UAH", "฿": "THB", "₫": "VND"}
_CURRENCY = r"(?:[A-Z]{3}|(?:US|A|C|NZ|HK|S|R|MX)\$|[$€£¥₹₽₩₺₪₫฿₦₱₴]|Fr\.|kr\.?|zł|Kč|Ft)"
_NUMBER = re.compile(
    rf"""^(?P<open>\()?\s*
    (?P<sign1>[-+\u2212])?\s*
    (?P<cur1>{_CURRENCY})?\s*
    (?P<sign2>[-+\u2212])?\s*
    (?P<core>\d(?:[\d.,'’\s]*\d)?|[.,]\d+)
    (?P<exp>[eE][-+]?\d{{1,4}})?\s*
    (?P<pct>%)?\s*
    (?P<cur2>{_CURRENCY})?\s*
    (?P<sign3>-)?\s*
    (?P<close>\))?$""",
    re.VERBOSE,
)
_INFINITE = re.compile(r"^(?P<sign>[-+\u2212])?\s*(inf|infinity|∞)$", re.IGNORECASE)
_PLAIN = re.compile(r"[-+]?\d+(\.\d+)?")
_GROUPED_POINT = re.compile(r"[-+]?[1-9]\d{0,2}(,\d{3})+(\.\d+)?")
_SPACES = str.maketrans({"\u00a0": " ", "\u202f": " ", "\t": " ", "’": "'"})
_GROUPS = frozenset(",.' ")


def _read_core(core: str, decimal: str, exponent: str) -> float | None:
    """The digits of a number under one decimal separator, or None when they do not read."""
    if core.count(decimal) > 1:
        return None
    int_part, has_decimal, fraction = core.partition(decimal)
    if fraction and not (fraction.isascii() and fraction.isdigit()):
        return None
    if int_part == "":
        if not fraction:
            return None
        digits = "0"
    elif int_part.isascii() and int_part.isdigit():
        digits = int_part
    else:
        if exponent:
            return None
        separators = {ch for ch in int_part if not ch.isdigit()}
        if len(separators) != 1:
            return None
        group = separators.pop()
        if group not in _GROUPS:
            return None
        parts = int_part.split(group)
        head, rest = parts[0], parts[1:]
        # A thousands group never starts a number with 0 and always holds three digits.
        if not (1 <= len(head) <= 3 and head[0] != "0" and head.isascii() and head.isdigit()):
            return None
        if not all(len(p) == 3 and p.isascii() and p.isdigit() for p in rest):
            return None
        digits = head + "".join(rest)
    if has_decimal and not fraction:
        return None
    return float(digits + ("." + fraction if fraction else "") + exponent)


def read_token(text: str) -> tuple[float | None, float | None, str | None]:
    """One stripped, non-empty cell: (value with a decimal point, value with a decimal comma,
    currency). A value is None when the text does not read that way."""
    match = _NUMBER.match(text)
    if match is None:
        infinite = _INFINITE.match(text)
        if infinite is None:
            return None, None, None
        value = -math.inf if infinite.group("sign") in ("-", "\u2212") else math.inf
        return value, value, None
    g = match.groupdict()
    if bool(g["open"]) != bool(g["close"]):
        return None, None, None
    signs = [s for s in (g["sign1"], g["sign2"], g["sign3"]) if s]
    if len(signs) > 1 or (signs and g["open"]):
        return None, None, None
    if g["cur1"] and g["cur2"]:
        return None, None, None
    currency = g["cur1"] or g["cur2"]
    if currency and len(currency) == 3 and currency.isalpha() and currency.isupper() and currency not in CURRENCY_CODES:
        return None, None, None
    if currency and g["pct"]:
        return None, None, None
    negative = bool(g["open"]) or (bool(signs) and signs[0] in ("-", "\u2212"))
    core = g["core"].translate(_SPACES)
    if "  " in core:  # two spaces in a row are not a thousands separator
        return None, None, None
    exponent = g["exp"] or ""
    out = []
    for decimal in DECIMALS:
        value = _read_core(core, decimal, exponent)
        if value is not None:
            if g["pct"]:
                value = value / 100.0
            if negative:
                value = -value
        out.append(value)
    if currency:
        currency = _SAME_CURRENCY.get(currency, currency.rstrip("."))
    return out[0], out[1], currency


def number_value(value: Any, decimal: Decimal | None = None) -> float | None:
    """One cell as a float: NaN when it is missing, None when it is not a number.

    Without ``decimal``, a value that reads both ways (``3.500``) takes the decimal point; a
    column is better read whole with :func:`read_numbers`.
    """
    if isinstance(value, str):
        text = value.strip()
        if decimal != "," and _PLAIN.fullmatch(text):
            return float(text)
        if decimal != "," and _GROUPED_POINT.fullmatch(text):  # 12,500.50: the common case, fast
            return float(text.replace(",", ""))
        if text.lower() in PLACEHOLDERS:
            return math.nan
        dot, comma, _ = read_token(text)
        if decimal == ",":
            return comma
        if decimal == ".":
            return dot
        return dot if dot is not None else comma
    if isinstance(value, (bool, np.bool_)):
        return float(value)
    if isinstance(value, (int, float, np.integer, np.floating)):
        return float(value)
    if value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return math.nan
    return None


@dataclass(frozen=True)
class NumberReading(ColumnReading):
    """A column read as numbers.

    ``decimal`` is the separator the values were read with and ``decided_by`` why:
    ``"setting"``, ``"values"`` (the column's own), ``"evidence"`` (the caller's fallback),
    ``"default"`` (nothing told: the column is undecided, see :attr:`undecided`) or None (no
    value depends on it).
    """

    values: np.ndarray
    missing: np.ndarray
    bad: np.ndarray
    decimal: Decimal | None = None
    decided_by: str | None = None
    ambiguous: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    point_rows: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    comma_rows: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    currencies: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def nonfinite(self) -> np.ndarray:
        """Rows holding an infinite value (``inf``, ``1e400``)."""
        return np.isinf(self.values)

    WAYS = (".", ",")

    def told_rows(self) -> tuple[np.ndarray, np.ndarray]:
        return self.point_rows, self.comma_rows


_PLAIN_INT = r"^[-+]?[0-9]+$"
_PLAIN_POINT = r"^[-+]?[0-9]*\.[0-9]+$"
_DOT_GROUPED = r"^[-+]?[1-9][0-9]{0,2}(\.[0-9]{3})+$"


def _read_plain(uniques: Any, point: np.ndarray, comma: np.ndarray,
                point_ok: np.ndarray, comma_ok: np.ndarray) -> np.ndarray:
    """Read the plain values among ``uniques`` in place, column-wise; True where done.

    Why: CSV cells reach this module as text so that ``6.000`` can be six thousand, and a
    column of a million distinct amounts took 7.7 s through :func:`read_token` one by one. The
    plain shapes (``42``, ``-3.75``) are matched and converted by Arrow's compute kernels
    instead: 0.17 s for the same column, and the same floats as ``float()`` (both round
    correctly). ``1.200`` (a dot, then groups of three) reads both ways and is left to
    :func:`read_token`, as is everything else.
    """
    k = len(uniques)
    done = np.zeros(k + 1, dtype=bool)
    if k == 0 or pd.api.types.infer_dtype(uniques, skipna=False) != "string":
        return done
    text = pc.utf8_trim_whitespace(pa.array(np.asarray(uniques, dtype=object), type=pa.string()))
    integer = pc.match_substring_regex(text, _PLAIN_INT)
    only_point = pc.and_(pc.match_substring_regex(text, _PLAIN_POINT),
                         pc.invert(pc.match_substring_regex(text, _DOT_GROUPED)))
    plain = pc.or_(integer, only_point)
    values = pc.cast(pc.if_else(plain, text, None), pa.float64()).to_numpy(zero_copy_only=False)
    integer_np = integer.to_numpy(zero_copy_only=False)
    plain_np = plain.to_numpy(zero_copy_only=False)
    point[:k][plain_np] = values[plain_np]
    point_ok[:k] |= plain_np
    comma[:k][integer_np] = values[integer_np]
    comma_ok[:k] |= integer_np
    done[:k] = plain_np
    return done


def _as_series(values: pd.Series | Iterable[Any]) -> pd.Series:
    if isinstance(values, pd.Series):
        return values
    if isinstance(values, np.ndarray):
        return pd.Series(values)
    return pd.Series(list(values), dtype=object)


def read_numbers(
    values: pd.Series | Iterable[Any],
    *,
    decimal: Decimal | None = None,
    fallback: Decimal | None = None,
    default: Decimal = ".",
) -> NumberReading:
    """Read a column as numbers, one reading for the whole column (see the module docstring).

    ``decimal``: a setting; ``fallback``: what other columns told, used only when this one's
    values do not tell; ``default``: the reading of an undecided column (which is flagged).
    Each distinct value is read once.
    """
    series = _as_series(values)
    n = len(series)
    none = np.zeros(n, dtype=bool)
    if pd.api.types.is_bool_dtype(series.dtype):
        numbers = series.astype(float).to_numpy(dtype=np.float64, na_value=np.nan)
        return NumberReading(numbers, np.isnan(numbers), none, None, None, none, none, none)
    if pd.api.types.is_numeric_dtype(series.dtype):
        numbers = series.to_numpy(dtype=np.float64, na_value=np.nan)
        return NumberReading(numbers, np.isnan(numbers), none, None, None, none, none, none)
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    k = len(uniques)
    point = np.full(k + 1, np.nan)
    comma = np.full(k + 1, np.nan)
    point_ok = np.zeros(k + 1, dtype=bool)
    comma_ok = np.zeros(k + 1, dtype=bool)
    missing = np.zeros(k + 1, dtype=bool)
    missing[k] = True  # code -1: pandas' own missing values
    currency: dict[str, list[int]] = {}
    done = _read_plain(uniques, point, comma, point_ok, comma_ok)
    for i, value in enumerate(uniques):
        if done[i]:
            continue
        if isinstance(value, str):
            text = value.strip()
            if _PLAIN.fullmatch(text) and "." not in text:
                point[i] = comma[i] = float(text)
                point_ok[i] = comma_ok[i] = True
                continue
            if text.lower() in PLACEHOLDERS:
                missing[i] = True
                continue
            as_point, as_comma, sign = read_token(text)
            if as_point is not None:
                point[i], point_ok[i] = as_point, True
            if as_comma is not None:
                comma[i], comma_ok[i] = as_comma, True
            if sign is not None and (as_point is not None or as_comma is not None):
                currency.setdefault(sign, []).append(i)
        elif isinstance(value, (bool, np.bool_)):
            point[i] = comma[i] = float(value)
            point_ok[i] = comma_ok[i] = True
        elif isinstance(value, (int, float, np.integer, np.floating)):
            if math.isnan(float(value)):
                missing[i] = True
            else:
                point[i] = comma[i] = float(value)
                point_ok[i] = comma_ok[i] = True
        # anything else (a date, an object) is not a number: bad
    only_point = (point_ok & ~comma_ok)[codes]
    only_comma = (comma_ok & ~point_ok)[codes]
    both_differ = point_ok & comma_ok & ~((point == comma) | (np.isnan(point) & np.isnan(comma)))
    ambiguous = both_differ[codes]
    if decimal is not None:
        chosen, decided_by = decimal, "setting"
    elif only_point.any() or only_comma.any():
        if only_point.any() and only_comma.any():
            chosen = "." if only_point.sum() >= only_comma.sum() else ","
        else:
            chosen = "." if only_point.any() else ","
        decided_by = "values"
    elif ambiguous.any():
        chosen, decided_by = (fallback, "evidence") if fallback is not None else (default, "default")
    else:
        chosen, decided_by = default, None
    ok = point_ok if chosen == "." else comma_ok
    read = point if chosen == "." else comma
    row_values = np.where(ok, read, np.nan)[codes]
    bad = (~ok & ~missing)[codes]
    currencies = {sign: np.isin(codes, idx) for sign, idx in currency.items()}
    return NumberReading(row_values, missing[codes], bad, chosen if decided_by else None, decided_by,
                         ambiguous, only_point, only_comma, currencies)
