"""Orchestration tested apart from the statistics, with toy models."""
import numpy as np
import pandas as pd
import pytest

from forecasting import forecast_bookings
from forecasting.core import BacktestConfig, parallel_map, run_backtest_unit, run_forecast
from forecasting.intervals import raw_factor, shrink_to_pool, shrunk_factor
from forecasting.models import BaseForecaster


class Constant(BaseForecaster):
    """Forecasts a fixed value with a fixed sigma: predictable errors."""

    def __init__(self, value: float, name: str, sigma: float = 1.0):
        self.value, self.name, self.sigma = value, name, sigma

    def _fit(self, y, m):
        pass

    def _predict(self, h):
        return np.full(h, self.value), np.full(h, self.sigma)


class LastValue(BaseForecaster):
    name = "last"

    def _fit(self, y, m):
        self.last_ = y[-1]

    def _predict(self, h):
        return np.full(h, self.last_), np.full(h, 1.0)


class Broken(BaseForecaster):
    """Fails to fit any window, as a model does on data it cannot handle."""

    name = "broken"

    def __init__(self, error: BaseException = ValueError("cannot fit")):
        self.error = error

    def _fit(self, y, m):
        raise self.error


class FailsOn(BaseForecaster):
    """The last value, but fails (a numerical error) on training windows of the given lengths."""

    name = "fails_on"

    def __init__(self, lengths, error: BaseException = FloatingPointError("overflow in fit")):
        self.lengths, self.error = tuple(lengths), error

    def _fit(self, y, m):
        if len(y) in self.lengths:
            raise self.error
        self.last_ = y[-1]

    def _predict(self, h):
        return np.full(h, self.last_), np.full(h, 1.0)


class ForwardFails(LastValue):
    """Fits at the first origin, then fails running forward to the last one."""

    name = "forward_fails"

    def forward(self, y, h):
        if len(y) == 27:
            raise ZeroDivisionError("float division by zero")
        return super().forward(y, h)


def _config(**kw):
    base = dict(horizon=3, season_length=4, n_origins=3, levels=(80.0,), combine_top=2,
                candidates=(Constant(10.0, "ten"), Constant(0.0, "zero"), LastValue(), Broken()))
    base.update(kw)
    return BacktestConfig(**base)


def test_selection_picks_the_model_with_lowest_backtest_error():
    y = np.full(30, 10.0) + np.tile([0.5, -0.5], 15)
    [res] = run_forecast({"a": y}, _config())
    assert res.method == "ten"
    assert np.allclose(res.mean, 10.0)
    assert res.profile.origins == [25, 26, 27]  # n - h - k * step, step = h // n_origins = 1
    # every fitted candidate appears in the backtest rows, the broken one never
    models = {row["model"] for row in res.backtest}
    assert models == {"ten", "zero", "last", "selected"}
    assert res.candidate_mase["ten"] < res.candidate_mase["zero"]
    assert "broken" not in res.candidate_mase
    # ...but its failures are recorded, one per fold (BacktestConfig refits at every origin)
    assert res.failures == [("broken", o, "ValueError: cannot fit") for o in (25, 26, 27)]


def test_combination_wins_when_two_models_err_in_opposite_directions():
    y = np.full(30, 10.0)
    cands = (Constant(8.0, "low"), Constant(12.0, "high"), Constant(30.0, "far"))
    [res] = run_forecast({"a": y}, _config(candidates=cands))
    assert res.method == "combination(low+high)"
    assert np.allclose(res.mean, 10.0)


def test_intervals_are_calibrated_to_backtest_errors():
    # the model claims sigma 1 but is always off by 5: the interval must widen past 5
    y = np.full(40, 15.0)
    [res] = run_forecast({"a": y}, _config(candidates=(Constant(10.0, "ten", sigma=1.0),)))
    lo, hi = res.bounds[80.0]
    assert res.factors[80.0] > 3.0
    assert np.all(hi - res.mean > 4.0)


def test_short_history_falls_back_and_says_so():
    [res] = run_forecast({"new": np.arange(1.0, 9.0)}, _config())
    assert res.profile.origins == []
    assert res.method == "seasonal_naive"
    assert "too short for a backtest" in res.profile.notes[0]
    assert "used seasonal_naive" in res.profile.notes[0]


def test_parallel_equals_sequential():
    rng = np.random.default_rng(3)
    series = {f"s{i}": 50 + rng.normal(0, 5, 30).cumsum() for i in range(5)}
    units = [(i, y, 20, (LastValue(),), 3, 4) for i, y in enumerate(series.values())]
    seq = parallel_map(run_backtest_unit, units, 1)
    par = parallel_map(run_backtest_unit, units, 2)
    for a, b in zip(seq, par):
        assert a[0] == b[0] and a[1] == b[1]
        assert np.array_equal(a[2]["last"][0], b[2]["last"][0])
    r1 = run_forecast(series, _config(), n_jobs=1)
    r2 = run_forecast(series, _config(), n_jobs=2, backend="loky")
    for a, b in zip(r1, r2):
        assert a.method == b.method and np.array_equal(a.mean, b.mean)
        assert np.array_equal(a.bounds[80.0][1], b.bounds[80.0][1])


def test_forward_backtest_equals_refit_for_models_without_parameters():
    # LastValue learns nothing, so running forward and refitting at every origin must agree;
    # the two paths fan out differently (series units vs fold units)
    rng = np.random.default_rng(5)
    series = {f"s{i}": 50 + rng.normal(0, 5, 30).cumsum() for i in range(4)}
    cands = (LastValue(), Constant(50.0, "fifty", sigma=3.0))
    fwd = run_forecast(series, _config(candidates=cands, refit=False), n_jobs=2, backend="loky")
    ref = run_forecast(series, _config(candidates=cands, refit=True), n_jobs=2, backend="loky")
    for a, b in zip(fwd, ref):
        assert a.method == b.method and a.candidate_mase == b.candidate_mase
        assert np.array_equal(a.bounds[80.0][0], b.bounds[80.0][0])
        assert [r["forecast"] for r in a.backtest] == [r["forecast"] for r in b.backtest]


def test_shrinking_to_a_precomputed_pool_factor_is_the_same():
    rng = np.random.default_rng(1)
    own, pool = np.abs(rng.normal(0, 2, 9)), np.abs(rng.normal(0, 1, 500))
    for level in (80.0, 95.0):
        assert shrink_to_pool(own, raw_factor(pool, level), level) == \
            shrunk_factor(own, pool, level)
    assert shrink_to_pool(np.array([]), float("nan"), 80.0) == 1.0  # no data: own width


def test_not_fitted_model_raises():
    with pytest.raises(RuntimeError, match="not fitted"):
        LastValue().predict(3)


@pytest.mark.parametrize("error", [
    ValueError("alpha problem!"), np.linalg.LinAlgError("Singular matrix"),
    FloatingPointError("non-finite forecast"), ZeroDivisionError("division by zero"),
    NotImplementedError("tiny datasets"), Exception("no model able to be fitted"),
])
@pytest.mark.parametrize("refit", [False, True])
def test_numerical_failures_are_recorded_per_fold(error, refit):
    y = np.full(30, 10.0) + np.tile([0.5, -0.5], 15)
    [res] = run_forecast({"a": y}, _config(candidates=(Constant(10.0, "ten"), Broken(error)),
                                           refit=refit))
    assert res.method == "ten"
    text = f"{type(error).__name__}: {error}"
    # refit: every origin fits anew and fails; forward: the first fit fails, once for all folds
    expected = [("broken", o, text) for o in ([25, 26, 27] if refit else [25])]
    assert res.failures == expected


@pytest.mark.parametrize("error", [
    TypeError("unsupported operand"), AttributeError("no attribute 'coef_'"),
    NameError("name 'alpha' is not defined"), AssertionError("shapes differ"),
    KeyError("level"), IndexError("index 12 is out of bounds"),
])
@pytest.mark.parametrize("refit", [False, True])
def test_programming_errors_propagate(error, refit):
    y = np.full(30, 10.0)
    with pytest.raises(type(error)):
        run_forecast({"a": y}, _config(candidates=(Constant(10.0, "ten"), Broken(error)),
                                       refit=refit))


def test_a_failure_running_forward_is_recorded_at_its_origin():
    y = np.full(30, 10.0) + np.tile([0.5, -0.5], 15)
    [res] = run_forecast({"a": y}, _config(candidates=(LastValue(), ForwardFails()), refit=False))
    assert res.failures == [("forward_fails", 27, "ZeroDivisionError: float division by zero")]
    assert {row["origin"] for row in res.backtest if row["model"] == "forward_fails"} == {25, 26}


def test_failures_reach_the_result_notes_and_metrics():
    months = pd.period_range("2022-01", periods=30, freq="M")
    hist = pd.DataFrame({"segment": "A", "period": months.astype(str),
                         "bookings": 10.0 + np.tile([0.5, -0.5], 15)})
    # fails on the last two folds' training windows (26, 27 months) and on the whole history
    flaky = FailsOn(lengths=(26, 27, 30))
    res = forecast_bookings(hist, horizon=3, candidates=[Constant(10.0, "ten"), flaky], refit=True)
    failed = res.metrics.failed_candidates
    assert [(f.series, f.model, f.origin, f.error) for f in failed] == [
        ("A", "fails_on", "2024-02-01", "FloatingPointError: overflow in fit"),
        ("A", "fails_on", "2024-03-01", "FloatingPointError: overflow in fit"),
    ]
    assert res.metrics.metrics()["failed_candidates"] == 2.0
    assert res.metrics.to_dict()["failed_candidates"][0] == {
        "series": "A", "model": "fails_on", "origin": "2024-02-01",
        "error": "FloatingPointError: overflow in fit"}
    assert ("A: candidate fails_on failed to fit in 2 of 3 backtest fold(s) (FloatingPointError: "
            "overflow in fit); it was left out there.") in res.notes


def test_a_chosen_method_that_fails_on_the_whole_history_is_recorded():
    y = np.full(30, 10.0)
    # the best in the backtest, but it cannot fit the whole series: seasonal naive stands in
    [res] = run_forecast({"a": y}, _config(candidates=(Constant(0.0, "zero"),
                                                       FailsOn(lengths=(30,)))))
    assert res.method == "seasonal_naive"
    assert res.failures == [("fails_on", None, "FloatingPointError: overflow in fit")]
    assert res.profile.notes[-1] == ("a: fails_on failed on the full history (FloatingPointError: "
                                     "overflow in fit); used seasonal_naive.")
