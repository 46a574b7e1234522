"""What a whole file (or folder) tells about how it writes numbers and dates.

A column that holds only ``3.500`` and ``1.200`` cannot say whether ``.`` separates thousands or
decimals, but the file it came from usually can: if its other number columns use a decimal
comma (``36,6``), the file is European. :func:`told_by` collects that evidence from every
column of a table; :func:`agreed` combines tables. Evidence counts only when it is unanimous:
a file whose columns disagree tells nothing, and its undecided columns need a setting.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

import pandas as pd

from parsing.dates import DateOrder, read_dates
from parsing.numbers import Decimal, read_numbers

EVIDENCE_SHARE = 0.95     # a column speaks for the file when this share of its distinct values read
EVIDENCE_VALUES = 20_000  # distinct values looked at per column: the cost stays flat in rows
_PEEK = 50                # distinct values checked for a digit before a column is looked at


@dataclass(frozen=True)
class Conventions:
    """How numbers and dates are written: a decimal separator and a day/month order.

    The same object holds what a user set (a setting wins over any evidence) and what a file's
    values told (evidence for the columns whose own values do not tell); None: not known.
    """

    decimal: Decimal | None = None
    date_order: DateOrder | None = None

    def or_else(self, other: "Conventions") -> "Conventions":
        """These conventions, with ``other``'s where these are None."""
        return Conventions(self.decimal if self.decimal is not None else other.decimal,
                           self.date_order if self.date_order is not None else other.date_order)


def _only(values: set[Any]) -> Any:
    return next(iter(values)) if len(values) == 1 else None


def _distinct(series: pd.Series) -> pd.Series | None:
    """Up to EVIDENCE_VALUES distinct text values of a column, or None when it holds no text
    with a digit (names, categories: no evidence to give)."""
    if not (pd.api.types.is_object_dtype(series.dtype) or pd.api.types.is_string_dtype(series.dtype)):
        return None
    uniques = pd.unique(series.dropna())[:EVIDENCE_VALUES]
    texts = [v for v in uniques[:_PEEK] if isinstance(v, str)]
    if not any(ch.isdigit() for text in texts for ch in text):
        return None
    return pd.Series(uniques, dtype=object)


def told_by(frame: pd.DataFrame, *, skip: Iterable[str] = ()) -> Conventions:
    """The decimal separator and day/month order the columns of ``frame`` agree on."""
    skipped = set(skip)
    decimals: set[str] = set()
    orders: set[str] = set()
    for name in frame.columns:
        if name in skipped:
            continue
        values = _distinct(frame[name])
        if values is None:
            continue
        numbers = read_numbers(values)
        if numbers.share >= EVIDENCE_SHARE:
            if numbers.told is not None:
                decimals.add(numbers.told)
            continue
        dates = read_dates(values)
        if dates.share >= EVIDENCE_SHARE and dates.told is not None:
            orders.add(dates.told)
    return Conventions(_only(decimals), _only(orders))


def agreed(conventions: Iterable[Conventions]) -> Conventions:
    """What several files agree on: a field is None where they disagree or none tells."""
    items = list(conventions)
    return Conventions(_only({c.decimal for c in items} - {None}),
                       _only({c.date_order for c in items} - {None}))
