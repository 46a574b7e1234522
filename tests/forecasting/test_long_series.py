"""Long series (issue #21): the log scale where the spread grows with the level, an undamped
trend among the candidates, and a wider combination; held out against AutoETS."""
import numpy as np
import pandas as pd
import pytest

from forecasting import ForecastConfig, forecast_bookings
from forecasting.core import (BacktestConfig, candidates_for, is_fit_failure, profile_series,
                              run_forecast, spread_grows_with_level)
from forecasting.metrics import seasonal_scale
from forecasting.models import Arima, DampedETS, LogScale, SeasonalNaive, Theta, Z80

from forecast_data import make_long_history


def _compounding(n: int, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    return 50 * 1.015 ** t * (1 + 0.3 * np.sin(2 * np.pi * t / 12)) * rng.lognormal(0, 0.08, n)


def _steady(n: int, seed: int = 2) -> np.ndarray:
    """A growing level, a season and noise of constant size (additive)."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    return 500 + 2 * t + 40 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 15, n)


def test_log_scale_fits_the_log_and_returns_the_median_in_bookings():
    y = _compounding(72)
    mean, sigma = LogScale(DampedETS()).fit(y, 12).predict(6)
    mu, sigma_log = DampedETS().fit(np.log(y), 12).predict(6)
    np.testing.assert_allclose(mean, np.exp(mu))
    # half the width of exp(mu +- z sigma_log), in units of z
    np.testing.assert_allclose(sigma, (np.exp(mu + Z80 * sigma_log) - np.exp(mu - Z80 * sigma_log))
                               / (2 * Z80))
    first = LogScale(Arima()).fit(y[:60], 12)
    np.testing.assert_allclose(first.advance(y).predict(6)[0], first.forward(y, 6)[0])
    assert LogScale(Theta("additive")).name == "theta" and LogScale(Arima()).min_obs == Arima.min_obs


def test_log_scale_of_a_zero_is_a_fit_failure_not_a_bug():
    y = _compounding(48)
    y[10] = 0.0
    with pytest.raises(ValueError, match="positive") as err:
        LogScale(DampedETS()).fit(y, 12)
    assert is_fit_failure(err.value)


def test_theta_with_an_additive_season_counts_only_the_noise_in_its_interval():
    # statsforecast keeps the season in the residuals of an additively deseasonalised Theta;
    # on the log scale (Tourism) that made the final intervals hold 88% instead of ~80%
    t = np.arange(120)
    y = 8 + 0.01 * t + 0.5 * np.sin(2 * np.pi * t / 12) + np.random.default_rng(0).normal(0, 0.05, 120)
    fitted = Theta("additive").fit(y, 12)
    mean, sigma = fitted.predict(3)
    assert fitted.model_.model_["decomposition_type"] == "additive"
    assert 0.03 < sigma[0] < 0.08                     # the noise (0.05), not the swing (0.35)
    from statsforecast.models import AutoTheta
    np.testing.assert_allclose(mean, AutoTheta(season_length=12, decomposition_type="additive")
                               .fit(y).predict(3)["mean"])


def test_spread_grows_with_level():
    assert spread_grows_with_level(_compounding(120), 12)
    assert not spread_grows_with_level(_steady(120), 12)
    assert not spread_grows_with_level(_compounding(59), 12)      # fewer than five years
    with_zero = _compounding(120)
    with_zero[5] = 0.0
    assert not spread_grows_with_level(with_zero, 12)


def test_long_series_get_the_log_scale_and_the_trend_candidate():
    config = BacktestConfig(horizon=12, season_length=12, long_from_years=5)
    long = profile_series("a", _compounding(60), config)
    assert long.long and long.log_scale
    cands = candidates_for(long, config)
    assert [c.name for c in cands] == ["seasonal_naive", "ets_damped", "ets_trend", "arima", "theta"]
    assert [type(c).__name__ for c in cands] == ["SeasonalNaive"] + ["LogScale"] * 4
    steady = profile_series("b", _steady(120), config)
    assert steady.long and not steady.log_scale
    assert "LogScale" not in {type(c).__name__ for c in candidates_for(steady, config)}
    short = profile_series("c", _compounding(59), config)
    assert not short.long and not short.log_scale
    assert [c.name for c in candidates_for(short, config)] == ["seasonal_naive", "ets_damped",
                                                                "arima", "theta"]
    off = BacktestConfig(horizon=12, season_length=12)            # long_from_years None
    assert not profile_series("a", _compounding(60), off).long
    given = BacktestConfig(horizon=12, season_length=12, long_from_years=5,
                           candidates=(SeasonalNaive(), DampedETS()))
    assert candidates_for(long, given) == given.candidates       # used as they are
    assert ForecastConfig().long_from_years == 5 and ForecastConfig().long_combine_tolerance == 0.75


class _Constant(SeasonalNaive):
    def __init__(self, value: float, name: str):
        self.value, self.name = value, name

    def _predict(self, h):
        return np.full(h, self.value), np.full(h, 1.0)


def test_long_series_combine_within_the_wider_tolerance():
    y = np.full(40, 10.0) + np.tile([0.5, -0.5], 20)
    # backtest MASE: "ten" 0.05, "near" 0.08 (60% worse): combined only on a long series
    cands = (_Constant(10.0, "ten"), _Constant(10.8, "near"))
    config = dict(horizon=3, season_length=4, levels=(80.0,), refit=False, candidates=cands)
    [long] = run_forecast({"a": y}, BacktestConfig(**config, long_from_years=5))
    [short] = run_forecast({"a": y}, BacktestConfig(**config))
    assert long.profile.long and long.method == "combination(ten+near)"
    assert short.method == "ten"


def _heldout_mase(train: pd.DataFrame, test: pd.DataFrame, point: dict) -> float:
    ys = {k: g["bookings"].to_numpy() for k, g in train.groupby("segment")}
    return float(np.mean([np.mean(np.abs(g["bookings"].to_numpy() - point[k])) / seasonal_scale(ys[k], 12)
                          for k, g in test.groupby("segment")]))


def test_long_compounding_series_as_accurate_as_autoets():
    """The issue's yardstick in small: 24 series of 15 years, the last 12 months held out.
    Before #21 (damped additive-season ETS, airline and Theta on the raw series, 25%
    combination) ours lost to AutoETS here by 6% (1.321 vs 1.244; seed 1: 1.400 vs 1.235),
    as on the bench's 200 series (2.115 vs 1.912); now 1.195 (seed 1: 1.230). ~12 s."""
    from statsforecast import StatsForecast
    from statsforecast.models import AutoETS

    history = make_long_history(n_segments=24)
    cutoff = sorted(history["period"].unique())[-12]
    train, test = history[history["period"] < cutoff], history[history["period"] >= cutoff]
    result = forecast_bookings(train, horizon=12, levels=(80,))
    fc = result.forecast[result.forecast["level"] == "segment"]
    ours = _heldout_mase(train, test, {k: g["p50"].to_numpy() for k, g in fc.groupby("segment")})
    df = train.rename(columns={"segment": "unique_id", "bookings": "y"})
    df["ds"] = pd.PeriodIndex(df["period"], freq="M").to_timestamp()
    peer_fc = StatsForecast(models=[AutoETS(season_length=12)], freq="MS").forecast(
        df=df[["unique_id", "ds", "y"]], h=12)
    peer = _heldout_mase(train, test, {k: g["AutoETS"].to_numpy()
                                       for k, g in peer_fc.groupby("unique_id")})
    assert ours <= peer, (ours, peer)
