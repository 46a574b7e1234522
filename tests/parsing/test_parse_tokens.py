"""One vocabulary for placeholders and yes/no, one row numbering, one problem shape."""
import numpy as np
import pandas as pd
import pytest

from parsing import (BOOL_TOKENS, InputError, InputProblem, clean_token, read_flags, rows_text,
                     spreadsheet_rows, told_by)


@pytest.mark.parametrize("value", ["", "  ", "N/A", "n/a", "#N/A", "-", "unknown", "None", "null", "?",
                                   None, np.nan, pd.NaT])
def test_placeholders(value):
    assert clean_token(value) is None


def test_flags_one_vocabulary():
    values, bad = read_flags(pd.Series(["Yes", "no", "WAHR", "falsch", "1", "0", "won", "", "maybe"]))
    assert values[:7].tolist() == [1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0]
    assert np.isnan(values[7]) and bad.tolist() == [False] * 8 + [True]
    assert {"true", "false", "y", "n"} <= BOOL_TOKENS


def test_rows_as_in_a_spreadsheet():
    assert spreadsheet_rows([0, 4]).tolist() == [2, 6]
    assert rows_text(np.array([False, True])) == "row 3"
    assert rows_text(range(12)) == "rows 2, 3, 4, 5, 6 and 7 more"
    assert rows_text([1, 7], count=True) == "rows 3, 9 (2 rows)"


def test_one_problem_shape():
    problem = InputProblem("amount", "value(s) are not numbers", rows=(1, 3), found="'abc'",
                           expected="a number such as 1200", hint="fix the export.")
    assert str(problem) == ("column 'amount': 2 value(s) are not numbers (rows 3, 5): found 'abc'. "
                            "Expected a number such as 1200. Hint: fix the export.")
    error = InputError("deals.csv", [problem])
    assert str(error).startswith("deals.csv: 1 problem found (row numbers as in a spreadsheet")
    assert error.details == [problem] and error.problems == [str(problem)]


def test_a_file_tells_its_conventions_when_its_columns_agree():
    european = pd.DataFrame({"a": ["36,6", "1,5"], "b": ["31.03.2026", "01.04.2026"], "c": ["x", "y"]})
    assert (told_by(european).decimal, told_by(european).date_order) == (",", "DMY")
    disagree = pd.DataFrame({"a": ["36,6"], "b": ["1,234.50"]})
    assert told_by(disagree).decimal is None
