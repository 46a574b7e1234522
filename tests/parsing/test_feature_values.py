"""The scorer reads lead features through the parsing layer: money and decimal commas are
numbers, a column keeps one decimal separator and one day/month order, and the batch encoder and
the service's one-lead path read a value alike."""
import numpy as np
import pandas as pd
import pytest

from scoring.encoder import LeadEncoder
from scoring.schema import infer_column, infer_schema
from scoring.service.hotpath import RecordEncoder


@pytest.mark.parametrize("values,decimal", [
    (["$32,029.60", "$1,200.50", "$980.00"], "."),
    (["£77.407.225,50", "£1.200,00", "£12,50"], ","),
    (["2,3", "4,5", "1,0"], ","),
])
def test_money_and_decimal_commas_are_numeric(values, decimal):
    spec = infer_column(pd.Series(values * 10), "deal_size")
    assert (spec.kind, spec.used, spec.decimal) == ("numeric", True, decimal)


def test_a_lead_feature_in_dollars_is_numeric():
    spec = infer_column(pd.Series(["$32,029.60"] + [f"${i},000.00" for i in range(1, 40)]), "budget")
    assert spec.kind == "numeric"


def _european_leads(n: int = 60) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    employees = ["6.000", "12.345", "850", "1.200"]
    return pd.DataFrame({
        "lead_id": [f"L{i}" for i in range(n)],
        "employees": [employees[i % 4] for i in range(n)],   # alone: 6.0 or 6000?
        "minutes": [f"{rng.integers(1, 99)},{rng.integers(0, 9)}" for _ in range(n)],  # tells: comma
        "last_visit": [f"{1 + i % 28:02d}.{1 + i % 12:02d}.2026" for i in range(n)],
        "is_sql": rng.integers(0, 2, n),
    })


def test_the_rest_of_the_table_decides_an_ambiguous_column():
    specs = {s.name: s for s in infer_schema(_european_leads(), target="is_sql", id_col="lead_id")}
    assert (specs["employees"].kind, specs["employees"].decimal) == ("numeric", ",")
    assert (specs["last_visit"].kind, specs["last_visit"].date_format) == ("date", "DMY")


def test_batch_and_one_lead_paths_read_with_the_column_decimal():
    frame = _european_leads()
    specs = [s for s in infer_schema(frame, target="is_sql", id_col="lead_id") if s.used]
    encoder = LeadEncoder(specs).fit(frame)
    X, invalid = encoder.transform(frame)
    column = encoder.input_columns_.index("employees")
    assert X[:4, column].tolist() == [6000.0, 12345.0, 850.0, 1200.0] and not invalid
    records = RecordEncoder(encoder)
    one, flags, _ = records.encode([{"lead_id": "x", "employees": "6.000", "minutes": "3,5",
                                     "last_visit": "01.02.2026"}])
    batch, _, _ = records.encode([{"lead_id": f"x{i}", "employees": "6.000", "minutes": "3,5",
                                   "last_visit": "01.02.2026"} for i in range(20)])
    assert one[0, column] == 6000.0 and (batch == one[0]).all()
    expected = encoder.transform(pd.DataFrame({"employees": ["6.000"], "minutes": ["3,5"],
                                               "last_visit": ["01.02.2026"]}))[0]
    np.testing.assert_array_equal(one, expected)


def test_an_undecided_column_is_read_with_a_point_and_says_so():
    spec = infer_column(pd.Series(["3.500", "1.200", "2.750"] * 10), "employees")
    assert spec.kind == "numeric" and spec.decimal == "."
    assert any("nothing in the table tells" in note for note in spec.notes)
