"""The label: which leads became SQLs, which did not, and which are still open.

A label column may hold 0/1, true/false or yes/no; or any values, named with ``positive`` (SQL)
and ``negative`` (not an SQL). A CRM status column has more than two: a Salesforce ``Status`` of
Qualified / Unqualified / Working, a HubSpot lifecycle stage. Values named in neither list, and
empty cells, are open leads: scored, never trained on, counted.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import pandas as pd

from scoring.errors import ScoringInputError
from scoring.values import FALSE_TOKENS, TRUE_TOKENS, clean_token

MIN_PER_CLASS = 20  # fewer SQLs (or non-SQLs) than this cannot train and test a model
EMPTY = "(empty)"   # how empty labels are listed among the open values


def label_values(value: Any) -> tuple[str, ...] | None:
    """``positive``/``negative`` as a tuple of texts: one value (``"SQL"``, ``1``) or several."""
    if value is None:
        return None
    if isinstance(value, (str, bytes, int, float, np.integer, np.floating)):
        value = (value,)
    out = tuple(t for t in (clean_token(v) for v in value) if t is not None)
    return out or None


def parse_label(series: pd.Series, *, positive: Any = None, negative: Any = None,
                source: str = "leads") -> np.ndarray:
    """1.0 for an SQL, 0.0 for a lead that did not convert, NaN for an open lead.

    Without ``positive`` and ``negative`` the label has two values, 0/1, true/false or yes/no.
    ``positive`` alone: the one other value means not an SQL; ``negative`` alone: the one other
    value means SQL. With both, every value in neither is open, like an empty label. Values
    compare without case. A value named but absent from the column is an error (a typo would
    otherwise turn every lead of that value into an open one).
    """
    name = series.name
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    tokens = [clean_token(v) for v in uniques]
    # Labels compare without case: "Yes" and "yes" typed by two reps are one value.
    keys = [None if t is None else t.lower() for t in tokens]
    shown: dict[str, str] = {}
    for t, k in zip(tokens, keys):
        if k is not None:
            shown.setdefault(k, t)
    distinct = sorted(shown.values())
    pos, neg = label_values(positive), label_values(negative)
    for param, given in (("positive", pos), ("negative", neg)):
        for wanted in given or ():
            if wanted.lower() not in shown:
                raise ScoringInputError(
                    f"{source}: label column '{name}' has no value {wanted!r} (a value given in "
                    f"{param}). Found: {_listing(distinct)}. Hint: set {param} to one of these.")
    if pos is not None or neg is not None:
        pos_keys = {v.lower() for v in pos or ()}
        neg_keys = {v.lower() for v in neg or ()}
        rest = [k for k in shown if k not in pos_keys | neg_keys]
        if pos is None or neg is None:
            # One side named: the other side is the one value left; with more left, which of
            # them are the other side and which are still open cannot be guessed.
            given, missing = ("positive", "negative") if neg is None else ("negative", "positive")
            if len(rest) > 1:
                raise ScoringInputError(
                    f"{source}: label column '{name}' has {len(shown)} values: "
                    f"{_counted(series)}; {given} names {_listing(list(pos or neg))}, and "
                    f"{len(rest)} others are left. Hint: set {missing} to the value(s) that mean "
                    f"{'not an SQL' if missing == 'negative' else 'SQL'}; values in neither "
                    "positive nor negative are open leads (scored, not trained on).")
            (neg_keys if neg is None else pos_keys).update(rest)
        lookup = {k: (1.0 if k in pos_keys else 0.0 if k in neg_keys else np.nan) for k in shown}
    else:
        if len(shown) != 2:
            raise _wrong_count(source, name, distinct, series)
        true_hits = [k for k in shown if k in TRUE_TOKENS]
        false_hits = [k for k in shown if k in FALSE_TOKENS]
        if len(true_hits) != 1 or len(false_hits) != 1:
            raise ScoringInputError(
                f"{source}: label column '{name}' has the values {_listing(distinct)}; which one means "
                f"SQL? Expected 0/1, true/false or yes/no. Hint: set positive={distinct[0]!r} "
                "(or the other value)."
            )
        lookup = {true_hits[0]: 1.0, false_hits[0]: 0.0}
    mapped = np.array([np.nan if k is None else lookup[k] for k in keys] + [np.nan])
    return mapped[codes]


def label_counts(series: pd.Series, labels: np.ndarray) -> dict[str, dict[str, int]]:
    """Rows per label value, by class: ``{"positive": {"Qualified": 412}, "negative": {...},
    "open": {"Working": 380, "(empty)": 8}}`` (values as first written, most rows first)."""
    tokens = series.map(clean_token)
    out: dict[str, dict[str, int]] = {}
    for cls, mask in (("positive", labels == 1.0), ("negative", labels == 0.0), ("open", np.isnan(labels))):
        values = tokens[mask]
        shown: dict[str, str] = {}
        counts: dict[str, int] = {}
        for value, n in values.fillna(EMPTY).value_counts(sort=False).items():
            key = value.lower()
            shown.setdefault(key, value)
            counts[shown[key]] = counts.get(shown[key], 0) + int(n)
        out[cls] = dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
    return out


def _counted(series: pd.Series) -> str:
    counts = series.map(clean_token).dropna().value_counts()
    found = ", ".join(f"{k!r} ({v} rows)" for k, v in counts.head(10).items()) or "only empty values"
    return found + (f" and {len(counts) - 10} more" if len(counts) > 10 else "")


def _wrong_count(source: str, name: object, distinct: list[str], series: pd.Series) -> ScoringInputError:
    return ScoringInputError(
        f"{source}: label column '{name}' must have exactly two values (SQL or not; empty = open "
        f"lead), found {len(distinct)}: {_counted(series)}. Hint: set target to the right column, "
        "or name the values with positive and negative (values in neither are open leads: scored, "
        "not trained on)."
    )


def _listing(values: Sequence[str]) -> str:
    values = list(values)
    return ", ".join(repr(v) for v in values[:10]) + (", ..." if len(values) > 10 else "")


def check_class_counts(y: np.ndarray, *, name: str, source: str = "leads") -> None:
    """Enough SQLs and non-SQLs among the closed leads to learn and to test."""
    positives = int(np.nansum(y == 1.0))
    negatives = int(np.nansum(y == 0.0))
    for what, count in (("SQLs (positive labels)", positives), ("non-SQLs (negative labels)", negatives)):
        if count < MIN_PER_CLASS:
            raise ScoringInputError(
                f"{source}: label column '{name}' has {count} {what} among {positives + negatives} "
                f"closed leads; at least {MIN_PER_CLASS} are needed to train and test a model. "
                "Hint: export a longer period, or check positive and negative (the label values "
                "meaning SQL and not)."
            )
