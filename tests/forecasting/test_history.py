import pandas as pd
import pytest

from forecasting.errors import ForecastInputError
from forecasting.history import history_from_opportunities, parse_frequency, validate_history


def _frame(rows):
    return pd.DataFrame(rows, columns=["segment", "period", "bookings"])


def test_duplicate_rows_are_named():
    df = _frame([("A", "2024-01", 1), ("A", "2024-02", 2), ("A", "2024-02", 3)])
    with pytest.raises(ForecastInputError) as err:
        validate_history(df)
    msg = str(err.value)
    assert "duplicate (segment, period) rows" in msg
    assert "rows 3, 4 (2 rows)" in msg
    assert "'A' 2024-02" in msg


def test_gap_names_segment_and_missing_periods():
    df = _frame([("A", "2024-01", 1), ("A", "2024-04", 2), ("B", "2024-01", 1),
                 ("B", "2024-02", 1), ("B", "2024-03", 1), ("B", "2024-04", 1)])
    with pytest.raises(ForecastInputError, match=r"segment 'A' has no row for 2 month\(s\): "
                                                 r"2024-02, 2024-03.*Hint: add the rows with 0 bookings, "
                                                 r"or pass fill_missing='zero' to treat"):
        validate_history(df)
    filled = validate_history(df, fill_missing="zero")
    a = filled[filled["segment"] == "A"]["bookings"].tolist()
    assert a == [1.0, 0.0, 0.0, 2.0]


def test_segment_that_stopped_booking_is_a_gap_at_the_end():
    df = _frame([("A", "2024-01", 1), ("B", "2024-01", 1), ("B", "2024-02", 1)])
    with pytest.raises(ForecastInputError, match=r"segment 'A' has no row for 1 month\(s\): 2024-02"):
        validate_history(df)


def test_negative_bookings_need_the_flag():
    df = _frame([("A", "2024-01", 5), ("A", "2024-02", -2)])
    with pytest.raises(ForecastInputError, match=r"negative bookings; at row 3 \(1 row\).*Hint: pass "
                                                 r"allow_negative=True if these are refunds\."):
        validate_history(df)
    assert validate_history(df, allow_negative=True)["bookings"].min() == -2


def test_unknown_frequency():
    with pytest.raises(ForecastInputError, match=r"unknown value 'W'; expected one of 'M' .*"
                                                 r"Hint: pass freq='M' or freq='Q'\.$"):
        parse_frequency("W")
    assert parse_frequency("quarterly").season_length == 4


def test_bad_period_and_amount_and_missing_columns():
    with pytest.raises(ForecastInputError, match=r"column 'period': values that are not periods; at row 2"):
        validate_history(_frame([("A", "soon", 1)]))
    with pytest.raises(ForecastInputError, match=r"column 'bookings': values that are not numbers"):
        validate_history(_frame([("A", "2024-01", "lots")]))
    with pytest.raises(ForecastInputError, match=r"missing column\(s\) 'amount'.*Hint: name yours with "
                                                 r"segment_col, period_col and value_col\.$"):
        validate_history(_frame([("A", "2024-01", 1)]), value_col="amount")


def test_quarters_and_renamed_columns():
    df = pd.DataFrame({"team": ["A", "A"], "q": ["2024Q1", "2024Q2"], "amt": [1.0, 2.0]})
    out = validate_history(df, "Q", segment_col="team", period_col="q", value_col="amt")
    assert [str(p) for p in out["period"]] == ["2024Q1", "2024Q2"]


def test_history_from_won_opportunities():
    opps = pd.DataFrame({
        "opportunity_id": ["1", "2", "3", "4", "5"],
        "segment": ["A", "A", "B", "A", "B"],
        "created_at": ["2024-01-01"] * 5,
        "amount": [10.0, 5.0, 7.0, 100.0, 1.0],
        "close_date": ["2024-01-15", "2024-03-02", "2024-02-10", "2024-05-01", "2024-03-30"],
        "closed_at": ["2024-01-15", "2024-03-02", "2024-02-10", "", "2024-03-30"],
        "is_won": ["1", "1", "1", "", "0"],
    })
    # the open deal's expected close (May) must not extend the history; March is complete
    hist = history_from_opportunities(opps, "M", as_of="2024-03-31")
    a = hist[hist["segment"] == "A"].set_index(hist[hist["segment"] == "A"]["period"].astype(str))
    assert a["bookings"].to_dict() == {"2024-01": 10.0, "2024-02": 0.0, "2024-03": 5.0}
    assert hist[hist["segment"] == "B"]["bookings"].tolist() == [0.0, 7.0, 0.0]
