"""Capacity over time: ramp by month of tenure, attrition, leavers, and when hires must start."""
import re

import numpy as np
import pandas as pd
import pytest

from forecasting.funnel import FunnelConfig
from forecasting.funnel.headcount import monthly_headcount, ramp_at

NEED = pd.DataFrame({"segment": ["SMB", "SMB"], "target_period": ["2027Q1", "2027Q2"],
                     "role": ["ae", "ae"], "needed": [10.0, 14.0]})


def test_ramp_curve_by_month_of_tenure():
    assert ramp_at(np.array([-1, 0, 1, 2, 3, 30]), (0.25, 0.5, 0.75)).tolist() == [0, 0.25, 0.5, 0.75, 1, 1]


def test_hires_start_ramp_months_ahead_and_leavers_count():
    reps = pd.DataFrame({"rep_id": list("abcdefghij"), "segment": "SMB", "capacity": 1.0,
                         "ramp": [1.0] * 8 + [0.5, 1.0],
                         "hire_date": [None] * 9 + ["2026-12-01"],
                         "end_date": [None] * 7 + ["2027-02-15", None, None]})
    table = monthly_headcount(NEED, reps, ramp_curve=(0.25, 0.5, 0.75), first_month="2026-10")
    out = table[table["segment"] == "SMB"].reset_index(drop=True)
    # One segment: the ALL rows (the sum of the segments) repeat it month by month.
    total = table[table["segment"] == "ALL"].reset_index(drop=True)
    assert total["month"].tolist() == out["month"].tolist()
    assert total["productive_fte"].to_numpy() == pytest.approx(out["productive_fte"].to_numpy())
    jan = out[out["month"] == "2027-01"].iloc[0]
    # 7 full reps + one leaving in February + a rep at ramp 0.5 (fully ramped by January) + one
    # hired in December (January is its second month: 0.5)
    assert jan["productive_fte"] == pytest.approx(7 + 1 + 1.0 + 0.5)
    assert out[out["month"] == "2027-03"].iloc[0]["on_file_fte"] == pytest.approx(9.0)
    # Planned from October, every hire starts three months before the month it is needed in,
    # so none is still ramping when needed: the gap is closed every month.
    assert (out["gap"] <= 1e-9).all()
    april = out[out["month"] == "2027-04"].iloc[0]
    assert april["hires_productive_fte"] >= 14 - april["productive_fte"] - 1e-9
    # The April need is met by hires who start in January (three months of ramp ahead).
    assert out.loc[out["month"] == "2027-01", "hires_start"].iloc[0] >= 1
    early = sum(int(n) for n in re.findall(r"(\d+) hire\(s\) start", out.iloc[0]["hire_note"]))
    assert out["hires_total"].iloc[-1] == out["hires_start"].sum() + early


def test_late_hires_are_more_and_attrition_costs_capacity():
    reps = pd.DataFrame({"rep_id": [f"r{i}" for i in range(8)], "segment": "SMB"})

    def monthly(**settings):
        table = monthly_headcount(NEED, reps, **settings)
        return table[table["segment"] == "SMB"].reset_index(drop=True)

    on_time = monthly(first_month="2026-10")
    late = monthly(first_month="2027-01")
    assert late["hires_total"].iloc[-1] > on_time["hires_total"].iloc[-1]
    assert "needed to start by 2026-10" in late.iloc[0]["hire_note"]
    leaving = monthly(annual_attrition=0.2, first_month="2027-01")
    assert leaving["productive_fte"].iloc[-1] == pytest.approx(8 * 0.8 ** (5 / 12))
    assert leaving["hires_total"].iloc[-1] >= late["hires_total"].iloc[-1]


def test_plan_file_keys_are_checked():
    assert FunnelConfig(ramp_curve=(0.5, 1.0), annual_attrition=0.1).annual_attrition == 0.1
    with pytest.raises(ValueError):
        FunnelConfig(annual_attrition=1.0)
    with pytest.raises(ValueError):
        FunnelConfig(ramp_curve=(1.5,))


def test_sdrs_month_by_month_from_the_sqls_due():
    plan = pd.DataFrame({"segment": "SMB", "target_period": "2027Q2", "stage": "sql",
                         "period": ["2026-12-01", "2027-01-01", "2027-02-01", "2027-06-01"],
                         "required": [40.0, 60.0, 100.0, 80.0]})
    reps = pd.DataFrame({"rep_id": list("abcd"), "segment": "SMB",
                         "role": ["AE", "AE", "SDR", "Business Development Rep"]})
    need = NEED.iloc[1:]  # AEs for 2027Q2 only
    out = monthly_headcount(need, reps, FunnelConfig(sqls_per_sdr_per_month=20.0), ramp_curve=(0.5,),
                            first_month="2027-01", plan=plan)
    sdr = out[(out["segment"] == "SMB") & (out["role"] == "sdr")].set_index("month")
    # Every month from the first SQL due to the last, the months between without a need.
    assert sdr.index.tolist() == ["2026-12", "2027-01", "2027-02", "2027-03", "2027-04", "2027-05", "2027-06"]
    assert sdr["needed"].tolist()[:3] == [2.0, 3.0, 5.0] and np.isnan(sdr.loc["2027-03", "needed"])
    assert (sdr["on_file"] == 2).all()
    assert sdr["target_period"].tolist() == ["2027Q2"] * 3 + [""] * 3 + ["2027Q2"]
    # December is over: short by nothing (2 on file), no hire; January is short by one SDR who,
    # starting now, is half productive: two hires; February's extra need is met by one more
    # starting in January (ramp of one month).
    assert sdr.loc["2026-12", "hires_total"] == 0
    assert sdr.loc["2027-01", "hires_start"] == 3 and "still ramping" in sdr.loc["2027-01", "hire_note"]
    assert sdr.loc["2027-02", "gap"] <= 1e-9
    ae = out[(out["segment"] == "SMB") & (out["role"] == "ae")]
    assert ae["month"].tolist() == ["2027-04", "2027-05", "2027-06"] and (ae["on_file"] == 2).all()
    # Without a role column the SDRs on file are unknown: the need is there, no hires.
    unknown = monthly_headcount(need, reps.drop(columns="role"), plan=plan, first_month="2027-01")
    sdr = unknown[(unknown["segment"] == "SMB") & (unknown["role"] == "sdr")]
    assert sdr["needed"].notna().sum() == 4 and sdr["hires_total"].isna().all()
    assert "no role column" in sdr.iloc[0]["hire_note"]
