"""What a cell says before it says a number or a date: nothing (a placeholder), yes or no.

One vocabulary for the whole project: the data contracts, the scorer's feature inference and the
scoring service compare against these sets, so "N/A" or "WAHR" means the same everywhere.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

# What web forms, CRMs and spreadsheets write for "no value"; compared after strip() and lower().
# Not used for identifiers and free text: there "NA" is North America.
PLACEHOLDERS = frozenset({
    "", "n/a", "na", "n.a.", "#n/a", "#na", "nan", "nat", "<na>", "-", "--", "?", "unknown", "none",
    "null", "(blank)",
})
# Yes/no as exports write them, Excel's own TRUE/FALSE in German and French included.
TRUE_TOKENS = frozenset({"1", "1.0", "true", "t", "yes", "y", "x", "won", "closed won",
                         "wahr", "ja", "vrai", "oui"})
FALSE_TOKENS = frozenset({"0", "0.0", "false", "f", "no", "n", "lost", "closed lost",
                          "falsch", "nein", "faux", "non"})
BOOL_TOKENS = TRUE_TOKENS | FALSE_TOKENS


def is_placeholder(text: str) -> bool:
    """True when a (string) cell means "no value"."""
    return text.strip().lower() in PLACEHOLDERS


def clean_token(value: Any) -> str | None:
    """A cell as a stripped string, or None when it is missing or a placeholder.

    Integral floats print without ``.0`` so that ``1.0`` read from a typed file and ``"1"``
    typed in a form are the same token.
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


def flag_value(value: Any) -> float | None:
    """1.0 / 0.0 for a yes/no cell, NaN when missing, None when it is not a yes/no value."""
    token = clean_token(value)
    if token is None:
        return math.nan
    lowered = token.lower()
    if lowered in TRUE_TOKENS:
        return 1.0
    if lowered in FALSE_TOKENS:
        return 0.0
    return None


def missing_mask(values: pd.Series) -> np.ndarray:
    """Rows that hold no value: missing, empty or a placeholder (one pass over distinct values)."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    empty = np.array([clean_token(v) is None for v in uniques] + [True], dtype=bool)
    return empty[codes]


def read_flags(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(1.0 / 0.0 / NaN per row, mask of rows that are present but not yes/no)."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    mapped = np.empty(len(uniques) + 1, dtype=np.float64)
    bad = np.zeros(len(uniques) + 1, dtype=bool)
    for i, value in enumerate(uniques):
        result = flag_value(value)
        mapped[i], bad[i] = (math.nan, True) if result is None else (result, False)
    mapped[-1] = math.nan
    return mapped[codes], bad[codes]
