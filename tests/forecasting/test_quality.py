"""Forecast quality: beats seasonal naive on seasonal segments; honest 80% intervals."""
import numpy as np
import pandas as pd
import pytest

from forecasting import forecast_bookings, history_from_opportunities

from forecast_data import make_history


@pytest.fixture(scope="module")
def sample_history(sample_data_dir):
    opps = pd.read_csv(sample_data_dir / "opportunities.csv")
    return history_from_opportunities(opps, "M")


@pytest.fixture(scope="module")
def sample_results(sample_history):
    return {h: forecast_bookings(sample_history, horizon=h, levels=(80, 95)) for h in (6, 12)}


# Every sample segment is seasonal by construction (Q4 peak, summer dip). The backtest MASE
# is honest: each fold's method is chosen from the other folds only.
def test_sample_data_beats_seasonal_naive_in_every_segment_half_year(sample_results):
    for seg, stats in sample_results[6].metrics.segments.items():
        assert stats.mase < stats.mase_by_candidate["seasonal_naive"], seg


# 36 months of sample history, horizon 12 and 3 origins leave training windows of 16, 20 and 24
# months, all shorter than the 26 a seasonal ETS, ARIMA or Theta needs: here the group season
# (each segment's level times the season of all segments' sum) models the year from one season.
# Without it, seed 7 lost in Enterprise (0.835 vs seasonal naive 0.823), and 8 of 72 cases over
# seeds 1-12 x horizons 6, 12 x 3 segments lost; with it none do (README, "Quality").
def test_sample_data_beats_seasonal_naive_in_every_segment_one_year(sample_results):
    for seg, stats in sample_results[12].metrics.segments.items():
        assert stats.mase < stats.mase_by_candidate["seasonal_naive"], seg


@pytest.mark.parametrize("horizon", [6, 12])
def test_sample_data_interval_coverage(sample_results, horizon):
    overall = sample_results[horizon].metrics.overall
    assert 0.75 <= overall.coverage["80"] <= 0.85
    assert overall.coverage["95"] >= 0.88
    assert overall.mase < overall.mase_seasonal_naive
    # every candidate fitted every fold of the sample (a failure would show here, not vanish)
    assert sample_results[horizon].metrics.failed_candidates == ()


def test_generated_seasonal_segments_beat_seasonal_naive_and_cover():
    hist = make_history(n_segments=10, seed=11)
    res = forecast_bookings(hist, horizon=12, levels=(80,))
    seasonal = {s: v for s, v in res.metrics.segments.items() if v.seasonal}
    assert len(seasonal) >= 8  # the generator's yearly pattern is found
    for seg, stats in seasonal.items():
        assert stats.mase < stats.mase_by_candidate["seasonal_naive"], seg
    assert 0.75 <= res.metrics.overall.coverage["80"] <= 0.85
    # bias small: the generator has no level shifts
    assert abs(res.metrics.overall.bias) < 0.1


def test_twelve_sample_crms_beat_seasonal_naive_everywhere(tmp_path):
    """The README's claim: sample seeds 1-12 x horizons 6, 12 x 3 segments, no case lost, and
    80 % coverage within 75-85 % in every run (about 20 s: the small sample is quick)."""
    from revops.sample_data import generate

    lost, coverage = [], []
    for seed in range(1, 13):
        generate(tmp_path / str(seed), seed=seed, n_leads=20_000, n_accounts=600, n_reps=24)
        history = history_from_opportunities(
            pd.read_csv(tmp_path / str(seed) / "opportunities.csv"), "M")
        for horizon in (6, 12):
            res = forecast_bookings(history, horizon=horizon, levels=(80,))
            coverage.append(res.metrics.overall.coverage["80"])
            lost += [(seed, horizon, seg) for seg, s in res.metrics.segments.items()
                     if s.mase >= s.mase_by_candidate["seasonal_naive"]]
    assert lost == []
    assert 0.75 <= min(coverage) and max(coverage) <= 0.85, coverage
