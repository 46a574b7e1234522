"""Every KPI on hand-made data, computed by hand (see conftest.py for the story of each row)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.proportion import proportion_confint

from forecasting.funnel import OVERALL, FunnelInputError, compute_kpis, kpi_summary
from forecasting.funnel.stages import infer_stage_order, stage_conversions
from forecasting.funnel.stats import bootstrap_interval, wilson_interval

from funnel_tables import AS_OF


def kpi(frame: pd.DataFrame, segment: str, name: str, detail: str = "") -> pd.Series:
    hit = frame[(frame["segment"] == segment) & (frame["kpi"] == name) & (frame["detail"] == detail)]
    assert len(hit) == 1, f"{segment} {name} {detail!r}: {len(hit)} rows"
    return hit.iloc[0]


@pytest.fixture
def kpis(opportunities, leads, targets) -> pd.DataFrame:
    return compute_kpis(opportunities, leads, targets, as_of=AS_OF, window_months=12, min_records=4)


def test_opportunity_kpis_by_hand(kpis):
    assert kpi(kpis, "A", "win_rate").value == pytest.approx(3 / 4)
    assert kpi(kpis, "A", "win_rate").n_records == 4
    assert kpi(kpis, "A", "win_loss_ratio").value == pytest.approx(3.0)
    assert kpi(kpis, "A", "avg_deal_size").value == pytest.approx(200.0)
    assert kpi(kpis, "A", "sales_cycle_days_median").value == pytest.approx(20.0)
    assert kpi(kpis, "A", "sales_cycle_days_p25").value == pytest.approx(15.0)
    assert kpi(kpis, "A", "sales_cycle_days_p75").value == pytest.approx(25.0)
    assert kpi(kpis, "B", "win_rate").value == pytest.approx(1 / 3)
    assert kpi(kpis, "B", "win_loss_ratio").value == pytest.approx(0.5)
    assert kpi(kpis, "B", "avg_deal_size").value == pytest.approx(1000.0)
    assert kpi(kpis, OVERALL, "win_rate").value == pytest.approx(4 / 7)
    assert kpi(kpis, OVERALL, "avg_deal_size").value == pytest.approx(400.0)
    assert kpi(kpis, OVERALL, "sales_cycle_days_median").value == pytest.approx(25.0)


def test_pipeline_kpis_by_hand(kpis):
    assert kpi(kpis, "A", "open_opportunities").value == 2
    assert kpi(kpis, "A", "open_pipeline_amount").value == pytest.approx(1200.0)
    coverage = kpi(kpis, "A", "pipeline_coverage", "2027Q1")
    assert coverage.value == pytest.approx(500.0 / 1000.0)  # o6 closes after the quarter
    assert (coverage.period_start, coverage.period_end) == ("2027-01-01", "2027-03-31")
    # 2 open x 3/4 win rate x 200 average deal / 20 days median cycle
    assert kpi(kpis, "A", "pipeline_velocity", "amount per day").value == pytest.approx(15.0)
    assert kpi(kpis, OVERALL, "pipeline_coverage", "2027Q1").value == pytest.approx(500.0 / 4000.0)


def test_lead_kpis_by_hand(kpis):
    assert kpi(kpis, "A", "mql_to_sql_rate").value == pytest.approx(4 / 8)
    assert kpi(kpis, "A", "mql_to_sql_rate").n_records == 8
    sql_opp = kpi(kpis, "A", "sql_to_opportunity_rate")
    assert sql_opp.value == pytest.approx(2 / 4)
    assert "lead_id" in sql_opp.method
    assert kpi(kpis, "A", "lead_to_opportunity_days_median").value == pytest.approx(29.5)
    assert kpi(kpis, "B", "mql_to_sql_rate").value == pytest.approx(1 / 4)
    assert kpi(kpis, OVERALL, "mql_to_sql_rate").value == pytest.approx(5 / 12)


def test_rates_carry_wilson_intervals(kpis):
    row = kpi(kpis, "A", "win_rate")
    low, high = proportion_confint(3, 4, alpha=0.05, method="wilson")
    assert (row.value_low, row.value_high) == (pytest.approx(low), pytest.approx(high))
    assert np.isnan(wilson_interval(0, 0)).all()  # no trials, no interval


def test_bookings_and_growth_by_quarter(kpis):
    assert kpi(kpis, "A", "bookings", "2025Q1").value == pytest.approx(10_000.0)
    assert kpi(kpis, "A", "bookings", "2026Q1").value == pytest.approx(100.0)
    assert kpi(kpis, "A", "bookings", "2026Q2").value == pytest.approx(500.0)
    assert kpi(kpis, "A", "bookings", "2025Q2").value == 0.0  # empty quarters count as zero
    assert kpi(kpis, "A", "bookings_growth_yoy", "2026Q1").value == pytest.approx(100 / 10_000 - 1)
    assert kpi(kpis, "A", "bookings_growth_qoq", "2026Q2").value == pytest.approx(500 / 100 - 1)
    assert kpi(kpis, OVERALL, "bookings", "2026Q3").value == pytest.approx(1000.0)


def test_stage_conversion_method(kpis):
    # Cohort of A created in 2026: 3 won (reached every stage), o4 lost with no open stage (first
    # stage only), o5 open in "1 Discovery", o6 open in "2 Proposal".
    first = kpi(kpis, "A", "stage_conversion_rate", "1 Discovery->2 Proposal")
    assert (first.value, first.n_records) == (pytest.approx(4 / 5), 5)  # o5 still undecided
    last = kpi(kpis, "A", "stage_conversion_rate", "2 Proposal->Won")
    assert (last.value, last.n_records) == (pytest.approx(3 / 3), 3)  # o6 still undecided


def test_stage_order_inferred_by_age_without_numbers():
    opps = pd.DataFrame({
        "stage": ["Negotiate", "Qualify", "Qualify", "Negotiate", "Closed Won"],
        "is_won": [np.nan, np.nan, np.nan, np.nan, 1.0],
        "created_at": pd.to_datetime(["2026-01-01", "2026-11-01", "2026-12-01", "2026-02-01", "2026-01-01"]),
    })
    assert infer_stage_order(opps, pd.Timestamp("2026-12-31")) == ["Qualify", "Negotiate"]
    table = stage_conversions(opps, ["Qualify", "Negotiate"])
    assert table["to_stage"].tolist() == ["Negotiate", "Won"]
    with pytest.raises(FunnelInputError, match="stage order"):
        stage_conversions(opps, ["Qualify"])


def test_low_sample_flags_follow_min_records(opportunities, leads, targets):
    loose = compute_kpis(opportunities, leads, targets, as_of=AS_OF, min_records=3)
    strict = compute_kpis(opportunities, leads, targets, as_of=AS_OF, min_records=4)
    assert not kpi(loose, "B", "win_rate").low_sample  # 3 closed deals >= 3
    assert kpi(strict, "B", "win_rate").low_sample  # 3 < 4: flagged ...
    assert np.isfinite(kpi(strict, "B", "win_rate").value)  # ... but still reported
    assert not kpi(strict, "A", "win_rate").low_sample
    assert (strict["low_sample"] == (strict["n_records"] < 4)).all()


def test_account_link(opportunities, leads, targets):
    opps = opportunities.drop(columns=["lead_id"])
    leads = leads.copy()
    leads.loc[leads["lead_id"] == "L3", "account_id"] = "a9"  # a9's next deal: o5, 153 days later
    kpis = compute_kpis(opps, leads, targets, as_of=AS_OF, min_records=1)
    row = kpi(kpis, "A", "sql_to_opportunity_rate")
    assert row.value == pytest.approx(3 / 4) and "account_id" in row.method
    assert kpi(kpis, "A", "lead_to_opportunity_days_median").value == pytest.approx(31.0)
    assert kpi(kpis, "B", "sql_to_opportunity_rate").value == pytest.approx(1.0)


def test_count_link_when_nothing_links(opportunities, leads, targets):
    extra = pd.DataFrame({"lead_id": [f"X{i}" for i in range(4)], "created_at": ["2026-08-01"] * 4,
                          "is_sql": [1] * 4, "segment": ["A"] * 4})
    unlinked = pd.concat([leads.drop(columns=["account_id"]), extra], ignore_index=True)
    kpis = compute_kpis(opportunities.drop(columns=["lead_id"]), unlinked, targets, as_of=AS_OF)
    row = kpi(kpis, "A", "sql_to_opportunity_rate")
    assert row.value == pytest.approx(6 / 8) and row.method.startswith("counts")  # 6 deals created / 8 SQLs
    assert not (kpis["kpi"] == "lead_to_opportunity_days_median").any()


def test_kpis_without_leads_or_targets(opportunities):
    kpis = compute_kpis(opportunities, as_of=AS_OF)
    assert not kpis["kpi"].isin(["mql_to_sql_rate", "sql_to_opportunity_rate", "pipeline_coverage"]).any()
    assert kpi(kpis, "A", "win_rate").value == pytest.approx(3 / 4)


def test_as_of_defaults_to_the_data_not_the_clock(opportunities, leads):
    kpis = compute_kpis(opportunities, leads)
    assert set(kpis.loc[kpis["kpi"] == "win_rate", "period_end"]) == {"2026-12-21"}  # last lead


def test_kpis_are_deterministic(opportunities, leads, targets):
    first = compute_kpis(opportunities, leads, targets, random_state=3)
    second = compute_kpis(opportunities, leads, targets, random_state=3)
    pd.testing.assert_frame_equal(first, second)


def test_bootstrap_interval_brackets_the_mean():
    values = np.random.default_rng(0).normal(100.0, 10.0, 400)
    low, high = bootstrap_interval(values, "mean", 0.95, 400, random_state=1)
    assert low < values.mean() < high
    assert high - low == pytest.approx(2 * 1.96 * 10 / 20, rel=0.25)


@pytest.mark.parametrize("column, value, message", [
    ("is_won", "maybe", "is_won"),
    ("created_at", "not a date", "created_at"),
    ("amount", "lots", "amount"),
])
def test_bad_opportunity_values_name_column_and_row(opportunities, column, value, message):
    bad = opportunities.astype({column: object})
    bad.loc[2, column] = value
    with pytest.raises(FunnelInputError, match=message) as info:
        compute_kpis(bad)
    assert "rows 4" in str(info.value) and "Hint:" in str(info.value)


def test_closed_deal_without_date_is_an_error(opportunities):
    bad = opportunities.copy()
    bad.loc[0, "close_date"] = None
    with pytest.raises(FunnelInputError, match="closed deals without a close date"):
        compute_kpis(bad)


def test_missing_columns_are_listed(opportunities):
    with pytest.raises(FunnelInputError, match="'stage', 'amount'"):
        compute_kpis(opportunities.drop(columns=["stage", "amount"]))


def test_undated_open_deals_still_count_in_the_pipeline(opportunities):
    # Some exports leave the creation date empty on early-stage deals (Maven: every "Prospecting").
    opps = pd.DataFrame(opportunities.to_dict("records") + [{
        "opportunity_id": "o11", "account_id": "a9", "segment": "A", "created_at": None, "stage": "0 Lead",
        "amount": 300.0, "close_date": None, "is_won": None, "owner_rep_id": "R1"}])
    kpis = compute_kpis(opps, as_of=AS_OF)
    assert kpi(kpis, "A", "open_opportunities").value == 3
    assert kpi(kpis, "A", "open_pipeline_amount").value == pytest.approx(1500.0)
    assert kpi(kpis, "A", "sales_cycle_days_median").value == pytest.approx(20.0)
    undated_first = infer_stage_order(
        opps.assign(is_won=pd.to_numeric(opps["is_won"]), created_at=pd.to_datetime(opps["created_at"]),
                    stage=opps["stage"].replace({"1 Discovery": "Proposal", "2 Proposal": "Discovery"})),  # older: further
        pd.Timestamp(AS_OF))
    assert undated_first == ["0 Lead", "Discovery", "Proposal"]


def test_kpi_summary_flags_thin_values(kpis):
    table = kpi_summary(kpis).set_index("kpi")
    assert list(table.columns) == ["A", "B", OVERALL]
    assert table.loc["win_rate", "A"] == "75.0%"  # 4 closed deals = min_records: not flagged
    assert table.loc["win_rate", "B"] == "33.3%*"  # 3 closed deals < 4
    assert table.loc["avg_deal_size", OVERALL] == "400"
    assert table.loc["pipeline_coverage 2027Q1", "A"] == "0.50*"  # one open deal behind it


def test_open_deals_without_amounts_leave_the_open_amount_unknown(opportunities, targets):
    # an export that prices a deal only when it closes: the open amount is n/a, not 0
    unpriced = opportunities.assign(amount=opportunities["amount"].where(opportunities["is_won"].notna()))
    kpis = compute_kpis(unpriced, None, targets, as_of=AS_OF)
    assert kpi(kpis, "A", "open_opportunities").value == 2
    assert np.isnan(kpi(kpis, "A", "open_pipeline_amount").value)
    assert np.isnan(kpi(kpis, "A", "pipeline_coverage", "2027Q1").value)
    assert kpi(kpis, "B", "open_pipeline_amount").value == 0.0         # no open deal: nothing open
    assert kpi_summary(kpis).set_index("kpi").loc["open_pipeline_amount", "A"] == "n/a"
