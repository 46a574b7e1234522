"""Plan vs actual on a tiny hand-made funnel: actuals, ALL = the segments' rows, the bottleneck;
forecast accuracy against won bookings."""
import pandas as pd
import pytest

from forecasting.review import forecast_accuracy, plan_vs_actual

PLAN = pd.DataFrame({
    "segment": ["A", "A", "A", "B", "B"],
    "period": ["2027-01-01", "2027-01-01", "2027-02-01", "2027-01-01", "2027-04-01"],
    "stage": ["mql", "sql", "mql", "mql", "mql"],
    "required": [4.0, 2.0, 2.0, 2.0, 5.0],
})
LEADS = pd.DataFrame({
    "lead_id": [f"L{i}" for i in range(8)],
    "created_at": pd.to_datetime(["2027-01-03", "2027-01-05", "2027-01-09", "2027-01-20", "2027-02-02",
                                  "2027-01-04", "2027-02-10", "2027-01-15"]),
    "segment": ["A", "A", "A", "A", "A", "B", "B", "C"],
    "is_sql": [1, 0, 0, 0, 0, 1, 0, 1],
})
OPPS = pd.DataFrame({
    "opportunity_id": ["O1", "O2", "O3"], "segment": ["A", "A", "B"], "account_id": ["x", "y", "z"],
    "created_at": pd.to_datetime(["2026-12-01", "2026-12-05", "2026-12-07"]), "stage": ["Won", "Won", "Lost"],
    "amount": [100.0, 50.0, 70.0], "is_won": [1.0, 1.0, 0.0],
    "close_date": pd.to_datetime(["2027-01-10", "2027-02-10", "2027-01-12"]),
})


def test_actuals_all_rows_and_bottleneck():
    rows, totals = plan_vs_actual(PLAN, pd.Timestamp("2027-03-31"), OPPS, LEADS)
    got = rows.set_index(["segment", "period", "stage"])
    assert got.loc[("A", "2027-01", "mql"), ["planned", "actual", "gap"]].tolist() == [4.0, 4.0, 0.0]
    assert got.loc[("A", "2027-01", "sql"), "attainment"] == pytest.approx(0.5)
    assert got.loc[("B", "2027-01", "mql"), "actual"] == 1.0
    assert pd.isna(got.loc[("B", "2027-04", "mql"), "actual"])  # not due yet
    # ALL: the planned rows' actuals only (B's February lead and segment C are not in the plan).
    assert got.loc[("ALL", "2027-01", "mql"), ["planned", "actual"]].tolist() == [6.0, 5.0]
    flagged = totals[totals["bottleneck"]].set_index("segment")["stage"].to_dict()
    assert flagged == {"A": "sql", "B": "mql", "ALL": "sql"}  # A: MQLs 5/6, SQLs 1/2
    assert rows.loc[rows["bottleneck"], "stage"].isin(["sql", "mql"]).all()


def test_forecast_accuracy_inside_the_80_interval():
    monthly = pd.DataFrame({"segment": ["A", "A", "A"], "period": ["2027-01-01", "2027-02-01", "2027-04-01"],
                            "p10": [80.0, 60.0, 1.0], "p50": [100.0, 80.0, 2.0], "p90": [120.0, 90.0, 3.0]})
    quarter = pd.DataFrame({"segment": ["A", "Total"], "period": ["2027Q1", "2027Q1"],
                            "p10": [100.0, 100.0], "p50": [160.0, 160.0], "p90": [200.0, 200.0]})
    table = forecast_accuracy(pd.Timestamp("2027-03-31"), OPPS, monthly, quarter).set_index(["segment", "period"])
    assert table.loc[("A", "2027-01"), ["actual", "error", "inside_80"]].tolist() == [100.0, 0.0, True]
    assert table.loc[("A", "2027-02"), ["actual", "inside_80"]].tolist() == [50.0, False]
    assert ("A", "2027-04") not in table.index  # not over
    assert table.loc[("Total", "2027Q1"), "actual"] == 150.0
    assert table.loc[("A", "2027Q1"), "abs_pct_error"] == pytest.approx(10 / 150)
