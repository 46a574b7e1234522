import json

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from forecasting import ForecastConfig, ForecastInputError, ForecastMetrics, forecast_bookings

from forecast_data import make_history


@pytest.fixture(scope="module")
def result():
    return forecast_bookings(make_history(n_segments=3, seed=1, sparse=1), ForecastConfig(horizon=12))


def test_forecast_frame_contract(result):
    fc = result.forecast
    assert list(fc.columns[:5]) == ["segment", "period", "p10", "p50", "p90"]
    assert {"lo_95", "hi_95", "method", "level"} <= set(fc.columns)
    assert fc["period"].iloc[0] == "2027-01-01" and fc["period"].iloc[11] == "2027-12-01"
    assert (fc["p10"] <= fc["p50"]).all() and (fc["p50"] <= fc["p90"]).all()
    assert (fc["lo_95"] <= fc["p10"]).all() and (fc["hi_95"] >= fc["p90"]).all()
    assert len(fc) == 12 * 5  # 4 segments + Total


def test_sparse_segment_gets_intermittent_method_and_no_negative_bookings(result):
    seg = result.metrics.segments["Sparse0"]
    assert seg.kind == "intermittent"
    assert seg.method.split("(")[0] in {"croston", "croston_sba", "tsb", "window_mean", "combination"}
    assert all(m in {"croston", "croston_sba", "tsb", "window_mean"}
               for m in seg.mase_by_candidate)
    sparse = result.forecast[result.forecast["segment"] == "Sparse0"]
    assert (sparse[["p10", "p50", "p90", "lo_95"]] >= 0).all().all()


def test_backtest_and_metrics_contract(result):
    bt = result.backtest
    assert list(bt.columns[:6]) == ["segment", "origin", "period", "actual", "forecast", "model"]
    sel = bt[bt["model"] == "selected"]
    assert sel.groupby("segment")["origin"].nunique().eq(3).all()
    # origin = last training month; 4 months apart; the last fold ends with the history
    s0 = sel[sel["segment"] == "S0"]
    assert sorted(s0["origin"].unique()) == ["2025-04-01", "2025-08-01", "2025-12-01"]
    last = s0[s0["origin"] == "2025-12-01"]["period"]
    assert (last.min(), last.max()) == ("2026-01-01", "2026-12-01")
    overall = result.metrics.overall
    for value in (overall.mase, overall.smape, overall.bias, overall.coverage["80"],
                  overall.coverage["95"]):
        assert np.isfinite(value)
    assert set(result.metrics.segments) == {"S0", "S1", "S2", "Sparse0"}
    assert set(result.metrics.aggregates) == {"Total"}


def test_metrics_json_keeps_its_keys_and_mlflow_gets_flat_numbers(result):
    metrics = result.metrics
    assert isinstance(metrics, ForecastMetrics)
    data = json.loads(json.dumps(metrics.to_dict()))  # JSON-ready as it is
    assert set(data) == {"overall", "segments", "aggregates", "reconciliation", "notes", "config",
                         "failed_candidates"}
    assert set(data["overall"]) == {"n_segments", "mase", "smape", "bias", "coverage_80",
                                    "coverage_95", "mase_seasonal_naive"}
    assert set(data["segments"]["S0"]) == {
        "method", "kind", "seasonal", "n_obs", "backtest_origins", "interval_factor",
        "mase_by_candidate", "mase", "smape", "bias", "coverage_80", "coverage_95"}
    assert data["segments"]["S0"]["mase"] == metrics.segments["S0"].mase
    assert data["reconciliation"] == {"method": "bottom_up", "description": metrics.reconciliation,
                                      "hierarchy": {"Total": ["S0", "S1", "S2", "Sparse0"]}}
    assert data["failed_candidates"] == []
    # as run: 80 always among the levels, the step used, and no execution settings
    assert data["config"]["levels"] == [80, 95] and data["config"]["backtest_step"] == 4
    assert data["config"]["horizon"] == 12 and "n_jobs" not in data["config"]
    flat = metrics.metrics()
    assert flat["mase"] == metrics.overall.mase and flat["coverage_95"] == metrics.overall.coverage["95"]
    assert flat["mase_sparse0"] == metrics.segments["Sparse0"].mase
    assert flat["failed_candidates"] == 0.0
    assert all(isinstance(v, float) and np.isfinite(v) for v in flat.values())
    table = metrics.segment_table()
    assert list(table["segment"]) == ["S0", "S1", "S2", "Sparse0"]
    assert {"method", "mase", "coverage_80"} <= set(table.columns)


def test_same_input_same_numbers():
    hist = make_history(n_segments=2, n_months=36, seed=2)
    a = forecast_bookings(hist)
    b = forecast_bookings(hist.sample(frac=1.0, random_state=1))  # row order must not matter
    pd.testing.assert_frame_equal(a.forecast, b.forecast)


def test_short_segment_falls_back_and_says_so():
    hist = make_history(n_segments=2, n_months=40, seed=3)
    young = hist[(hist["segment"] == "S1") & (hist["period"] >= "2025-10")]
    res = forecast_bookings(pd.concat([hist[hist["segment"] == "S0"], young]), horizon=6)
    assert res.metrics.segments["S1"].method == "naive"  # shorter than a season
    assert res.metrics.segments["S1"].mase is None        # nothing to score it on
    assert "mase" not in res.metrics.to_dict()["segments"]["S1"]
    assert any("S1: 7 periods of history is too short" in note for note in res.notes)
    assert res.metrics.segments["S0"].backtest_origins == 3


def test_defaults_plan_the_coming_quarter():
    config = ForecastConfig()
    assert (config.freq, config.horizon, config.levels, config.backtest_origins) == ("M", 3, (80, 95), 3)
    assert config.interval_levels == (80.0, 95.0)
    assert ForecastConfig(levels=(95, 50)).interval_levels == (50.0, 80.0, 95.0)  # p10/p90 always


@pytest.mark.parametrize("kwargs, message", [
    (dict(horizon=0), r"horizon\n.*greater than or equal to 1"),
    (dict(freq="W"), r"freq\n.*'M' or 'Q'"),
    (dict(levels=(120,)), r"levels.0\n.*less than 100"),
    (dict(levels=()), r"levels\n.*at least 1 item"),
    (dict(backtest_origins=0), r"backtest_origins\n.*greater than or equal to 1"),
    (dict(reconciliation="top_down"), r"reconciliation\n.*'bottom_up' or 'mint_shrink'"),
    (dict(fill_missing="mean"), r"fill_missing"),
    (dict(n_jobs=0), r"n_jobs\n.*0 workers cannot run anything"),
    (dict(backend="dask"), r"backend 'dask' needs a scheduler address"),
    (dict(scheduler="tcp://127.0.0.1:8786"), r"only used with backend='dask'"),
    (dict(n_simulations=10), r"n_simulations\n.*greater than or equal to 100"),
])
def test_bad_settings_are_refused_when_the_config_is_made(kwargs, message):
    with pytest.raises(ValidationError, match=message):
        ForecastConfig(**kwargs)
    hist = make_history(n_segments=2, n_months=30)
    with pytest.raises(ValidationError, match=message):  # the same check through a keyword
        forecast_bookings(hist, **kwargs)


def test_keywords_override_single_fields_of_the_config():
    hist = make_history(n_segments=1, n_months=30, seed=4)
    base = ForecastConfig(horizon=2, levels=(95,))
    res = forecast_bookings(hist, base, horizon=4)
    assert res.metrics.config.horizon == 4 and res.metrics.config.levels == (80, 95)
    assert len(res.forecast) == 4 and {"lo_95", "hi_95"} <= set(res.forecast.columns)
    assert base.horizon == 2  # the caller's config is not changed


def test_unknown_setting_or_old_positional_call_is_a_clear_type_error():
    hist = make_history(n_segments=1, n_months=30)
    with pytest.raises(TypeError, match=r"unknown setting\(s\) \['n_origins'\]; expected "
                                        r"ForecastConfig fields: freq, horizon"):
        forecast_bookings(hist, n_origins=3)
    with pytest.raises(TypeError, match=r"config must be a ForecastConfig or None; got int 12\. "
                                        r"Pass single settings as keywords"):
        forecast_bookings(hist, 12)


def test_hierarchy_without_a_region_for_every_segment():
    hist = make_history(n_segments=2, n_months=30)
    with pytest.raises(ForecastInputError, match=r"hierarchy: segment\(s\) \['S1'\] have no region"):
        forecast_bookings(hist, hierarchy={"S0": "NA"})


def test_intermittent_segment_never_negative_even_when_refunds_are_allowed():
    hist = make_history(n_segments=1, n_months=36, seed=6, sparse=1)
    res = forecast_bookings(hist, horizon=6, allow_negative=True)
    sparse = res.forecast[res.forecast["segment"] == "Sparse0"]
    assert res.metrics.segments["Sparse0"].kind == "intermittent"
    assert (sparse[["p10", "p50", "p90", "lo_95"]] >= 0).all().all()
    bt = res.backtest[(res.backtest["segment"] == "Sparse0") & (res.backtest["model"] == "selected")]
    assert (bt[["forecast", "lo_80"]] >= 0).all().all()
