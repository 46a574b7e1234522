"""The final forecast of a long series reuses its first backtest fit (``reuse_fit_from``)."""
import numpy as np
import pydantic
import pytest

from forecasting import ForecastConfig
from forecasting.core import BacktestConfig, run_forecast
from forecasting.models import Arima, Combination, DampedETS, SeasonalNaive


def _series(n: int, seed: int = 3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    return 100 * (1.01 ** t) * (1 + 0.3 * np.sin(2 * np.pi * t / 12)) * rng.lognormal(0, 0.1, n)


def test_advance_is_the_first_fit_run_forward():
    y = _series(60)
    first = DampedETS().fit(y[:44], 12)
    advanced = first.advance(y)
    mean, sigma = advanced.predict(6)
    fwd_mean, fwd_sigma = first.forward(y, 6)
    np.testing.assert_allclose(mean, fwd_mean)
    np.testing.assert_allclose(sigma, fwd_sigma)
    assert advanced.n_obs_ == 60 and first.n_obs_ == 44     # the first fit is left as it was
    refit_mean, _ = DampedETS().fit(y, 12).predict(6)
    assert not np.allclose(mean, refit_mean)                  # not a refit in disguise


def test_advanced_combination_averages_its_members_run_forward():
    y = _series(60)
    members = [DampedETS().fit(y[:44], 12), SeasonalNaive().fit(y[:44], 12)]
    combined = Combination.of_fitted(members, y[:44]).advance(y)
    mean, _ = combined.predict(5)
    expected = np.mean([members[0].forward(y, 5)[0], y[-12:][:5]], axis=0)
    np.testing.assert_allclose(mean, expected)


def test_advance_needs_a_fit():
    with pytest.raises(RuntimeError, match="not fitted"):
        Arima().advance(_series(30))


def _final(reuse_fit_from, share=0.8):
    # horizon 6, 3 origins 2 apart: the first fit of the 60-period series sees 50 (83%)
    config = BacktestConfig(horizon=6, season_length=12, refit=False,
                            candidates=(SeasonalNaive(), DampedETS()),
                            reuse_fit_from=reuse_fit_from, reuse_fit_share=share)
    return run_forecast({"long": _series(60), "short": _series(40, seed=4)}, config)


def test_series_at_or_past_the_threshold_reuse_their_first_fit_and_shorter_ones_refit():
    reused = {r.key: r for r in _final(60)}
    refitted = {r.key: r for r in _final(None)}
    ets_first = DampedETS().fit(_series(60)[:60 - 6 - 2 * 2], 12)
    long = reused["long"].model
    members = long.members_ if isinstance(long, Combination) else [long]
    ets = next(m for m in members if m.name == "ets_damped")
    assert getattr(ets, "advanced_", False) and ets.n_obs_ == 60
    np.testing.assert_allclose(ets.predict(6)[0], ets_first.forward(_series(60), 6)[0])
    # below the threshold nothing changes: same model, same numbers as without reuse
    assert not any(getattr(m, "advanced_", False) for m in
                   getattr(reused["short"].model, "members_", [reused["short"].model]))
    np.testing.assert_array_equal(reused["short"].mean, refitted["short"].mean)
    # the backtest is the same either way: reuse only changes the final forecast
    assert reused["long"].backtest == refitted["long"].backtest
    again = {r.key: r for r in _final(60)}
    np.testing.assert_array_equal(again["long"].mean, reused["long"].mean)   # deterministic


def test_no_reuse_where_the_first_fit_saw_less_than_the_share():
    members = lambda r: getattr(r.model, "members_", [r.model])  # noqa: E731
    results = {r.key: r for r in _final(60, share=0.9)}
    assert not any(getattr(m, "advanced_", False) for m in members(results["long"]))
    np.testing.assert_array_equal(results["long"].mean,
                                  {r.key: r for r in _final(None)}["long"].mean)


def test_reuse_fit_from_is_checked():
    assert ForecastConfig().reuse_fit_from == 120 and ForecastConfig().reuse_fit_share == 0.9
    assert ForecastConfig(reuse_fit_from=None).reuse_fit_from is None
    with pytest.raises(pydantic.ValidationError, match="greater than or equal to 1"):
        ForecastConfig(reuse_fit_from=0)
    with pytest.raises(pydantic.ValidationError, match="less than or equal to 1"):
        ForecastConfig(reuse_fit_share=1.5)


def test_advanced_arima_refreshes_its_error_variance_as_a_refit_would():
    # statsforecast's ARIMA forward keeps the fit's sigma2; a growing series' later errors are
    # larger, so an unrefreshed advanced interval is too narrow
    y = _series(120)
    first = Arima().fit(y[:110], 12)
    kept = first.forward(y, 3)[1][0]
    advanced = first.advance(y).predict(3)[1][0]
    refit = Arima().fit(y, 12).predict(3)[1][0]
    assert abs(advanced / refit - 1) < abs(kept / refit - 1)
    assert abs(advanced / refit - 1) < 0.03

