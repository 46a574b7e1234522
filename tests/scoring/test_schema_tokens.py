"""Text columns with many distinct values are cleaned all at once (pandas' string methods); the
result must be the per-value rule's, token for token (clean_token: strip, placeholders missing)."""
from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring import schema
from scoring.values import clean_token

CELLS = st.one_of(
    st.sampled_from(["", " ", "n/a", " N/A ", "null", "-", "Unknown", "A", " A", "A ", "a", "B\t"]),
    st.text(alphabet=st.sampled_from(list("ab \t\u00a0-1.,")), max_size=6),
)


def _by_loop(series: pd.Series):
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    counts = np.bincount(codes[codes >= 0], minlength=len(uniques))
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
    return list(merged), list(merged.values()), missing, [raw[t] for t in merged]


@settings(max_examples=60, deadline=None)
@given(st.lists(CELLS, min_size=1, max_size=60), st.integers(0, 5))
def test_vectorised_tokens_equal_the_per_value_rule(cells, n_missing):
    series = pd.Series(cells + [None] * n_missing, dtype=object)
    original = schema._VECTOR_FROM
    schema._VECTOR_FROM = 0  # the vectorised path for any size
    try:
        tokens, counts, missing, raws = schema._distinct_tokens(series)
    finally:
        schema._VECTOR_FROM = original
    expected = _by_loop(series)
    assert (tokens, counts.tolist(), missing, raws) == expected


def test_a_large_text_column_takes_the_vectorised_path_and_agrees():
    values = [f" id-{i % 3000} " if i % 7 else "n/a" for i in range(20_000)]
    series = pd.Series(values, dtype=object)
    tokens, counts, missing, raws = schema._distinct_tokens(series)
    assert (tokens, counts.tolist(), missing, raws) == _by_loop(series)
    assert missing == sum(1 for i in range(20_000) if i % 7 == 0)
