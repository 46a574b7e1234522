"""Headcount: AEs from the target and quota, SDRs from the SQL goal, against the reps on file."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasting.funnel import OVERALL, FunnelConfig, build_funnel_plan, compute_kpis, plan_headcount

from funnel_tables import AS_OF


@pytest.fixture
def kpis(opportunities, leads, targets) -> pd.DataFrame:
    return compute_kpis(opportunities, leads, targets, as_of=AS_OF, min_records=4)


def row(table: pd.DataFrame, segment: str, role: str) -> pd.Series:
    hit = table[(table["segment"] == segment) & (table["role"] == role)]
    assert len(hit) == 1
    return hit.iloc[0]


def test_headcount_by_hand(kpis, targets, reps):
    assumptions = FunnelConfig(quota_per_rep_month=250.0, expected_attainment=0.8, sqls_per_sdr_per_month=2.0,
                               win_rate=0.5, sql_to_opportunity_rate=0.5, mql_to_sql_rate=0.5,
                               avg_deal_size=100.0, monthly_split="even")
    plan = build_funnel_plan(targets, kpis, assumptions=assumptions)
    table = plan_headcount(targets, plan, kpis, reps, assumptions)
    ae = row(table, "A", "ae")
    assert ae.needed == pytest.approx(1000.0 / (250.0 * 3 * 0.8))  # target / (quota x months x attainment)
    assert (ae.on_file, ae.on_file_fte, ae.productive_fte) == (3, 2.5, pytest.approx(2.25))  # S1 counts: no roles
    assert ae.gap == pytest.approx(ae.needed - 2.25)
    sdr = row(table, "A", "sdr")
    # 1000/3 a month / 100 = 3.33 won; / 0.5 / 0.5 = 13.33 SQLs a month; / 2 per SDR
    assert sdr.needed == pytest.approx(1000.0 / 3 / 100 / 0.25 / 2.0)
    assert np.isnan(sdr.on_file)  # no role column: SDRs on file are unknown
    total = row(table, OVERALL, "ae")
    assert total.needed == pytest.approx(ae.needed + row(table, "B", "ae").needed)


def test_roles_split_aes_and_sdrs(kpis, targets, reps):
    reps = reps.assign(role=["Account Executive", "AE", "AE", "SDR"])
    assumptions = FunnelConfig(quota_per_rep_month=250.0)
    plan = build_funnel_plan(targets, kpis, min_records=4)
    table = plan_headcount(targets, plan, kpis, reps, assumptions)
    assert row(table, "A", "ae").on_file == 2 and row(table, "A", "sdr").on_file == 1
    assert row(table, "B", "sdr").on_file == 0 and row(table, "B", "sdr").gap == pytest.approx(
        row(table, "B", "sdr").needed)


def test_quota_from_history_reproduces_productivity(kpis, targets):
    # A booked 600 in 2026 with 2 reps owning deals (R1, R2): 25 per rep-month.
    plan = build_funnel_plan(targets, kpis, min_records=4)
    table = plan_headcount(targets, plan, kpis, None, FunnelConfig(expected_attainment=0.5))
    assert row(table, "A", "ae").needed == pytest.approx(1000.0 / (600.0 / (2 * 12) * 3), rel=1e-3)
    assert np.isnan(row(table, "A", "ae").on_file)  # no reps table


def test_aes_needed_follow_the_forecast_of_the_same_period(kpis, targets, reps):
    from forecasting.funnel.headcount import headcount_notes

    plan = build_funnel_plan(targets, kpis, min_records=4)
    config = FunnelConfig(expected_attainment=0.8)
    # A: 900 expected in 2027Q1 from 2.25 productive FTE against a target of 1,000
    table = plan_headcount(targets, plan, kpis, reps, config, expected_bookings={"A": 900.0})
    ae = row(table, "A", "ae")
    assert ae.needed == pytest.approx(1000.0 / 900.0 * 2.25)     # the team, scaled to the target
    assert ae.basis.startswith("forecast: 900 expected in 2027Q1 from 2.2 productive FTE")
    assert ae.needed_from_history == pytest.approx(1000.0 / (600.0 / (2 * 12) * 3), rel=1e-3)
    # the attainment cancels: the forecast already says what the team books
    other = plan_headcount(targets, plan, kpis, reps, FunnelConfig(expected_attainment=0.5),
                           expected_bookings={"A": 900.0})
    assert row(other, "A", "ae").needed == pytest.approx(ae.needed)
    assert row(table, "B", "ae").basis.startswith("history")     # B has no forecast: history
    notes = headcount_notes(table)
    assert len(notes) == 1 and "history's bookings per rep and month would say" in notes[0]
    # a quota set in the plan file wins over both
    fixed = plan_headcount(targets, plan, kpis, reps, FunnelConfig(quota_per_rep_month=250.0),
                           expected_bookings={"A": 900.0})
    assert row(fixed, "A", "ae").basis.startswith("quota_per_rep_month")
