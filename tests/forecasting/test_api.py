import numpy as np
import pandas as pd
import pytest

from forecasting import ForecastInputError, forecast_bookings

from conftest import make_history


@pytest.fixture(scope="module")
def result():
    return forecast_bookings(make_history(n_segments=3, seed=1, sparse=1), 12, "M", "80,95")


def test_forecast_frame_contract(result):
    fc = result.forecast
    assert list(fc.columns[:5]) == ["segment", "period", "p10", "p50", "p90"]
    assert {"lo_95", "hi_95", "method", "level"} <= set(fc.columns)
    assert fc["period"].iloc[0] == "2027-01-01" and fc["period"].iloc[11] == "2027-12-01"
    assert (fc["p10"] <= fc["p50"]).all() and (fc["p50"] <= fc["p90"]).all()
    assert (fc["lo_95"] <= fc["p10"]).all() and (fc["hi_95"] >= fc["p90"]).all()
    assert len(fc) == 12 * 5  # 4 segments + Total


def test_sparse_segment_gets_intermittent_method_and_no_negative_bookings(result):
    seg = result.metrics["segments"]["Sparse0"]
    assert seg["kind"] == "intermittent"
    assert seg["method"].split("(")[0] in {"croston", "croston_sba", "tsb", "window_mean", "combination"}
    assert all(m in {"croston", "croston_sba", "tsb", "window_mean"}
               for m in seg["mase_by_candidate"])
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
    overall = result.metrics["overall"]
    for key in ("mase", "smape", "bias", "coverage_80", "coverage_95"):
        assert np.isfinite(overall[key])
    assert set(result.metrics["segments"]) == {"S0", "S1", "S2", "Sparse0"}


def test_same_input_same_numbers():
    hist = make_history(n_segments=2, n_months=36, seed=2)
    a = forecast_bookings(hist, 3, "M")
    b = forecast_bookings(hist.sample(frac=1.0, random_state=1), 3, "M")  # row order must not matter
    pd.testing.assert_frame_equal(a.forecast, b.forecast)


def test_short_segment_falls_back_and_says_so():
    hist = make_history(n_segments=2, n_months=40, seed=3)
    young = hist[(hist["segment"] == "S1") & (hist["period"] >= "2025-10")]
    res = forecast_bookings(pd.concat([hist[hist["segment"] == "S0"], young]), 6, "M")
    assert res.metrics["segments"]["S1"]["method"] == "naive"  # shorter than a season
    assert any("S1: 7 periods of history is too short" in note for note in res.notes)
    assert res.metrics["segments"]["S0"]["backtest_origins"] == 3


@pytest.mark.parametrize("kwargs, message", [
    (dict(horizon=0), "horizon: expected a whole number"),
    (dict(freq="W"), "unknown value 'W'"),
    (dict(levels="80,abc"), "levels: '80,abc' is not a list of numbers"),
    (dict(levels=[120]), r"levels: \[120.0\] outside \(0, 100\)"),
    (dict(reconciliation="top_down"), "reconciliation: unknown value 'top_down'"),
    (dict(hierarchy={"S0": "NA"}), r"hierarchy: segment\(s\) \['S1'\] have no region"),
])
def test_bad_options(kwargs, message):
    hist = make_history(n_segments=2, n_months=30)
    args = dict(horizon=3, freq="M")
    args.update(kwargs)
    with pytest.raises(ForecastInputError, match=message):
        forecast_bookings(hist, **args)


def test_intermittent_segment_never_negative_even_when_refunds_are_allowed():
    hist = make_history(n_segments=1, n_months=36, seed=6, sparse=1)
    res = forecast_bookings(hist, 6, "M", allow_negative=True)
    sparse = res.forecast[res.forecast["segment"] == "Sparse0"]
    assert res.metrics["segments"]["Sparse0"]["kind"] == "intermittent"
    assert (sparse[["p10", "p50", "p90", "lo_95"]] >= 0).all().all()
    bt = res.backtest[(res.backtest["segment"] == "Sparse0") & (res.backtest["model"] == "selected")]
    assert (bt[["forecast", "lo_80"]] >= 0).all().all()
