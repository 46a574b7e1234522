"""Text columns with many distinct values are cleaned all at once (pandas' string methods); the
result must be the per-value rule's, token for token (clean_token: strip, placeholders missing)."""
from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring import schema

CELLS = st.one_of(
    st.sampled_from(["", " ", "n/a", " N/A ", "null", "-", "Unknown", "A", " A", "A ", "a", "B\t"]),
    st.text(alphabet=st.sampled_from(list("ab \t\u00a0-1.,")), max_size=6),
)


def _with_threshold(series: pd.Series, threshold: float):
    original = schema._VECTOR_FROM
    schema._VECTOR_FROM = threshold
    try:
        tokens, counts, missing, raws = schema._distinct_tokens(series)
    finally:
        schema._VECTOR_FROM = original
    return tokens, list(counts), missing, raws


def _by_loop(series: pd.Series):
    """The per-value rule (clean_token on each distinct value), the reference."""
    return _with_threshold(series, float("inf"))


@settings(max_examples=60, deadline=None)
@given(st.lists(CELLS, min_size=1, max_size=60), st.integers(0, 5))
def test_vectorised_tokens_equal_the_per_value_rule(cells, n_missing):
    series = pd.Series(cells + [None] * n_missing, dtype=object)
    assert _with_threshold(series, 0) == _by_loop(series)  # 0: the vectorised path at any size


def test_a_large_text_column_takes_the_vectorised_path_and_agrees():
    values = [f" id-{i % 3000} " if i % 7 else "n/a" for i in range(20_000)]
    series = pd.Series(values, dtype=object)
    tokens, counts, missing, raws = schema._distinct_tokens(series)
    assert (tokens, list(counts), missing, raws) == _by_loop(series)
    assert missing == sum(1 for i in range(20_000) if i % 7 == 0)
