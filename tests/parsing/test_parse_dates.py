"""Dates: one day/month order per column, decided from all its values; never value by value."""
import numpy as np
import pandas as pd
import pytest

from parsing import read_dates, read_periods


def days(reading) -> list[str]:
    return [str(v)[:19] if not np.isnat(v) else "NaT" for v in reading.values]


def test_one_day_first_value_makes_the_whole_column_day_first():
    reading = read_dates(pd.Series(["03/04/2026", "31/03/2026", "12/01/2026"]))
    assert days(reading) == ["2026-04-03T00:00:00", "2026-03-31T00:00:00", "2026-01-12T00:00:00"]
    assert (reading.order, reading.decided_by) == ("DMY", "values")


def test_the_issue_column_is_not_read_value_by_value():
    reading = read_dates(pd.Series(["05/01/2024", "13/01/2024"]))
    assert days(reading) == ["2024-01-05T00:00:00", "2024-01-13T00:00:00"]


def test_dotted_dates_are_day_first():
    reading = read_dates(pd.Series(["04.03.2026"]))
    assert days(reading) == ["2026-03-04T00:00:00"] and reading.decided_by == "convention"


def test_month_first_when_the_values_say_so():
    reading = read_dates(pd.Series(["3/31/2026 14:05:09", "4/1/2026 2:05 PM"]))
    assert days(reading) == ["2026-03-31T14:05:09", "2026-04-01T14:05:00"] and reading.order == "MDY"


def test_undecided_mixed_and_set():
    undecided = read_dates(pd.Series(["03/04/2026", "05/06/2026"]))
    assert undecided.undecided and undecided.ambiguous.all()
    assert read_dates(pd.Series(["03/04/2026"]), fallback="DMY").decided_by == "evidence"
    mixed = read_dates(pd.Series(["13/01/2024", "01/13/2024", "02/02/2024"]))
    assert mixed.mixed and mixed.day_first_rows.tolist() == [True, False, False]
    set_ = read_dates(pd.Series(["13/01/2024", "01/02/2024"]), order="MDY")
    assert set_.bad.tolist() == [True, False] and days(set_)[1] == "2024-01-02T00:00:00"


def test_layouts_that_tell_their_own_order():
    reading = read_dates(pd.Series([
        "2026-03-31", "2026/03/31", "31 Mar 2026", "March 31, 2026", "2026-03-31T14:05:00Z",
        "2026-03-31 16:05:00+02:00", "2026-03-31 14:05 UTC", "31-Mar-2026"]))
    assert set(days(reading)) == {"2026-03-31T00:00:00", "2026-03-31T14:05:00"}
    assert reading.decided_by is None and not reading.bad.any()


def test_offsets_do_not_leak_into_naive_stamps():
    # pandas carries one value's offset into the naive values after it when parsed together.
    reading = read_dates(pd.Series(["2025-03-04T10:00+02:00", "2025-03-04 10:00"]))
    assert days(reading) == ["2025-03-04T08:00:00", "2025-03-04T10:00:00"]


@pytest.mark.parametrize("text", ["soon", "31/02/2026", "2026-13-45", "2026", "12:30", "1.5"])
def test_not_dates(text):
    assert read_dates(pd.Series([text])).bad.tolist() == [True]


def test_placeholders_are_missing():
    reading = read_dates(pd.Series(["N/A", "", None, "-", "2026-01-05"]))
    assert reading.missing.tolist() == [True, True, True, True, False] and not reading.bad.any()


def test_two_digit_years():
    assert days(read_dates(pd.Series(["31/03/26"]))) == ["2026-03-31T00:00:00"]
    assert days(read_dates(pd.Series(["26/03/31"]), order="YMD")) == ["2026-03-31T00:00:00"]


def test_periods():
    reading = read_periods(pd.Series(["2027Q1", "2027-q2", "Q3 2027", "2027-01", "31/03/2027", "x", ""]))
    assert reading.values.tolist() == ["2027Q1", "2027Q2", "2027Q3", "2027-01", "2027-03", None, None]
    assert reading.bad.tolist() == [False] * 5 + [True, False]
