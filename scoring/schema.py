"""What each column of a lead export is: numeric, categorical, boolean, date, text, or dropped.

Inference looks only at values, never at the label (leakage is checked later, by AUC), so the
same export always gives the same schema. Every decision carries a reason a person can read.

Numbers and dates are read as the data contracts read them (:mod:`parsing`): money, grouped
thousands and decimal commas are numbers (``"$32,029.60"``, ``"£77.407.225,50"``, ``"2,3"``), and
a column's decimal separator and day/month order come from all its values, else from what the
table's other columns tell (a table whose other columns use decimal commas is European). The
spec remembers them (``decimal``, ``date_format``) so training and scoring read alike.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable

import numpy as np
import pandas as pd

from parsing import Conventions, read_dates, read_numbers, told_by
from scoring.values import BOOL_TOKENS, PLACEHOLDERS, clean_token

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
    decimal: str | None = None  # a numeric column's decimal separator, when its values need one

    def as_dict(self) -> dict:
        return {
            "column": self.name, "kind": self.kind, "used": self.used, "reason": self.reason,
            "n_missing": self.n_missing, "n_distinct": self.n_distinct, "notes": list(self.notes),
        }


def _distinct_tokens(series: pd.Series) -> tuple[list[str], np.ndarray, int, list]:
    """(distinct cleaned tokens, count per token, number of missing cells, a raw value of each
    token: a float stays a float, so its digits are never read again as text)."""
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    counts = np.bincount(codes[codes >= 0], minlength=len(uniques))
    if (len(uniques) > _VECTOR_FROM and uniques.dtype == object
            and pd.api.types.infer_dtype(uniques, skipna=False) == "string"):
        return _distinct_text_tokens(uniques, counts, int((codes < 0).sum()))
    merged: dict[str, int] = {}
    raw: dict[str, object] = {}
    missing = int((codes < 0).sum())
    for value, count in zip(uniques, counts):
        token = clean_token(value)
        if token is None:
            missing += int(count)
        else:
            merged[token] = merged.get(token, 0) + int(count)
            raw.setdefault(token, value)
    return (list(merged), np.array(list(merged.values()), dtype=np.int64), missing,
            [raw[t] for t in merged])


# From this many distinct values on, text columns are cleaned with pandas' string methods: an
# identifier, a timestamp or a free-text column of 500,000 synthetic leads took 1.4-3.1 s in the
# per-value loop and 0.3-0.7 s this way (all columns: 9.7 s -> 2.1 s, a busy machine). Below it
# the loop is as fast and simpler.
_VECTOR_FROM = 1_000


def _distinct_text_tokens(uniques: np.ndarray, counts: np.ndarray,
                          missing: int) -> tuple[list[str], np.ndarray, int, list]:
    """:func:`_distinct_tokens` for distinct values that are all strings: ``clean_token``'s
    rule (strip; a placeholder is missing) on all of them at once, tokens in order of first
    appearance, each with the first raw value that gave it."""
    tokens = pd.Series(uniques, dtype=object).str.strip()
    placeholder = tokens.str.lower().isin(PLACEHOLDERS).to_numpy()
    missing += int(counts[placeholder].sum())
    kept = np.flatnonzero(~placeholder)
    merged_codes, merged = pd.factorize(tokens.to_numpy(dtype=object)[kept])
    merged_counts = np.bincount(merged_codes, weights=counts[kept],
                                minlength=len(merged)).astype(np.int64)
    _, first = np.unique(merged_codes, return_index=True)
    return list(merged), merged_counts, missing, list(uniques[kept[first]])


def infer_column(series: pd.Series, name: str, *, is_time: bool = False,
                 evidence: Conventions | None = None) -> ColumnSpec:
    """Infer the kind of one feature column (see the module docstring). ``evidence``: the
    decimal separator and date order the rest of the table tells (:func:`parsing.told_by`),
    for a column whose own values do not."""
    evidence = evidence or Conventions()
    n = len(series)
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        missing = int(series.isna().sum())
        distinct = int(series.nunique())
        if distinct <= 1 and not is_time:
            return ColumnSpec(name, "constant", False, "one value only", missing, distinct)
        return ColumnSpec(name, "date", True, "datetime column", missing, distinct, "ISO8601")
    tokens, counts, missing, raws = _distinct_tokens(series)
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
    sample_raw = pd.Series([raws[i] for i in sample_idx], dtype=object)
    weights = counts[sample_idx]
    numbers = read_numbers(sample_raw, fallback=evidence.decimal)
    numeric_ok = ~numbers.bad
    if weights[numeric_ok].sum() >= MIN_PARSED_SHARE * weights.sum():
        notes = _bad_share_note(weights, numeric_ok, "are not numbers") + _decimal_note(numbers)
        if distinct == present and ID_NAME.search(name):
            return ColumnSpec(name, "identifier", False,
                              "a different number on every row and an identifier-like name",
                              missing, distinct)
        return ColumnSpec(name, "numeric", True, "numbers", missing, distinct, notes=notes,
                          decimal=numbers.decimal)
    if is_time or np.mean([bool(LOOKS_LIKE_DATE.match(t)) for t in sample]) >= MIN_PARSED_SHARE:
        if all(ISO_DATE.match(t) for t in sample):
            fmt, date_ok, order_notes = "ISO8601", ~read_dates(sample_raw).bad, ()
        else:
            dates = read_dates(sample_raw, fallback=evidence.date_order)
            fmt, date_ok, order_notes = dates.order or "MDY", ~dates.bad, _order_note(dates)
        if weights[date_ok].sum() >= MIN_PARSED_SHARE * weights.sum():
            notes = _bad_share_note(weights, date_ok, "are not dates") + order_notes
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


def _decimal_note(numbers) -> tuple[str, ...]:
    if numbers.mixed:
        return (f"values use both a decimal point and a decimal comma; read with "
                f"{numbers.decimal!r}, the others treated as missing",)
    if numbers.undecided:
        return (f"values such as '3.500' read differently with a decimal comma; nothing in the "
                f"table tells which it uses, read with {numbers.decimal!r}",)
    return ()


def _order_note(dates) -> tuple[str, ...]:
    if dates.mixed:
        return (f"dates are written both day-first and month-first; read {dates.order}, the "
                "others treated as missing",)
    if dates.undecided:
        return (f"dates such as 03/04/2026 read differently day-first and month-first; nothing in "
                f"the table tells which, read {dates.order}",)
    return ()


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
    evidence = told_by(frame, skip=[c for c in (target, id_col, *excluded) if c is not None])
    specs = []
    for name in frame.columns:
        if name == target:
            specs.append(ColumnSpec(name, "label", False, "the label"))
        elif name == id_col:
            specs.append(ColumnSpec(name, "identifier", False, "the lead id column"))
        elif name in excluded:
            specs.append(ColumnSpec(name, "excluded", False, "excluded by the user"))
        else:
            specs.append(infer_column(frame[name], name, is_time=(name == time_col), evidence=evidence))
    return specs
