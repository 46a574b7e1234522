"""The label: which leads became SQLs, which did not, and which are still open."""
from __future__ import annotations

import numpy as np
import pandas as pd

from scoring.errors import ScoringInputError
from scoring.values import FALSE_TOKENS, TRUE_TOKENS, clean_token

MIN_PER_CLASS = 20  # fewer SQLs (or non-SQLs) than this cannot train and test a model


def parse_label(series: pd.Series, *, positive: object | None = None, source: str = "leads") -> np.ndarray:
    """1.0 for an SQL, 0.0 for a lead that did not convert, NaN for an open lead (empty label).

    The label may be 0/1, true/false, yes/no, or any two values with ``positive`` naming the SQL one.
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
    if positive is not None:
        wanted = clean_token(positive)
        if wanted is None or wanted.lower() not in shown:
            raise ScoringInputError(
                f"{source}: label column '{name}' has no value {positive!r} (the positive value given). "
                f"Found: {_listing(distinct)}. Hint: set positive to one of these."
            )
        if len(shown) != 2:
            raise _wrong_count(source, name, distinct, series)
        lookup = {k: (1.0 if k == wanted.lower() else 0.0) for k in shown}
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


def _wrong_count(source: str, name: object, distinct: list[str], series: pd.Series) -> ScoringInputError:
    counts = series.map(clean_token).dropna().value_counts()
    found = ", ".join(f"{k!r} ({v} rows)" for k, v in counts.head(10).items()) or "only empty values"
    more = f" and {len(counts) - 10} more" if len(counts) > 10 else ""
    return ScoringInputError(
        f"{source}: label column '{name}' must have exactly two values (SQL or not; empty = open "
        f"lead), found {len(distinct)}: {found}{more}. Hint: set target to the right column, or map "
        "the label to 0/1 before training."
    )


def _listing(values: list[str]) -> str:
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
                "Hint: export a longer period, or check positive (the label value meaning SQL)."
            )
