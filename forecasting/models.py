"""Candidate forecasters: thin, sklearn-style wrappers over statsforecast and numpy.

Each forecaster is fitted on one series (``fit(y, season_length)`` returns ``self``) and
``predict(h)`` returns the mean path and the one-sigma width of its own prediction interval
per step (``sigma``). Grouping, backtests and parallelism live in ``forecasting.core``, not here.

Why statsforecast and not statsmodels: on a 36-month series statsforecast's ETS fits in
~7-20 ms and an airline ARIMA in ~6-18 ms, against ~1 s for an automatic ETS search in
statsmodels; the bench needs 4,000 fits of each model in under a minute on two cores.
"""
from __future__ import annotations

import copy
import warnings

import numpy as np

Z80 = 1.2815515655446004  # standard normal 90% quantile: the half-width of an 80% interval


class BaseForecaster:
    """Common fit/predict plumbing; subclasses implement ``_fit`` and ``_predict``."""

    name = "base"
    #: fewest observations the method needs to fit at all
    min_obs = 1

    def fit(self, y: np.ndarray, season_length: int) -> "BaseForecaster":
        y = np.asarray(y, dtype=float)
        if len(y) < self.min_obs:
            raise ValueError(f"{self.name} needs at least {self.min_obs} observations")
        self.season_length_ = int(season_length)
        self.n_obs_ = len(y)
        self.y_ = y  # several methods need the tail of the series at predict time
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self._fit(y, int(season_length))
        return self

    def predict(self, h: int) -> tuple[np.ndarray, np.ndarray]:
        if not hasattr(self, "y_"):
            raise RuntimeError(f"{type(self).__name__} is not fitted; call fit(y, season_length) first")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            mean, sigma = self._predict(int(h))
        mean = np.asarray(mean, dtype=float)
        sigma = np.asarray(sigma, dtype=float)
        if not (np.all(np.isfinite(mean)) and np.all(np.isfinite(sigma))):
            raise FloatingPointError(f"{self.name} produced a non-finite forecast")
        return mean, np.maximum(sigma, 0.0)

    def forward(self, y: np.ndarray, h: int) -> tuple[np.ndarray, np.ndarray]:
        """Forecast from the end of a longer ``y`` with the parameters already fitted.

        Backtests use it at later origins instead of refitting (statsforecast's
        ``refit=False``); methods without learned parameters simply refit.
        """
        return self.clone().fit(y, self.season_length_).predict(h)

    def advance(self, y: np.ndarray) -> "BaseForecaster":
        """A fitted copy that forecasts from the end of ``y`` (a longer history with the same
        start) with the parameters of this fit: the final forecast of a long series reuses its
        first backtest fit instead of estimating again. Methods without costly parameters
        (naive, window means, group season, Croston-type) simply refit on ``y``."""
        if not hasattr(self, "y_"):
            raise RuntimeError(f"{type(self).__name__} is not fitted; call fit(y, season_length) first")
        return self.clone().fit(y, self.season_length_)

    def on_log_scale(self) -> "BaseForecaster | None":
        """This method fitted to the log of the series (``LogScale``), or None where the log
        scale changes nothing worth the change (naive methods, group season, Croston-type)."""
        return None

    def clone(self) -> "BaseForecaster":
        """An unfitted copy with the same parameters."""
        fresh = copy.copy(self)
        for key in [k for k in vars(fresh) if k.endswith("_")]:
            delattr(fresh, key)
        return fresh

    def _fit(self, y: np.ndarray, m: int) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _predict(self, h: int) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover
        raise NotImplementedError


def _spread(y: np.ndarray) -> float:
    """A robust scale for methods without their own intervals (never zero)."""
    scale = float(np.std(y[-24:], ddof=1)) if len(y) > 2 else 0.0
    return scale if scale > 0 else max(float(np.mean(np.abs(y))), 1.0) * 0.1


class SeasonalNaive(BaseForecaster):
    """Each period repeats the same period one season ago: the baseline every model must beat."""

    name = "seasonal_naive"

    def _fit(self, y: np.ndarray, m: int) -> None:
        self.m_ = m if len(y) >= m else 1
        diffs = y[self.m_:] - y[:-self.m_]
        self.sigma1_ = float(np.sqrt(np.mean(diffs ** 2))) if len(diffs) else _spread(y)

    def _predict(self, h: int) -> tuple[np.ndarray, np.ndarray]:
        steps = np.arange(h)
        mean = self.y_[-self.m_:][steps % self.m_]
        sigma = self.sigma1_ * np.sqrt(steps // self.m_ + 1.0)
        return mean, sigma


class Naive(BaseForecaster):
    """The last value, carried forward: the fallback for very short histories."""

    name = "naive"

    def _fit(self, y: np.ndarray, m: int) -> None:
        diffs = np.diff(y)
        self.sigma1_ = float(np.sqrt(np.mean(diffs ** 2))) if len(diffs) else _spread(y)
        if self.sigma1_ == 0:
            self.sigma1_ = _spread(y)

    def _predict(self, h: int) -> tuple[np.ndarray, np.ndarray]:
        return np.full(h, self.y_[-1]), self.sigma1_ * np.sqrt(np.arange(1, h + 1))


class WindowMean(BaseForecaster):
    """Mean of the last season: a sensible level for sparse, noisy segments."""

    name = "window_mean"

    def _fit(self, y: np.ndarray, m: int) -> None:
        window = y[-max(m, 1):]
        self.level_ = float(np.mean(window))
        self.sigma1_ = _spread(y)

    def _predict(self, h: int) -> tuple[np.ndarray, np.ndarray]:
        return np.full(h, self.level_), np.full(h, self.sigma1_)


class _StatsForecastModel(BaseForecaster):
    """A statsforecast model; sigma recovered from its own 80% interval."""

    def _make(self, y: np.ndarray, m: int):  # pragma: no cover - abstract
        raise NotImplementedError

    def _fit(self, y: np.ndarray, m: int) -> None:
        self.model_ = self._make(y, m).fit(y=y)

    def _predict(self, h: int) -> tuple[np.ndarray, np.ndarray]:
        if getattr(self, "advanced_", False):  # parameters of a shorter fit, states over y_
            mean, sigma = self._unpack(self.model_.forward(y=self.y_, h=h, level=[80]))
            return mean, sigma * self.sigma_ratio_
        return self._unpack(self.model_.predict(h=h, level=[80]))

    def advance(self, y: np.ndarray) -> "BaseForecaster":
        """The estimated parameters kept, the states run over all of ``y`` at predict time
        (statsforecast's ``forward``: ~1-3 ms against 30-90 ms for a fit on 240 months)."""
        if not hasattr(self, "model_"):
            raise RuntimeError(f"{type(self).__name__} is not fitted; call fit(y, season_length) first")
        advanced = copy.copy(self)
        advanced.y_ = np.asarray(y, dtype=float)
        advanced.n_obs_ = len(advanced.y_)
        advanced.advanced_ = True
        advanced.sigma_ratio_ = self._sigma_ratio(advanced.y_) if self.refresh_sigma else 1.0
        return advanced

    #: ``forward`` keeps the fit's error variance instead of re-estimating it over the new data
    refresh_sigma = False

    def _sigma_ratio(self, y: np.ndarray) -> float:
        """Residual scale over all of ``y`` / over the fit's data, both from one-step in-sample
        errors of the same parameters: what re-estimating the error variance would change."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            rms = []
            for data in (y, self.y_):
                out = self.model_.forward(y=data, h=1, fitted=True)
                resid = data - np.asarray(out["fitted"], dtype=float)
                rms.append(float(np.sqrt(np.nanmean(resid ** 2))))
        ratio = rms[0] / rms[1] if rms[1] > 0 else 1.0
        return ratio if np.isfinite(ratio) and ratio > 0 else 1.0

    @staticmethod
    def _unpack(out: dict) -> tuple[np.ndarray, np.ndarray]:
        hi, lo = np.asarray(out["hi-80"], dtype=float), np.asarray(out["lo-80"], dtype=float)
        return np.asarray(out["mean"], dtype=float), (hi - lo) / (2 * Z80)

    def forward(self, y: np.ndarray, h: int) -> tuple[np.ndarray, np.ndarray]:
        if not hasattr(self, "model_"):
            raise RuntimeError(f"{type(self).__name__} is not fitted; call fit(y, season_length) first")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            mean, sigma = self._unpack(self.model_.forward(y=np.asarray(y, dtype=float), h=int(h),
                                                           level=[80]))
        if not (np.all(np.isfinite(mean)) and np.all(np.isfinite(sigma))):
            raise FloatingPointError(f"{self.name} produced a non-finite forecast")
        return mean, np.maximum(sigma, 0.0)


class DampedETS(_StatsForecastModel):
    """Exponential smoothing with a damped trend (statsforecast AutoETS, damped=True).

    ``spec`` is AutoETS's model string. The default 'AZA' forces an additive season: left to
    AICc ('AZZ'), 28-36 months rarely pay for twelve seasonal states and the non-seasonal
    model wins, which cost 10-50% in backtest MASE on seasonal bookings (sample, generated
    and bench series). Histories shorter than two seasons get no season ('AZN').
    ``damped``: True (a damped trend or none), False (undamped or none), None (AICc decides).
    """

    name = "ets_damped"
    min_obs = 4

    def __init__(self, spec: str = "AZA", damped: bool | None = True):
        self.spec = spec
        self.damped = damped

    def on_log_scale(self) -> "BaseForecaster | None":
        return LogScale(self)

    def _make(self, y: np.ndarray, m: int):
        from statsforecast.models import AutoETS

        if len(y) >= 2 * m + 2 and m > 1:
            return AutoETS(season_length=m, model=self.spec, damped=self.damped)
        return AutoETS(season_length=1, model=self.spec[:2] + "N", damped=self.damped)


class TrendETS(DampedETS):
    """Holt-Winters: exponential smoothing with an undamped additive trend and an additive
    season, ETS(A,A,A) (Holt's linear trend, ETS(A,A,N), on less than two seasons).

    Offered on long series only (``BacktestConfig.long_from_years``): the damped trend is the
    safer default where growth changes, but a business that has compounded for years keeps
    its trend, and damping it under-forecasts every month (``bench_forecast --long``'s 180
    regular 19-year series, each model alone on the log scale: held-out MASE 1.75 undamped,
    1.97 damped; statsforecast's AutoETS picks an undamped trend for 180 of the 200 series).
    The backtest and the combination decide between them.
    """

    name = "ets_trend"

    def __init__(self, spec: str = "AAA"):
        super().__init__(spec, damped=False)


class Arima(_StatsForecastModel):
    """ARIMA: the seasonal 'airline' model (0,1,1)(0,1,1)m by default, or AutoARIMA.

    ``order='auto'`` runs statsforecast's stepwise AutoARIMA (~0.3 s per fit on 36 months,
    too slow for 1,000 series x 4 fits in a minute); 'airline' is the classic fixed model for
    monthly business series and costs ~6-18 ms.
    """

    name = "arima"
    min_obs = 6
    # statsforecast's ARIMA forward keeps the fitted sigma2: on a growing series refitting on 8
    # more months widened the one-step sigma by ~5% and the advanced forecast's 80% interval
    # held 78% of held-out months instead of 80% until it was refreshed (``_sigma_ratio``)
    refresh_sigma = True

    def __init__(self, order: str = "airline", method: str = "CSS-ML"):
        self.order = order
        self.method = method

    def on_log_scale(self) -> "BaseForecaster | None":
        return LogScale(self)

    def _make(self, y: np.ndarray, m: int):
        from statsforecast.models import ARIMA, AutoARIMA

        seasonal = len(y) >= 2 * m + 2 and m > 1
        if self.order == "auto":
            return AutoARIMA(season_length=m if seasonal else 1, seasonal=seasonal)
        if seasonal:
            return ARIMA(order=(0, 1, 1), seasonal_order=(0, 1, 1), season_length=m,
                         method=self.method)
        return ARIMA(order=(0, 1, 1), include_drift=True, method=self.method)


class Theta(_StatsForecastModel):
    """The Theta method family (statsforecast AutoTheta: standard/optimised/dynamic)."""

    name = "theta"
    min_obs = 4

    def __init__(self, decomposition: str = "auto"):
        self.decomposition = decomposition

    def on_log_scale(self) -> "BaseForecaster | None":
        # on the log scale the season is additive (a log can be negative, too)
        return LogScale(Theta("additive"))

    def _fit(self, y: np.ndarray, m: int) -> None:
        super()._fit(y, m)
        # statsforecast (2.1) adds the seasonal component back into the residuals of a model
        # fitted to the additively deseasonalised series, and its interval is drawn from their
        # spread: the season's swing counted as noise (an 80% interval ~7 times too wide on a
        # seasonal log series). The residuals are the deseasonalised ones again, as for the
        # multiplicative decomposition; the forecast itself does not change.
        fitted = self.model_.model_
        if fitted.get("decompose") and fitted.get("decomposition_type") == "additive":
            from statsmodels.tsa.seasonal import seasonal_decompose

            season = seasonal_decompose(y, model="additive", period=fitted["m"]).seasonal
            fitted["residuals"] = np.asarray(fitted["residuals"]) - season

    def _make(self, y: np.ndarray, m: int):
        from statsforecast.models import AutoTheta

        season = m if len(y) >= 2 * m + 2 else 1
        decomposition = self.decomposition
        if decomposition == "auto":  # multiplicative decomposition needs positive values
            decomposition = "multiplicative" if np.all(y > 0) else "additive"
        return AutoTheta(season_length=season, decomposition_type=decomposition)


class GroupSeasonal(BaseForecaster):
    """The series' level over its last season times the season of a reference series.

    Group seasonal indices (Withycombe 1989; Chen & Boylan 2007): the segments of one business
    share its year (the year-end push, the summer dip), and their sum shows that season with
    far less noise than any one segment. A segment with little data, or a short backtest
    window, gets a seasonal forecast from one season of history where a seasonal ETS or ARIMA
    needs two. ``reference`` is aligned with the series: ``reference[t]`` is the group's value
    in the series' period ``t`` (it may run past the series; only ``reference[:len(y)]`` is
    read, so a backtest fold sees no later data). Needs a positive reference over the season.
    """

    name = "group_seasonal"
    min_obs = 2

    def __init__(self, reference: np.ndarray):
        self.reference = np.asarray(reference, dtype=float)

    def _fit(self, y: np.ndarray, m: int) -> None:
        if m <= 1 or len(y) < m:
            raise ValueError(f"{self.name} needs a season (m > 1) and at least {m} observations")
        if len(self.reference) < len(y):
            raise ValueError(f"{self.name}: the reference is shorter than the series")
        season = self.reference[len(y) - m:len(y)]
        if not np.all(season > 0):
            raise ValueError(f"{self.name} needs a positive reference over the last season")
        self.m_ = m
        self.index_ = season / season.mean()
        self.level_ = float(y[-m:].mean())
        resid = y[-m:] - self.level_ * self.index_
        self.sigma1_ = float(np.sqrt(np.mean(resid ** 2))) or _spread(y)

    def _predict(self, h: int) -> tuple[np.ndarray, np.ndarray]:
        steps = np.arange(h)
        mean = self.level_ * self.index_[steps % self.m_]
        return mean, self.sigma1_ * np.sqrt(steps // self.m_ + 1.0)


class LogScale(BaseForecaster):
    """A candidate fitted to the logarithm of the series, its forecast returned in bookings.

    Where bookings grow by a share a year and the season and the noise scale with the level
    (a business that doubles sees its December peak double too), the log of the series has
    an additive trend, season and noise: the additive models (ETS with an additive season,
    the airline ARIMA, Theta) then fit the structure they assume. The forecast is
    ``exp`` of the log forecast, the median bookings (the value that minimises the absolute
    error MASE counts, and the forecast's p50); ``sigma`` is half the width of the 80%
    interval ``exp(mu +- z sigma_log)``, divided by z, so that the symmetric interval around
    the median is as wide as the model's own (the calibration then fits its width to the
    backtest errors). Needs positive values: a zero or a negative booking is a fit failure.
    The name is the wrapped model's: the method is the same, on another scale.
    """

    def __init__(self, model: BaseForecaster):
        self.model = model

    @property
    def name(self) -> str:  # type: ignore[override]
        return self.model.name

    @property
    def min_obs(self) -> int:  # type: ignore[override]
        return self.model.min_obs

    @staticmethod
    def _log(y: np.ndarray) -> np.ndarray:
        y = np.asarray(y, dtype=float)
        if not np.all(y > 0):
            raise ValueError("log scale needs positive bookings in every period")
        return np.log(y)

    @staticmethod
    def _back(path: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        mu, sigma = path
        with np.errstate(over="raise"):
            mean = np.exp(mu)
            sigma = mean * np.sinh(Z80 * np.asarray(sigma, dtype=float)) / Z80
        return mean, sigma

    def _fit(self, y: np.ndarray, m: int) -> None:
        self.model_ = self.model.clone().fit(self._log(y), m)

    def _predict(self, h: int) -> tuple[np.ndarray, np.ndarray]:
        return self._back(self.model_.predict(h))

    def forward(self, y: np.ndarray, h: int) -> tuple[np.ndarray, np.ndarray]:
        if not hasattr(self, "model_"):
            raise RuntimeError("LogScale is not fitted; call fit(y, season_length) first")
        mean, sigma = self._back(self.model_.forward(self._log(y), h))
        if not (np.all(np.isfinite(mean)) and np.all(np.isfinite(sigma))):
            raise FloatingPointError(f"{self.name} produced a non-finite forecast")
        return mean, np.maximum(sigma, 0.0)

    def advance(self, y: np.ndarray) -> "BaseForecaster":
        if not hasattr(self, "model_"):
            raise RuntimeError("LogScale is not fitted; call fit(y, season_length) first")
        advanced = copy.copy(self)
        advanced.model_ = self.model_.advance(self._log(y))
        advanced.y_ = np.asarray(y, dtype=float)
        advanced.n_obs_ = len(advanced.y_)
        return advanced


class _Intermittent(BaseForecaster):
    """Croston-type methods: demand size and interval smoothed separately, flat forecast."""

    min_obs = 2

    def _make(self):  # pragma: no cover - abstract
        raise NotImplementedError

    def _fit(self, y: np.ndarray, m: int) -> None:
        clipped = np.maximum(y, 0.0)  # never learn negative demand
        self.model_ = self._make().fit(y=clipped)
        self.sigma1_ = _spread(clipped)

    def _predict(self, h: int) -> tuple[np.ndarray, np.ndarray]:
        mean = np.maximum(self.model_.predict(h=h)["mean"], 0.0)
        return mean, np.full(h, self.sigma1_)


class Croston(_Intermittent):
    name = "croston"

    def _make(self):
        from statsforecast.models import CrostonOptimized

        return CrostonOptimized()


class CrostonSBA(_Intermittent):
    """Syntetos-Boylan approximation: Croston with its known upward bias removed."""

    name = "croston_sba"

    def _make(self):
        from statsforecast.models import CrostonSBA as SBA

        return SBA()


class TSB(_Intermittent):
    """Teunter-Syntetos-Babai: smooths the probability of demand, so it decays after a stop."""

    name = "tsb"

    def __init__(self, alpha_d: float = 0.1, alpha_p: float = 0.1):
        self.alpha_d = alpha_d
        self.alpha_p = alpha_p

    def _make(self):
        from statsforecast.models import TSB as _TSB

        return _TSB(alpha_d=self.alpha_d, alpha_p=self.alpha_p)


class Combination(BaseForecaster):
    """Equal-weight mean of fitted member forecasts (sigma: the members' mean sigma)."""

    name = "combination"

    def __init__(self, members: list[BaseForecaster]):
        self.members = members

    def _fit(self, y: np.ndarray, m: int) -> None:
        self.members_ = [member.clone().fit(y, m) for member in self.members]

    @classmethod
    def of_fitted(cls, members: list[BaseForecaster], y: np.ndarray) -> "Combination":
        """A fitted combination of members already fitted (and advanced) to ``y``."""
        combined = cls([member.clone() for member in members])
        combined.members_ = list(members)
        combined.season_length_ = members[0].season_length_
        combined.y_ = np.asarray(y, dtype=float)
        combined.n_obs_ = len(combined.y_)
        return combined

    def advance(self, y: np.ndarray) -> "BaseForecaster":
        if not hasattr(self, "members_"):
            raise RuntimeError("Combination is not fitted; call fit(y, season_length) first")
        return Combination.of_fitted([member.advance(y) for member in self.members_], y)

    def _predict(self, h: int) -> tuple[np.ndarray, np.ndarray]:
        paths = [member.predict(h) for member in self.members_]
        return (np.mean([p[0] for p in paths], axis=0), np.mean([p[1] for p in paths], axis=0))


def default_candidates(arima: str = "airline", ets: str = "AZA",
                       trend: bool = False) -> list[BaseForecaster]:
    """The regular candidate set (seasonal naive first: the baseline and the fallback);
    ``trend``: with the undamped trend (``TrendETS``), for long series."""
    ets_models: list[BaseForecaster] = [DampedETS(ets)] + ([TrendETS()] if trend else [])
    return [SeasonalNaive(), *ets_models, Arima(arima), Theta()]


def intermittent_candidates() -> list[BaseForecaster]:
    """Candidates for sparse segments: all forecast non-negative bookings."""
    return [Croston(), CrostonSBA(), TSB(), WindowMean()]
