"""What each column of a lead export is: numeric, categorical, boolean, date, text, or dropped.

Inference looks only at values, never at the label (leakage is checked later, by AUC), so the
same export always gives the same schema. Every decision carries a reason a person can read.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable

import numpy as np
import pandas as pd

from scoring.values import BOOL_TOKENS, clean_token, parse_dates, parse_number

USED_KINDS = ("numeric", "categorical", "boolean", "date")
ID_NAME = re.compile(r"(^|[_\s.-])(id|uuid|guid|key|email|e-mail|phone|url)$", re.IGNORECASE)
ISO_DATE = re.compile(
    r"^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$"
)
LOOKS_LIKE_DATE = re.compile(r"^\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}")
SAMPLE = 2_000          # distinct values inspected per column: inference cost stays flat in rows
MIN_PARSED_SHARE = 0.95  # share of present values that must parse for a numeric/date column
TEXT_DISTINCT = 200      # many distinct multi-word values: free text, not a category
MAX_CATEGORY_LEVELS = 30


@dataclass(frozen=True)
class ColumnSpec:
    """One input column: its inferred kind, whether the model uses it, and why."""

    name: str
    kind: str
    used: bool
    reason: str
    n_missing: int = 0
    n_distinct: int = 0
    date_format: str | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    def as_dict(self) -> dict:
        return {
            "column": self.name, "kind": self.kind, "used": self.used, "reason": self.reason,
            "n_missing": self.n_missing, "n_distinct": self.n_distinct, "notes": list(self.notes),
        }


def _distinct_tokens(series: pd.Series) -> tuple[list[str], np.ndarray, int]:
    """(distinct cleaned tokens, count per token, number of missing cells)."""
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    counts = np.bincount(codes[codes >= 0], minlength=len(uniques))
    merged: dict[str, int] = {}
    missing = int((codes < 0).sum())
    for value, count in zip(uniques, counts):
        token = clean_token(value)
        if token is None:
            missing += int(count)
        else:
            merged[token] = merged.get(token, 0) + int(count)
    return list(merged), np.array(list(merged.values()), dtype=np.int64), missing


def infer_column(series: pd.Series, name: str, *, is_time: bool = False) -> ColumnSpec:
    """Infer the kind of one feature column (see the module docstring)."""
    n = len(series)
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        missing = int(series.isna().sum())
        distinct = int(series.nunique())
        if distinct <= 1 and not is_time:
            return ColumnSpec(name, "constant", False, "one value only", missing, distinct)
        return ColumnSpec(name, "date", True, "datetime column", missing, distinct, "ISO8601")
    tokens, counts, missing = _distinct_tokens(series)
    distinct = len(tokens)
    present = n - missing
    if distinct == 0:
        return ColumnSpec(name, "empty", False, "every value is missing or a placeholder", missing, 0)
    if distinct == 1 and not is_time:
        return ColumnSpec(name, "constant", False, f"one value only ({tokens[0]!r})", missing, 1)
    if distinct == 2 and {t.lower() for t in tokens} <= BOOL_TOKENS:
        return ColumnSpec(name, "boolean", True, "two yes/no values", missing, 2)
    sample_idx = np.argsort(-counts, kind="stable")[:SAMPLE]
    sample = [tokens[i] for i in sample_idx]
    weights = counts[sample_idx]
    numeric_ok = np.array([parse_number(t) is not None for t in sample])
    if weights[numeric_ok].sum() >= MIN_PARSED_SHARE * weights.sum():
        notes = _bad_share_note(weights, numeric_ok, "are not numbers")
        if distinct == present and ID_NAME.search(name):
            return ColumnSpec(name, "identifier", False,
                              "a different number on every row and an identifier-like name",
                              missing, distinct)
        return ColumnSpec(name, "numeric", True, "numbers", missing, distinct, notes=notes)
    if is_time or np.mean([bool(LOOKS_LIKE_DATE.match(t)) for t in sample]) >= MIN_PARSED_SHARE:
        fmt = "ISO8601" if all(ISO_DATE.match(t) for t in sample) else "mixed"
        date_ok = ~np.isnan(parse_dates(sample, fmt))
        if weights[date_ok].sum() >= MIN_PARSED_SHARE * weights.sum():
            notes = _bad_share_note(weights, date_ok, "are not dates")
            return ColumnSpec(name, "date", True, "dates", missing, distinct, fmt, notes)
    words = np.average([len(t.split()) for t in sample], weights=weights)
    unique_share = distinct / max(present, 1)
    if words >= 3 and (unique_share > 0.3 or distinct > TEXT_DISTINCT):
        return ColumnSpec(name, "text", False,
                          f"free text (about {words:.0f} words a value, {distinct} distinct); "
                          "not used by the model", missing, distinct)
    if present >= 20 and unique_share >= 0.95:
        return ColumnSpec(name, "identifier", False,
                          f"identifier ({unique_share:.0%} of values are distinct)", missing, distinct)
    if ID_NAME.search(name) and (unique_share > 0.5 or distinct > MAX_CATEGORY_LEVELS):
        return ColumnSpec(name, "identifier", False,
                          f"identifier-like name with {distinct} distinct values (a key or a link "
                          "to another table, not a feature)", missing, distinct)
    kind_note = (f"high cardinality: {distinct} values; top levels kept, rest as 'other', "
                 "plus frequency" if distinct > MAX_CATEGORY_LEVELS else f"{distinct} values")
    return ColumnSpec(name, "categorical", True, kind_note, missing, distinct)


def _bad_share_note(weights: np.ndarray, ok: np.ndarray, what: str) -> tuple[str, ...]:
    bad = int(weights[~ok].sum())
    return (f"{bad} values {what}; treated as missing in training",) if bad else ()


def infer_schema(
    frame: pd.DataFrame,
    *,
    target: str | None,
    id_col: str | None,
    time_col: str | None = None,
    exclude: Iterable[str] = (),
) -> list[ColumnSpec]:
    """A ColumnSpec for every column of ``frame``, in the frame's order."""
    excluded = set(exclude)
    specs = []
    for name in frame.columns:
        if name == target:
            specs.append(ColumnSpec(name, "label", False, "the label"))
        elif name == id_col:
            specs.append(ColumnSpec(name, "identifier", False, "the lead id column"))
        elif name in excluded:
            specs.append(ColumnSpec(name, "excluded", False, "excluded by the user"))
        else:
            specs.append(infer_column(frame[name], name, is_time=(name == time_col)))
    return specs
