"""Bad input: each is a ScoringInputError whose message says what was expected and found."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from scoring.errors import ScoringInputError
from scoring.labels import label_counts, parse_label
from scoring.model import LeadScorer
from scoring.synthetic import make_leads


@pytest.fixture(scope="module")
def leads() -> pd.DataFrame:
    return make_leads(2000, seed=11)[0]


@pytest.mark.parametrize("values,expected", [
    (["1", "0", "", "1"], [1, 0, np.nan, 1]),
    (["True", "False", "N/A", "true"], [1, 0, np.nan, 1]),
    (["yes", "No", None, "YES"], [1, 0, np.nan, 1]),
    ([1.0, 0.0, np.nan, 1.0], [1, 0, np.nan, 1]),
])
def test_label_forms(values, expected):
    np.testing.assert_array_equal(parse_label(pd.Series(values, name="y")), np.array(expected, float))


def test_any_two_values_with_positive():
    y = parse_label(pd.Series(["SQL", "Disqualified", "", "sql"], name="stage"), positive="SQL")
    np.testing.assert_array_equal(y, [1, 0, np.nan, 1])
    with pytest.raises(ScoringInputError, match=r"which one means SQL\?.*Hint: set positive='Disqualified'"):
        parse_label(pd.Series(["SQL", "Disqualified"], name="stage"))
    with pytest.raises(ScoringInputError, match=r"no value 'Won'.*Found: 'Disqualified', 'SQL'. Hint: set positive to one of these"):
        parse_label(pd.Series(["SQL", "Disqualified"], name="stage"), positive="Won")


def test_label_with_three_values_lists_them(leads):
    bad = leads.assign(is_sql=np.where(np.arange(len(leads)) % 3 == 0, "maybe", leads["is_sql"]))
    with pytest.raises(ScoringInputError, match=r"exactly two values .* found 3: .*'maybe' \(667 rows\).*Hint: set target to the right column"):
        LeadScorer().fit(bad)


def test_missing_label_column(leads):
    with pytest.raises(ScoringInputError, match=r"the label column 'converted' \(parameter target\) is missing.*Hint: name the label column with target"):
        LeadScorer(target="converted").fit(leads)


def test_too_few_positives_says_count_and_minimum(leads):
    few = leads.copy()
    positives = np.flatnonzero(few["is_sql"] == "1")
    few.loc[positives[5:], "is_sql"] = "0"
    with pytest.raises(ScoringInputError, match=r"has 5 SQLs .* at least 20 are needed.*or check positive"):
        LeadScorer().fit(few)


def test_duplicate_ids(leads):
    dup = leads.copy()
    dup.loc[[10, 20], "lead_id"] = dup.loc[3, "lead_id"]
    with pytest.raises(ScoringInputError, match=r"duplicated ids 'L0000003' in rows 4, 11, 21 \(3 rows\)"):
        LeadScorer().fit(dup)


def test_bad_parameters(leads):
    with pytest.raises(ScoringInputError, match="'calibration' parameter .* Got 'platt' instead"):
        LeadScorer(calibration="platt").fit(leads)
    with pytest.raises(ScoringInputError, match="tier_thresholds"):
        LeadScorer(tier_thresholds=(10, 50, 20)).fit(leads)
    with pytest.raises(ScoringInputError, match="not fitted"):
        LeadScorer().predict_proba(leads)


def test_time_column_must_hold_dates(leads):
    with pytest.raises(ScoringInputError, match=r"time column 'lead_source' must hold dates.*read as categorical. Hint: set time_column to another column"):
        LeadScorer(time_col="lead_source").fit(leads)


def test_missing_columns_name_the_parameter(leads):
    with pytest.raises(ScoringInputError, match=r"the lead id column 'Record ID' \(parameter id_column\) is missing"):
        LeadScorer(id_col="Record ID").fit(leads)
    with pytest.raises(ScoringInputError, match=r"the exclude parameter names columns that are not in the file: "
                                                r"nope\. Columns found: lead_id, "):
        LeadScorer(exclude=("nope",)).fit(leads)


def test_no_cli_flags_in_scoring_messages():
    """Engine messages speak parameters (time_column), never the hub's flags (--time)."""
    import re
    from pathlib import Path

    import scoring

    root = Path(scoring.__file__).parent
    flags = []
    for path in root.glob("*.py"):  # scoring/service/ speaks HTTP fields and is not covered here
        flags += [f"{path.name}: {m}" for m in re.findall(r"--[a-z][a-z-]+", path.read_text())]
    assert flags == []


def test_positive_and_negative_leave_other_values_open():
    status = pd.Series(["Qualified", "Unqualified", "Working", "qualified", "", "Nurture"], name="Status")
    y = parse_label(status, positive="Qualified", negative=["Unqualified"])
    np.testing.assert_array_equal(y, [1, 0, np.nan, 1, np.nan, np.nan])
    assert label_counts(status, y) == {"positive": {"Qualified": 2}, "negative": {"Unqualified": 1},
                                       "open": {"(empty)": 1, "Nurture": 1, "Working": 1}}
    # Several values per side.
    y = parse_label(status, positive=("Qualified", "Nurture"), negative="Unqualified,Working".split(","))
    np.testing.assert_array_equal(y, [1, 0, 0, 1, np.nan, 1])


def test_one_side_named_takes_the_one_value_left_or_asks():
    two = pd.Series(["Won", "Lost", "", "won"], name="stage")
    np.testing.assert_array_equal(parse_label(two, negative="Lost"), [1, 0, np.nan, 1])
    three = pd.Series(["Qualified", "Unqualified", "Working"] * 3, name="Status")
    with pytest.raises(ScoringInputError, match=r"label column 'Status' has 3 values: .*positive names "
                                                r"'Qualified', and 2 others are left\. Hint: set negative "
                                                r"to the value\(s\) that mean not an SQL; values in neither"):
        parse_label(three, positive="Qualified")
    with pytest.raises(ScoringInputError, match=r"has no value 'Unqualifed' \(a value given in negative\)\. "
                                                r"Found: 'Qualified', 'Unqualified', 'Working'"):
        parse_label(three, positive="Qualified", negative="Unqualifed")


def test_three_valued_status_trains_and_counts_the_third_value_as_open(leads):
    status = np.where(leads["is_sql"] == "1", "Qualified", np.where(leads["is_sql"] == "0", "Unqualified", "Working"))
    frame = leads.drop(columns=["is_sql"]).assign(Status=status)
    # Column names match without case or spacing, as the data contracts match them.
    scorer = LeadScorer(target="status", id_col="Lead ID", time_col="CREATED_AT", positive="Qualified",
                        negative="Unqualified", candidates=("logistic_regression",), n_threads=1).fit(frame)
    working = int((status == "Working").sum())
    assert working > 0 and scorer.metrics_["n_open"] == working
    assert scorer.label_counts_["open"] == {"Working": working}
    assert (scorer.target_, scorer.id_col_, scorer.time_col_) == ("Status", "lead_id", "created_at")
    assert scorer.target == "status"  # the parameter as given
    assert not np.isin(frame.loc[status == "Working", "lead_id"], scorer.holdout_ids_).any()
    assert "lead_id" in scorer.score_frame(frame.head(3)).columns
    ambiguous = frame.assign(STATUS=frame["Status"])
    with pytest.raises(ScoringInputError, match=r"2 columns match 'status' \(parameter target\) when case, "
                                                r"spaces and punctuation are ignored: 'Status', 'STATUS'"):
        LeadScorer(target="status", positive="Qualified", negative="Unqualified").fit(ambiguous)


def test_header_only_file_is_no_rows(leads):
    with pytest.raises(ScoringInputError, match=r"^leads: the file has no rows \(a header only\)"):
        LeadScorer(time_col="created_at").fit(leads.head(0))
