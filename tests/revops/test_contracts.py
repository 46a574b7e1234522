"""Every contract problem is reported at once, naming the column, the rows and what arrived."""
import numpy as np
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


# ---------------------------------------------------------------- reading values (parsing layer)
def accounts(**columns) -> pd.DataFrame:
    frame = pd.DataFrame({"account_id": ["A1", "A2", "A3"], "segment": ["SMB"] * 3, "region": ["EMEA"] * 3,
                          "owner_rep_id": ["R1", "R1", None]})
    for name, values in columns.items():
        frame[name] = values
    return frame


def test_euro_amount_in_a_european_file_is_thousands():
    frame = validate("accounts", accounts(potential=["€ 3.500", "1.200 €", "€ 800"], workload=["0,5", "1", "1,25"]))
    assert frame["potential"].tolist() == [3500.0, 1200.0, 800.0]
    assert frame["workload"].tolist() == [0.5, 1.0, 1.25]


def test_european_amounts_told_by_another_file_of_the_folder():
    from parsing import Conventions

    frame = validate("accounts", accounts(potential=["3.500", "1.200", "800"]),
                     evidence=Conventions(decimal=","))
    assert frame["potential"].tolist() == [3500.0, 1200.0, 800.0]


def test_an_ambiguous_column_is_refused_naming_the_setting_and_settled_by_it():
    from parsing import Conventions

    frame = accounts(potential=["3.500", "1.200", "800"])
    with pytest.raises(DataContractError) as info:
        validate("accounts", frame, "accounts.csv")
    message = str(info.value)
    assert ("column 'potential': 2 value(s) read differently with a decimal comma and a decimal point "
            "(rows 2, 3): found '3.500', '1.200'") in message
    assert 'set decimal = "," or "." under [data]' in message and "[data.per_table.accounts]" in message
    assert "--decimal" in message
    settled = validate("accounts", frame, settings=Conventions(decimal="."))
    assert settled["potential"].tolist() == [3.5, 1.2, 800.0]


def test_two_decimal_separators_in_one_column_are_refused():
    with pytest.raises(DataContractError, match=r"'potential': 2 value\(s\) read only with a decimal point "
                                                r"or only with a decimal comma, both in one column \(rows 2, 3\)"):
        validate("accounts", accounts(potential=["1,234.50", "2,5", "7"]))


def test_amounts_in_two_currencies_are_refused():
    with pytest.raises(DataContractError, match=r"'potential': values in 2 currencies \(EUR in row 2; USD in "
                                                r"rows 3, 4\)"):
        validate("accounts", accounts(potential=["€ 5", "$7", "$1,200.00"]))


@pytest.mark.parametrize("value", ["inf", "Infinity", "1e400", "-inf"])
def test_non_finite_amounts_are_refused_with_their_rows(value):
    frame = opportunities(amount=["1000", value, None, "500"])
    with pytest.raises(DataContractError) as info:
        validate("opportunities", frame)
    assert f"column 'amount': 1 value(s) are not finite numbers (row 3): found '{value}'" in str(info.value)


def test_absurd_magnitudes_are_refused():
    frame = pd.DataFrame({"segment": ["SMB", "MM"], "period": ["2027Q1"] * 2, "target": ["2e15", "1000000"]})
    with pytest.raises(DataContractError, match=r"'target': 1 value\(s\) are implausibly large \(row 2\)"):
        validate("targets", frame)


def test_dates_day_first_throughout_a_column():
    frame = validate("opportunities", opportunities(created_at=["03/04/2026", "31/03/2026", "12/01/2026", "01/01/2026"],
                                                    close_date=["04.03.2026"] * 4))
    assert frame["created_at"].dt.strftime("%Y-%m-%d").tolist() == ["2026-04-03", "2026-03-31", "2026-01-12",
                                                                     "2026-01-01"]
    assert frame["close_date"].iloc[0] == pd.Timestamp("2026-03-04")


def test_ambiguous_and_mixed_dates_are_refused():
    from parsing import Conventions

    frame = opportunities(created_at=["03/04/2026", "05/06/2026", "01/02/2026", "02/03/2026"])
    with pytest.raises(DataContractError) as info:
        validate("opportunities", frame, "opps.csv")
    assert "'created_at': 4 date(s) read differently day-first and month-first" in str(info.value)
    assert 'set date_order = "DMY" or "MDY" or "YMD"' in str(info.value)
    settled = validate("opportunities", frame, settings=Conventions(date_order="MDY"))
    assert settled["created_at"].iloc[0] == pd.Timestamp("2026-03-04")
    mixed = opportunities(created_at=["13/01/2024", "01/13/2024", "2026-01-01", "2026-01-02"])
    with pytest.raises(DataContractError, match="read only day-first or only month-first, both in one column"):
        validate("opportunities", mixed)


def test_placeholders_in_numbers_and_dates_are_empty_and_flags_speak_one_vocabulary():
    frame = validate("opportunities", opportunities(amount=["1000", "N/A", "-", "500"], is_won=["WAHR", "nein", "", "N/A"]))
    assert frame["amount"].isna().tolist() == [False, True, True, False]
    assert frame["is_won"].tolist()[:2] == [1.0, 0.0] and frame["is_won"].isna().sum() == 2


def test_lead_features_are_read_like_contract_columns():
    leads = pd.DataFrame({"lead_id": ["L1", "L2", "L3"], "created_at": ["31.03.2026", "01.04.2026", "02.04.2026"],
                          "employees": ["6.000", "850", "12.345"], "minutes": ["36,6", "1,5", "N/A"],
                          "source": ["Web", "Event", "Web"]})
    frame = validate("leads", leads)
    assert frame["employees"].tolist() == [6000.0, 850.0, 12345.0]
    assert frame["minutes"].tolist()[:2] == [36.6, 1.5] and np.isnan(frame["minutes"].iloc[2])
    assert frame["source"].tolist() == ["Web", "Event", "Web"]


def test_type_features_refuses_an_ambiguous_feature_naming_the_setting():
    from revops.contracts import type_features

    with pytest.raises(DataContractError, match=r"'employees': 2 value\(s\) read differently"):
        type_features(pd.DataFrame({"employees": ["6.000", "12.345", "850"]}), ["employees"])
