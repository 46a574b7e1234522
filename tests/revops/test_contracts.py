"""Every contract problem is reported at once, naming the column, the rows and what arrived."""
import pandas as pd
import pytest

from revops.contracts import DataContractError, validate


def opportunities(**changes) -> pd.DataFrame:
    frame = pd.DataFrame({
        "opportunity_id": ["O1", "O2", "O3", "O4"],
        "account_id": ["A1", "A2", None, "A3"],
        "segment": ["SMB"] * 4,
        "created_at": ["2026-01-05", "2026-02-01", "2026-03-01", "2026-03-09"],
        "stage": ["Closed Won", "Closed Lost", "Proposal", "Discovery"],
        "amount": [1000, 2000, None, 500],
        "close_date": ["2026-02-01", "2026-03-01", "2026-05-01", "2026-06-01"],
        "is_won": ["1", "0", "", ""],
    })
    for column, values in changes.items():
        frame[column] = values
    return frame


def test_valid_table_gets_canonical_types():
    frame = validate("opportunities", opportunities())
    assert str(frame["created_at"].dtype).startswith("datetime64")
    assert frame["is_won"].tolist()[:2] == [1.0, 0.0] and frame["is_won"].isna().sum() == 2


def test_missing_required_column_names_it_and_hints_the_mapping():
    with pytest.raises(DataContractError) as info:
        validate("opportunities", opportunities().drop(columns=["stage", "amount"]), "opps.csv")
    message = str(info.value)
    assert message.startswith("opps.csv: 1 problem found")
    assert "'stage', 'amount'" in message and "[columns.opportunities]" in message


def test_duplicate_ids_name_rows_and_value():
    frame = opportunities(opportunity_id=["O1", "O2", "O2", "O4"])
    with pytest.raises(DataContractError, match=r"'opportunity_id': 2 rows .* \(rows 3, 4\): e.g. 'O2'"):
        validate("opportunities", frame)


def test_non_numeric_and_negative_amount_reported_together():
    frame = opportunities(amount=["1000", "abc", "-5", "1,200.00"])
    with pytest.raises(DataContractError) as info:
        validate("opportunities", frame, "opportunities.csv")
    problems = info.value.problems
    assert len(problems) == 2
    assert "column 'amount': 1 value(s) are not numbers (row 3): found 'abc'" in problems[0]
    assert "column 'amount': 1 negative value(s) (row 4): found '-5'" in problems[1]


def test_negative_potential_and_workload():
    accounts = pd.DataFrame({"account_id": ["A1", "A2"], "segment": ["SMB", "SMB"], "region": ["NA"] * 2,
                             "potential": [-1, 5], "workload": [1, "lots"], "owner_rep_id": [None, "R1"]})
    with pytest.raises(DataContractError) as info:
        validate("accounts", accounts, "accounts.csv")
    text = str(info.value)
    assert "column 'potential': 1 negative value(s) (row 2)" in text
    assert "column 'workload': 1 value(s) are not numbers (row 3): found 'lots'" in text


def test_unparseable_dates_show_rows_and_values():
    frame = opportunities(created_at=["2026-01-05", "yesterday", "2026-13-45", "2026-03-09"])
    with pytest.raises(DataContractError, match=r"'created_at': 2 date\(s\) cannot be read \(rows 3, 4\)"):
        validate("opportunities", frame)


def test_many_bad_rows_are_counted_not_listed():
    frame = pd.DataFrame({"segment": ["SMB"] * 12, "period": ["2027Q1"] * 12, "target": ["x"] * 12})
    frame["period"] = [f"2027Q{i % 4 + 1}" if i < 4 else f"20{i:02d}Q1" for i in range(12)]
    with pytest.raises(DataContractError, match=r"12 value\(s\) are not numbers \(rows 2, 3, 4, 5, 6 and 7 more\)"):
        validate("targets", frame)


def test_empty_table_is_an_error():
    with pytest.raises(DataContractError, match="has no rows"):
        validate("reps", pd.DataFrame({"rep_id": [], "segment": [], "region": []}), "reps.csv")


def test_column_mapping_and_loose_names():
    frame = pd.DataFrame({"Rep ID": ["R1"], "Team": ["SMB"], "Region": [""]})
    reps = validate("reps", frame, columns={"Team": "segment"})
    assert reps.loc[0, "rep_id"] == "R1" and reps.loc[0, "segment"] == "SMB"
    assert reps.loc[0, "region"] is None and reps.loc[0, "capacity"] == 1.0


def test_mapping_naming_an_absent_column():
    frame = pd.DataFrame({"rep_id": ["R1"], "segment": ["SMB"], "region": ["NA"]})
    with pytest.raises(DataContractError, match="mapping names 'Territory'"):
        validate("reps", frame, columns={"Territory": "region"})


@pytest.mark.parametrize("text,expected", [("2027Q1", "2027Q1"), ("2027-q2", "2027Q2"),
                                           ("Q3 2027", "2027Q3"), ("2027-01", "2027-01")])
def test_periods(text, expected):
    frame = validate("targets", pd.DataFrame({"segment": ["SMB"], "period": [text], "target": [1]}))
    assert frame.loc[0, "period"] == expected
