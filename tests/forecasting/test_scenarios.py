"""forecasting.scenarios: win-rate drops, forecast vs target, funnel scenarios."""
from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from forecasting.errors import ForecastInputError
from forecasting.funnel import FunnelConfig, compute_kpis
from forecasting.pipeline import forecast_pipeline
from forecasting.scenarios import (forecast_vs_target, funnel_scenarios, scale_win_probabilities,
                                   scaled_assumptions, simulate_quarter, win_rate_scenarios)


@pytest.fixture(scope="module")
def crm(tmp_path_factory):
    from revops.inputs import load_inputs
    from revops.sample_data import generate

    folder = tmp_path_factory.mktemp("crm")
    generate(folder, seed=5, n_leads=3_000, n_accounts=40, n_reps=9)
    return load_inputs(folder, tables=("leads", "opportunities", "reps", "targets")).tables


@pytest.fixture(scope="module")
def pipeline(crm):
    return forecast_pipeline(crm["opportunities"], as_of="2026-12-31", targets=crm["targets"],
                             n_simulations=2_000, random_state=3)


def test_scale_win_probabilities():
    p = np.array([0.0, 0.05, 0.5, 1.0])
    assert np.allclose(scale_win_probabilities(p, 0.10), [0.0, 0.045, 0.45, 0.9])
    assert np.allclose(scale_win_probabilities(p, 0.10, "points"), [0.0, 0.0, 0.4, 0.9])
    assert np.allclose(scale_win_probabilities(p, -0.5), [0.0, 0.075, 0.75, 1.0])  # a rise, capped at 1
    with pytest.raises(ForecastInputError, match="kind"):
        scale_win_probabilities(p, 0.1, "percent")
    with pytest.raises(ForecastInputError, match=r"\[-1, 1\]"):
        scale_win_probabilities(p, 10)


def test_simulate_quarter_certain_deals():
    deals = pd.DataFrame({"segment": ["A", "A", "B"], "amount": [100.0, 50.0, 7.0], "probability": [1.0, 0.0, 1.0]})
    new = pd.DataFrame({"segment": ["A", "B"], "new_mean": [0.0, 3.0], "new_sd": [0.0, 0.0]})
    sims = simulate_quarter(deals, {"A": 10.0}, new, n_simulations=50)
    assert np.all(sims["A"] == 110.0) and np.all(sims["B"] == 10.0) and np.all(sims["Total"] == 120.0)


def test_zero_drop_reproduces_the_pipeline_forecast(crm, pipeline):
    out = win_rate_scenarios(pipeline, [0.0], targets=crm["targets"],
                             n_simulations=2_000, random_state=3)
    table = pipeline.table.set_index("segment")
    for row in out.itertuples():
        for column in ("p10", "p50", "p90", "expected_total", "probability_of_target"):
            assert getattr(row, column) == pytest.approx(table.at[row.segment, column], rel=1e-12), column


def test_bigger_drops_cost_bookings_and_chances(crm, pipeline):
    drops = [0.0, 0.1, 0.3]
    out = win_rate_scenarios(pipeline, drops, targets=crm["targets"],
                             n_simulations=2_000, random_state=3)
    for segment, part in out.groupby("segment"):
        part = part.sort_values("drop")
        assert np.all(np.diff(part["expected_total"]) < 0), segment
        assert np.all(np.diff(part["probability_of_target"]) <= 0), segment
        base = part.iloc[0]
        # A relative drop scales the weighted pipeline and the new business exactly.
        assert part["weighted_pipeline"].to_numpy() == pytest.approx(
            base["weighted_pipeline"] * (1 - np.array(drops)), rel=1e-9)
        assert part["expected_new"].to_numpy() == pytest.approx(base["expected_new"] * (1 - np.array(drops)), rel=1e-9)
    assert (out.loc[out["drop"] == 0, "change_vs_base"] == 0).all()
    again = win_rate_scenarios(pipeline, drops, targets=crm["targets"],
                               n_simulations=2_000, random_state=3)
    pd.testing.assert_frame_equal(out, again)


def test_new_business_can_stay_put(crm, pipeline):
    kept = win_rate_scenarios(pipeline, [0.0, 0.2], kind="points",
                              new_business_follows=False, n_simulations=500)
    for _, part in kept.groupby("segment"):
        assert part["expected_new"].nunique() == 1


def test_forecast_vs_target_sums_the_quarter():
    forecast = pd.DataFrame({
        "segment": ["S"] * 4 + ["Total"] * 4,
        "period": ["2026-12-01", "2027-01-01", "2027-02-01", "2027-03-01"] * 2,
        "p50": [999.0, 10.0, 20.0, 30.0, 999.0, 10.0, 20.0, 30.0],
    })
    targets = pd.DataFrame({"segment": ["S"], "period": ["2027Q1"], "target": [80.0]})
    pipe = pd.DataFrame({"segment": ["S", "Total"], "expected_total": [70.0, 70.0], "open_pipeline": [120.0, 120.0],
                         "closed_to_date": [20.0, 20.0], "probability_of_target": [0.3, 0.3]})
    out = forecast_vs_target(forecast, targets, "2027Q1", pipe).set_index("segment")
    assert out.at["S", "forecast_p50"] == 60.0 and out.at["S", "months"] == 3
    assert out.at["S", "forecast_gap"] == 20.0 and out.at["Total", "target"] == 80.0
    assert out.at["S", "pipeline_coverage"] == pytest.approx(120.0 / 60.0)
    with pytest.raises(ForecastInputError, match="no forecast month falls in 2027Q3"):
        forecast_vs_target(forecast, targets, "2027Q3")


def test_funnel_scenarios_move_the_goals_as_the_arithmetic_says(crm):
    opportunities, leads, targets = crm["opportunities"], crm["leads"], crm["targets"]
    kpis = compute_kpis(opportunities, leads, targets, random_state=0)
    base = FunnelConfig()
    scenarios = {
        "base": base,
        "mql->sql -20%": scaled_assumptions(kpis, targets, {"mql_to_sql_rate": -0.2}, base),
        "target +15%": dataclasses.replace(base, target_growth=0.15),
        "deal size +25%": scaled_assumptions(kpis, targets, {"avg_deal_size": 0.25}, base),
    }
    result = funnel_scenarios(targets, kpis, scenarios, reps=crm["reps"], opportunities=opportunities, leads=leads)
    mql = result.goal_changes("base", stage="mql", column="required").set_index("segment")
    sql = result.goal_changes("base", stage="sql", column="required").set_index("segment")
    # The gross requirements scale exactly with the assumptions.
    assert np.allclose(mql["mql->sql -20% %"], 100 * (1 / 0.8 - 1))
    assert np.allclose(sql["mql->sql -20% %"], 0.0)
    assert np.allclose(mql["target +15% %"], 15.0)
    assert np.allclose(mql["deal size +25% %"], 100 * (1 / 1.25 - 1))
    # What is still needed from today moves with them where anything is still needed (a segment
    # whose MQL months are all over needs none in any scenario: no change to show, NaN).
    still = result.goal_changes("base", stage="mql").set_index("segment")
    assert still["mql->sql -20% %"].notna().sum() >= 2
    assert np.allclose(still["mql->sql -20% %"].dropna(), 100 * (1 / 0.8 - 1))
    assert np.allclose(still["deal size +25% %"].dropna(), 100 * (1 / 1.25 - 1))  # the open pipeline's deals too
    # the open pipeline's expected bookings stay as they are: the rest of a larger target grows faster
    assert (still["target +15% %"].dropna() >= 15.0 - 1e-9).all()
    assert set(result.headcount["scenario"]) == set(scenarios)
    with pytest.raises(ForecastInputError, match="cannot scale"):
        scaled_assumptions(kpis, targets, {"target": 0.1}, base)


def test_win_rate_scenarios_need_the_forecast_new_business(pipeline):
    bare = dataclasses.replace(pipeline, new_business=None)
    with pytest.raises(ForecastInputError, match="no new-business parameters"):
        win_rate_scenarios(bare, [0.1], n_simulations=100)
