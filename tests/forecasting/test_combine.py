"""One plan-quarter forecast from the pipeline and time-series views (forecasting.combine), and
open deals without amounts priced from similar deals (forecasting.pipeline)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasting import ForecastConfig, forecast_bookings, forecast_pipeline
from forecasting.combine import RULE, combination_weight, combine_quarter
from forecasting.history import history_from_opportunities
from forecasting.pipeline import amounts_tell_outcome, canonical_opportunities, estimate_amounts

CONFIG = ForecastConfig(n_simulations=2000, calibration_quarters=3)


def test_weights_follow_the_backtest_errors_by_hand():
    rows = pd.DataFrame({"quarter": ["q1", "q1", "q2", "q2"], "actual": [100.0, 200.0, 100.0, 200.0],
                         "pipeline_p50": [110.0, 180.0, 90.0, 220.0],          # 10 % off each time
                         "time_series_p50": [120.0, 160.0, 80.0, 240.0]})      # 20 % off each time
    weight, reason, accuracy = combination_weight(rows)
    assert weight == pytest.approx(0.04 / (0.01 + 0.04))                    # inverse MSE: 0.8
    assert accuracy == pytest.approx({"pipeline": 10.0, "time_series": 20.0})
    assert reason.startswith("pipeline 80%, time series 20%: on the last 2 quarter(s)")
    few = combination_weight(rows.head(3))
    assert few[0] == 0.5 and "equal weights: only 3 past segment-quarter(s)" in few[1]


def test_similar_deals_price_the_open_ones():
    won = pd.DataFrame({
        "segment": ["A"] * 6 + ["A"] * 5 + ["B"] * 2, "similar": ["X"] * 6 + ["Y"] * 5 + ["Z"] * 2,
        "won": 1.0, "closed": pd.Timestamp("2026-06-01"),
        "amount": [100.0] * 6 + [300.0] * 5 + [1000.0, 3000.0]})
    open_deals = pd.DataFrame({"segment": ["A", "A", "B", "C", "A"], "similar": ["X", "W", "Z", "X", "Y"],
                               "amount": [np.nan, np.nan, np.nan, np.nan, 50.0]})
    priced, basis = estimate_amounts(open_deals, won, pd.Timestamp("2026-12-31"))
    # (A, X): its 6 deals; (A, W): too few -> segment A; B has 2 won deals -> all; C: all
    everyone = won["amount"].mean()
    assert priced["amount"].tolist() == pytest.approx([100.0, 2100.0 / 11, everyone, everyone, 50.0])
    assert priced["amount_estimated"].tolist() == [True, True, True, True, False]
    assert "same segment and product" in basis and "last 12 months" in basis
    every = estimate_amounts(open_deals, won, pd.Timestamp("2026-12-31"),
                             replace=pd.Series(True, index=open_deals.index))[0]
    assert every["amount_estimated"].all() and every["amount"].iloc[4] == pytest.approx(300.0)


def test_amounts_recorded_only_on_won_deals_tell_the_outcome():
    closed = pd.DataFrame({"won": [1.0] * 20 + [0.0] * 20, "amount": [500.0] * 20 + [0.0] * 20})
    assert amounts_tell_outcome(closed)
    assert not amounts_tell_outcome(closed.assign(amount=400.0))
    assert not amounts_tell_outcome(closed.head(25))          # 5 lost deals: too few to tell


@pytest.fixture(scope="module")
def sample(sample_data_dir):
    opps = pd.read_csv(sample_data_dir / "opportunities.csv")
    targets = pd.read_csv(sample_data_dir / "targets.csv")
    return opps, targets


@pytest.fixture(scope="module")
def combined(sample):
    opps, targets = sample
    history = history_from_opportunities(opps, "M", as_of="2026-12-31")
    result = forecast_bookings(history, CONFIG)
    pipeline = forecast_pipeline(opps, CONFIG, as_of="2026-12-31", targets=targets, random_state=1)
    return result, pipeline, combine_quarter(result, pipeline, targets=targets)


def test_one_number_per_segment_and_the_months_add_up_to_it(combined):
    result, pipeline, quarter = combined
    table = quarter.table.set_index("segment")
    assert table.index.tolist() == ["Enterprise", "Mid-Market", "SMB", "Total"]
    assert (table["p10"] <= table["p50"]).all() and (table["p50"] <= table["p90"]).all()
    assert table.loc["Total", "p50"] == pytest.approx(table.drop("Total")["p50"].sum())
    assert table["p_target"].between(0, 1).all()
    assert np.allclose(table["gap_to_target"], table["target"] - table["p50"])
    w = quarter.weight_pipeline
    assert 0 < w < 1 and quarter.rule == RULE and quarter.reason.startswith(f"pipeline {w:.0%}")
    body = table.drop("Total")
    # quantile averaging: the combined median is the weighted medians (up to the draws' grain)
    assert body["p50"].to_numpy() == pytest.approx(
        (w * body["pipeline_p50"] + (1 - w) * body["time_series_p50"]).to_numpy(), rel=0.01)
    f = quarter.forecast
    months = f[pd.to_datetime(f["period"]).dt.to_period("Q") == pd.Period("2027Q1")]
    assert (months["basis"] == "combined").all() and len(months) == 12
    sums = months.groupby("segment")["p50"].sum()
    assert sums.to_dict() == pytest.approx(table["p50"].to_dict(), rel=1e-9)
    assert (months["p10"] <= months["p50"]).all() and (months["p50"] <= months["p90"]).all()
    # the backtest rows: both views and the combination against what was booked
    bt = quarter.backtest
    assert set(bt["quarter"]) == {"2026Q2", "2026Q3", "2026Q4"} and bt["actual"].gt(0).all()
    assert set(quarter.accuracy) == {"pipeline", "time_series", "combined"}


def test_open_deals_without_amounts_are_priced_not_zero(sample):
    opps, targets = sample
    blank = opps.assign(amount=opps["amount"].where(opps["is_won"].notna()))
    res = forecast_pipeline(blank, ForecastConfig(n_simulations=1000, calibration_quarters=0),
                            as_of="2026-12-31", targets=targets, random_state=1)
    total = res.table.set_index("segment").loc["Total"]
    assert res.amounts_estimated == total["open_deals"] == total["amounts_estimated"] > 100
    assert total["open_pipeline"] > 0.5 * blank.loc[blank["is_won"].notna() & (blank["is_won"] == 1), "amount"].mean() \
        * total["open_deals"]
    assert total["weighted_pipeline"] > 0
    assert any(f"{res.amounts_estimated:,} of {res.amounts_estimated:,} open deals had no amount" in n
               for n in res.notes)
    assert res.open_deals["amount_estimated"].all() and res.model.use_amount_


def test_amount_is_no_feature_when_only_won_deals_carry_one(sample):
    opps, _ = sample
    maven_like = opps.assign(amount=np.where(opps["is_won"] == 0, 0.0,
                                             opps["amount"].where(opps["is_won"].notna())))
    assert amounts_tell_outcome(canonical_opportunities(maven_like))
    res = forecast_pipeline(maven_like, ForecastConfig(n_simulations=500, calibration_quarters=0),
                            as_of="2026-12-31", random_state=1)
    assert not res.model.use_amount_
    assert any("only won deals carry one" in n for n in res.notes)
    assert res.table.set_index("segment").loc["Total", "weighted_pipeline"] > 0
