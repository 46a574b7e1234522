"""The column-wise fast path for plain numbers reads exactly what the cell-by-cell reader reads."""
from __future__ import annotations


import numpy as np
import pandas as pd
from hypothesis import given, settings, strategies as st

from parsing.numbers import read_numbers, read_token

PLAIN = st.from_regex(r"\A *[-+]?[0-9]{0,12}(\.[0-9]{1,8})? *\Z", fullmatch=True)


def _slow(text: str) -> tuple[float | None, float | None]:
    point, comma, _ = read_token(text.strip())
    return point, comma


@settings(max_examples=300, deadline=None)
@given(st.lists(PLAIN, min_size=1, max_size=8))
def test_plain_values_read_as_the_cell_reader_reads_them(texts: list[str]) -> None:
    texts = [t for t in texts if t.strip() not in ("", "+", "-")]
    if not texts:
        return
    for decimal in (".", ","):
        reading = read_numbers(pd.Series(texts, dtype=object), decimal=decimal)
        for text, value, bad in zip(texts, reading.values, reading.bad):
            point, comma = _slow(text)
            expected = point if decimal == "." else comma
            if expected is None:
                assert bad, (text, decimal)
            else:
                assert not bad and value == expected, (text, decimal, value, expected)


def test_dot_groups_of_three_stay_ambiguous() -> None:
    reading = read_numbers(pd.Series(["6.000", "1.200"], dtype=object))
    assert reading.ambiguous.all() and reading.undecided
    assert read_numbers(pd.Series(["6.000"], dtype=object), decimal=",").values[0] == 6000.0


def test_many_distinct_amounts_match_float() -> None:
    values = np.round(np.random.default_rng(3).lognormal(8, 1, 200_000), 2)
    texts = pd.Series(values.astype(str), dtype=object)
    reading = read_numbers(texts)
    assert reading.decimal == "." and not reading.bad.any()
    assert np.array_equal(reading.values, np.array([float(t) for t in texts]))
