"""Numbers, money and percentages: one reading per column, decided from all its values."""
import math

import numpy as np
import pandas as pd
import pytest

from parsing import number_value, read_numbers, read_token


@pytest.mark.parametrize("text,point,comma", [
    ("1.234,50", None, 1234.5),
    ("1,234.50", 1234.5, None),
    ("1 234,50", None, 1234.5),
    ("1\u00a0234,50", None, 1234.5),          # Excel's no-break space
    ("1'234.50", 1234.5, None),
    ("CHF 1’234.50", 1234.5, None),          # Swiss apostrophe
    ("3.500", 3.5, 3500.0),                  # either way: the column decides
    ("1,200", 1200.0, 1.2),
    ("€ 3.500", 3.5, 3500.0),
    ("$32,029.60", 32029.6, None),
    ("£77.407.225,50", None, 77407225.5),
    ("2,3", None, 2.3),
    ("0,500", None, 0.5),                    # a thousands group never starts with 0
    ("10.50", 10.5, None),
    ("1.000.000", None, 1e6),
    ("1,000,000", 1e6, None),
    ("1 234", 1234.0, 1234.0),
    ("12,5 %", None, 0.125),
    ("(1,234.50)", -1234.5, None),           # accounting negative
    ("1.234,50-", None, -1234.5),            # SAP's trailing minus
    ("-$5", -5.0, -5.0),
    ("USD 12", 12.0, 12.0),
    ("1,5E+03", None, 1500.0),
])
def test_one_value_under_each_separator(text, point, comma):
    as_point, as_comma, _ = read_token(text)
    assert (as_point, as_comma) == (point, comma)


@pytest.mark.parametrize("text", ["abc", "XYZ 12", "1  234", "5.", "1,23,456", "$€5", "12 % €", "(5"])
def test_not_numbers(text):
    assert read_token(text)[:2] == (None, None)


@pytest.mark.parametrize("text", ["inf", "Infinity", "-Infinity", "1e400"])
def test_non_finite_values_read_as_infinite(text):
    reading = read_numbers(pd.Series([text, "5"]))
    assert reading.nonfinite.tolist() == [True, False] and not reading.bad.any()


def test_currency_is_named():
    assert read_token("204.080 €")[2] == "EUR" and read_token("£7,950.00")[2] == "GBP"
    assert read_token("US$ 5")[2] == "USD" == read_token("$5")[2]


def test_a_column_decides_for_its_ambiguous_values():
    reading = read_numbers(pd.Series(["€ 3.500", "1.200", "12,5"]))
    assert reading.values.tolist() == [3500.0, 1200.0, 12.5]
    assert (reading.decimal, reading.decided_by) == (",", "values")


def test_a_column_that_cannot_tell_takes_the_fallback_or_is_undecided():
    values = pd.Series(["3.500", "1.200", "N/A", ""])
    undecided = read_numbers(values)
    assert undecided.undecided and undecided.ambiguous.tolist() == [True, True, False, False]
    european = read_numbers(values, fallback=",")
    assert european.values[:2].tolist() == [3500.0, 1200.0] and european.decided_by == "evidence"
    assert european.missing.tolist() == [False, False, True, True]


def test_a_setting_wins_and_what_does_not_read_under_it_is_bad():
    reading = read_numbers(pd.Series(["1,234.50", "2,5"]), decimal=",")
    assert reading.bad.tolist() == [True, False] and reading.values[1] == 2.5
    assert reading.decided_by == "setting"


def test_two_readings_in_one_column_are_flagged_not_mixed():
    reading = read_numbers(pd.Series(["1,234.50", "2,5", "7"]))
    assert reading.mixed
    assert reading.point_rows.tolist() == [True, False, False]
    assert reading.comma_rows.tolist() == [False, True, False]


def test_typed_columns_pass_through():
    reading = read_numbers(pd.Series([1.5, np.nan, 3.0]))
    assert reading.decimal is None and reading.missing.tolist() == [False, True, False]
    mixed_types = read_numbers(pd.Series([1.234, "2,5", None], dtype=object))
    assert mixed_types.values[0] == 1.234 and mixed_types.values[1] == 2.5  # a float is never re-read


def test_one_value_alone():
    assert number_value("2,3") == 2.3 and number_value("3.500") == 3.5
    assert number_value("3.500", ",") == 3500.0 and number_value("1,5", ".") is None
    assert math.isnan(number_value("n/a")) and number_value("soon") is None
