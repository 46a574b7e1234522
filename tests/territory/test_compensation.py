"""The pay plan pays what its rules say, to the unit."""
import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from territory.compensation import (CompensationConfig, CompensationInputError, Spif,
                                    compute_payouts, payout_multiple, simulate_payouts)

ISSUE_PLAN = CompensationConfig(variable_pay=10_000, rate_thresholds=(1.0,), rates=(1.0, 2.0), cap=2.0)


def test_accelerator_and_cap_pay_exactly():
    table = pd.DataFrame({"rep_id": ["a", "b", "c"], "quota": [100_000.0, 100_000.0, 100_000.0],
                          "bookings": [50_000.0, 120_000.0, 300_000.0]})
    out = compute_payouts(table, ISSUE_PLAN)
    assert list(out.columns[:3]) == ["rep_id", "attainment", "payout"]
    assert out["attainment"].tolist() == [0.5, 1.2, 3.0]
    assert out["payout"].tolist() == pytest.approx([5_000.0, 14_000.0, 20_000.0], abs=1e-9)


def test_bands_threshold_and_uncapped():
    config = CompensationConfig(variable_pay=1.0, rate_thresholds=(0.5, 1.0), rates=(0.0, 1.0, 3.0))
    assert payout_multiple(np.array([0.4, 0.8, 1.5, -1.0]), config).tolist() == pytest.approx(
        [0.0, 0.3, 0.5 + 1.5, 0.0])


def test_variable_pay_by_rep_and_segment_and_spif():
    config = CompensationConfig(variable_pay={"a": 5_000, "SMB": 8_000, "default": 1_000},
                                spifs=(Spif(name="calls", metric="calls", target=45 * 60, bonus=500),))
    table = pd.DataFrame({"rep_id": ["a", "b", "c"], "segment": ["SMB", "SMB", "Ent"],
                          "quota": [10.0, 10.0, 10.0], "bookings": [10.0, 5.0, 0.0],
                          "calls": [3_000, 100, 2_700]})
    out = compute_payouts(table, config)
    assert out["variable_pay"].tolist() == [5_000, 8_000, 1_000]
    assert out["payout"].tolist() == pytest.approx([5_000 + 500, 4_000, 500])


def test_bad_plans_and_tables_are_refused():
    with pytest.raises(ValidationError, match="one rate per band"):
        CompensationConfig(variable_pay=1.0, rates=(1.0,))
    with pytest.raises(ValidationError, match="increase"):
        CompensationConfig(variable_pay=1.0, rate_thresholds=(1.0, 0.5), rates=(1.0, 1.0, 1.0))
    with pytest.raises(CompensationInputError, match="quota"):
        compute_payouts(pd.DataFrame({"rep_id": ["a"], "quota": [0], "bookings": [1]}), ISSUE_PLAN)
    with pytest.raises(CompensationInputError, match="no amount for 1 rep"):
        compute_payouts(pd.DataFrame({"rep_id": ["z"], "quota": [1], "bookings": [1]}),
                        CompensationConfig(variable_pay={"a": 1.0}))


def test_simulated_payouts_per_rep_and_cost_of_sales():
    rng = np.random.default_rng(0)
    draws = rng.gamma(4.0, 25_000.0, size=(4_000, 2))    # mean 100k each
    reps = pd.DataFrame({"rep_id": ["a", "b"], "quota": [100_000.0, 200_000.0]})
    sim = simulate_payouts(draws, reps, ISSUE_PLAN)
    assert (sim.reps["payout_p10"] <= sim.reps["payout_p50"]).all()
    assert (sim.reps["payout_p90"] <= 20_000 + 1e-9).all()
    # rep b reaches half its quota on average: rarely paid above target
    assert sim.reps.loc[1, "p_above_target"] < sim.reps.loc[0, "p_above_target"]
    summary = sim.summary()
    assert summary["cost_of_sales_pct"] == pytest.approx(
        100 * sim.total_payout.mean() / draws.sum(axis=1).mean())
    assert 0 < summary["cost_of_sales_pct"] < 20


def test_compare_pay_plans_cost_per_extra_booking():
    from territory.compensation import compare_pay_plans

    draws = np.array([[50.0, 120.0], [100.0, 300.0]])
    reps = pd.DataFrame({"rep_id": ["a", "b"], "quota": [100.0, 100.0]})
    flat = CompensationConfig(variable_pay=10.0, rates=(1.0, 1.0), cap=2.0)
    accelerator = CompensationConfig(variable_pay=10.0, rates=(1.0, 2.0), cap=2.0)
    table = compare_pay_plans(draws, reps, {"flat": flat, "accelerator": accelerator},
                              uplift={"accelerator": 0.10})
    base, acc = table.iloc[0], table.iloc[1]
    # flat: 5 + 12, 10 + 20 (capped) -> 23.5; accelerator on 10 % more: 5.5 + 16.4, 12 + 20 -> 26.95
    assert base["cost"] == pytest.approx(23.5) and acc["cost"] == pytest.approx(26.95)
    assert acc["extra_bookings"] == pytest.approx(0.1 * draws.sum(axis=1).mean())
    assert acc["cost_per_extra_booking"] == pytest.approx((26.95 - 23.5) / 28.5)
    assert np.isnan(base["cost_per_extra_booking"])


def test_bookings_by_rep_quarter():
    from territory.compensation import bookings_by_rep_quarter

    opps = pd.DataFrame({"owner_rep_id": ["a", "a", "b", "b", ""], "segment": "SMB",
                         "amount": [10, 20, 5, 7, 100], "is_won": [1, 1, 1, 0, 1],
                         "close_date": ["2026-11-02", "2026-08-01", "2026-12-30", "2026-12-01", "2026-12-01"]})
    table = bookings_by_rep_quarter(opps, "2026-12-31", quarters=2)
    assert list(table.columns) == ["segment", "2026Q3", "2026Q4"]
    assert table.loc["a", ["2026Q3", "2026Q4"]].tolist() == [20.0, 10.0]
    assert table.loc["b", "2026Q4"] == 5.0 and "" not in table.index
