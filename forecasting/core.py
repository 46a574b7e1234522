"""The one place where series are grouped, backtested and fanned out (like Nixtla's core.py).

Work units are whole series (backtest, selection and final fit in one task, so the workers
do all per-series work and there is one hand-over); with ``refit=True`` the backtest folds
first fan out as (series, origin) units. Units are batched and run through joblib, so the
same code runs in-process, on local worker processes (loky) or on a Dask cluster. Every unit
is deterministic, so the numbers do not depend on the backend or the batching.

Per series:
1. profile: regular or intermittent, seasonal or not, backtest origins or too short, long
   (``long_from_years`` of history: an undamped trend joins the candidates, and where the
   spread grows with the level they are fitted to the log of the series);
2. backtest: every candidate fitted at the first origin and run forward, or refitted at
   every origin (parallel);
3. selection: the combination of the candidates within 25% (75% on a long series) of the
   lowest backtest MASE, or the best alone (see ``selection.choose``); the backtest rows reported as "selected" are chosen honestly, from
   the other origins only (leave-one-origin-out), and their intervals are calibrated the
   same way, so the reported coverage is not fitted to itself;
4. final fit of the chosen method on the whole series (parallel); a series of at least
   ``reuse_fit_from`` periods, whose first origin saw ``reuse_fit_share`` of it, keeps the parameters of its first-origin backtest fit and only
   runs them forward over the whole history (``advance_final``);
5. interval calibration, pooled over all series (central, cheap).
"""
from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np

from forecasting import intervals, metrics, selection
from forecasting.models import (BaseForecaster, Combination, GroupSeasonal, Naive, SeasonalNaive,
                                WindowMean, default_candidates, intermittent_candidates)
from forecasting.selection import Method, Path

# A candidate that raises one of these on a window of data has failed to fit it: it drops out
# there and the failure is recorded (``SeriesResult.failures``). A bug raises something else
# and must propagate, whatever the library: never swallow these.
PROGRAMMING_ERRORS = (TypeError, AttributeError, NameError, AssertionError, KeyError, IndexError)
FIT_ERRORS = (ValueError, ArithmeticError, NotImplementedError)  # LinAlgError is a ValueError

Failure = tuple[str, int | None, str]   # (model, training length of the fold | None = final fit, error)


def is_fit_failure(err: BaseException) -> bool:
    """A numerical or fit failure (recorded, the candidate drops out) rather than a bug (raised).

    ValueError (LinAlgError too), FloatingPointError, ZeroDivisionError and other arithmetic
    errors, NotImplementedError (statsforecast's "tiny datasets"), statsforecast's bare
    ``Exception("no model able to be fitted")`` and statsmodels' own exceptions are failures.
    """
    if isinstance(err, PROGRAMMING_ERRORS):
        return False
    if isinstance(err, FIT_ERRORS):
        return True
    return type(err) is Exception or type(err).__module__.startswith("statsmodels.")


def error_text(err: BaseException) -> str:
    text = str(err).strip().splitlines()[0] if str(err).strip() else ""
    return f"{type(err).__name__}: {text}" if text else type(err).__name__


INTERMITTENT_ZERO_SHARE = 0.3   # at least 30% periods without bookings
INTERMITTENT_ADI = 1.32         # Syntetos-Boylan cut-off on the average demand interval


@dataclass(frozen=True)
class BacktestConfig:
    horizon: int
    season_length: int
    n_origins: int = 3
    step: int | None = None          # periods between origins; default max(1, horizon // n_origins)
    levels: tuple[float, ...] = (80.0,)
    combine_top: int = 4
    combine_tolerance: float = 0.25   # combine candidates within 25% of the best MASE
    non_negative: bool = True
    candidates: tuple[BaseForecaster, ...] | None = None
    intermittent: tuple[BaseForecaster, ...] | None = None
    # refit=True: every candidate is re-estimated at every origin and folds fan out as separate
    # work units; False: estimated at the first origin and run forward over the later ones
    # (statsforecast's refit=False), ~40% less work. The final fit always uses all the data.
    refit: bool = True
    # series of at least this many periods (refit=False only) keep the parameters fitted at the
    # first backtest origin for the final forecast, run forward over the whole history; None:
    # the final forecast always re-estimates (see ``advance_final``)
    reuse_fit_from: int | None = None
    # ... and only where the first origin saw at least this share of the series: on Tourism
    # (horizon 24, the first fit 40 months short of ~300) reusing cost 0.8% MASE
    reuse_fit_share: float = 0.9
    # a series of at least this many full seasons (years) is long (``SeriesProfile.long``):
    # its default candidates are fitted to log(y) where its spread grows with its level, an
    # undamped trend (ETS(A,A,A)) joins them, and candidates within ``long_combine_tolerance``
    # of the best are combined; None: no series is long (the behaviour before issue #21;
    # ``ForecastConfig`` sets 5). Why (bench_forecast --long, 200 series of 19 years, held-out
    # MASE; Tourism monthly, 366 series, official 24-month test): the log scale 2.115 -> 1.909
    # (Tourism 1.427 -> 1.448), with the trend and the wider combination 1.860 (Tourism 1.422;
    # AutoETS 1.912 and 1.531). On long series the candidates are all full seasonal models
    # whose backtest MASEs differ less than their noise over three folds; combining more of
    # them is safer than trusting the ranking (Tourism, raw candidates: 1.428 at 25%, 1.409 at
    # 75%). Short series keep 25%: there the candidates differ in kind (the backtest windows
    # of a 36-month history are too short for a seasonal ETS, ARIMA or Theta), and 50% or
    # 75% lost sample cases to seasonal naive (tests/forecasting/test_quality.py).
    long_from_years: int | None = None
    long_combine_tolerance: float = 0.75

    @property
    def step_(self) -> int:
        return self.step or max(1, self.horizon // self.n_origins)

    @property
    def min_train(self) -> int:
        """Shortest training window worth a backtest: one season plus a few points."""
        return self.season_length + 4


@dataclass
class SeriesProfile:
    key: str
    n_obs: int
    kind: str                         # "regular" | "intermittent"
    seasonal: bool
    origins: list[int]                # training lengths of the backtest folds
    notes: list[str] = field(default_factory=list)
    long: bool = False                # at least ``long_from_years`` full seasons
    log_scale: bool = False           # long, positive and its spread grows with its level


@dataclass
class SeriesResult:
    key: str
    profile: SeriesProfile
    method: str
    mean: np.ndarray
    sigma: np.ndarray
    factors: dict[float, float]
    bounds: dict[float, tuple[np.ndarray, np.ndarray]]
    model: BaseForecaster
    backtest: list[dict[str, Any]]            # long rows: origin, step, actual, forecast, model, ...
    candidate_mase: dict[str, float]
    selected_errors: np.ndarray | None        # honest backtest errors (folds x horizon), for MinT
    failures: list[Failure] = field(default_factory=list)   # candidates that failed to fit


# -- profiling ---------------------------------------------------------------------------------

def is_seasonal(y: np.ndarray, m: int) -> bool:
    """Autocorrelation test at the seasonal lag on the linearly detrended series (90% one-sided)."""
    n = len(y)
    if m <= 1 or n < 2 * m + 2:
        return False
    t = np.arange(n)
    resid = y - np.polyval(np.polyfit(t, y, 1), t)
    resid = resid - resid.mean()
    denom = float(np.sum(resid ** 2))
    if denom == 0:
        return False
    acf = np.array([np.sum(resid[k:] * resid[:-k]) / denom for k in range(1, m + 1)])
    limit = 1.645 * np.sqrt((1 + 2 * np.sum(acf[:-1] ** 2)) / n)
    return bool(acf[-1] > limit)


def spread_grows_with_level(y: np.ndarray, m: int, min_seasons: int = 5) -> bool:
    """Whether the series' spread grows in proportion to its level, so that its log has a
    steady spread (the log scale suits it) rather than the series itself.

    Guerrero's (1993) criterion, the usual way to choose a Box-Cox transform: the lambda in
    [0 (log), 1 (none)] whose seasons' ratios sd / mean ** (1 - lambda) vary least
    (coreforecast's ``boxcox_lambda``, which statsforecast brings); the log scale when that
    lambda is nearer 0 than 1. Needs positive values and ``min_seasons`` whole seasons: the
    variation of fewer ratios tells little.
    """
    m = max(int(m), 2)
    if len(y) // m < max(min_seasons, 3) or not np.all(y > 0):
        return False
    from coreforecast.scalers import boxcox_lambda  # imported by the few series that need it

    return boxcox_lambda(np.asarray(y, dtype=np.float64), "guerrero", season_length=m,
                         lower=0.0, upper=1.0) < 0.5


def is_intermittent(y: np.ndarray) -> bool:
    nonzero = int(np.count_nonzero(y))
    if nonzero == 0:
        return True
    zero_share = 1 - nonzero / len(y)
    return zero_share >= INTERMITTENT_ZERO_SHARE or len(y) / nonzero > INTERMITTENT_ADI


def profile_series(key: str, y: np.ndarray, config: BacktestConfig) -> SeriesProfile:
    n = len(y)
    h, k, step = config.horizon, config.n_origins, config.step_
    origins = [n - h - i * step for i in range(k - 1, -1, -1)]
    origins = [o for o in origins if o >= config.min_train]
    kind = "intermittent" if is_intermittent(y) else "regular"
    m, years = config.season_length, config.long_from_years
    long = years is not None and m > 1 and n >= years * m
    profile = SeriesProfile(key=key, n_obs=n, kind=kind, seasonal=is_seasonal(y, m),
                            origins=origins, long=long,
                            log_scale=(long and kind == "regular"
                                       and spread_grows_with_level(y, m, years or 0)))
    if not origins:
        profile.notes.append(
            f"{key}: {n} periods of history is too short for a backtest (needs at least "
            f"{config.min_train + h}); used {fallback_model(y, config).name} without model "
            "selection, with its own uncalibrated interval.")
    elif len(origins) < k:
        profile.notes.append(f"{key}: history allows only {len(origins)} of {k} backtest origins.")
    return profile


def fallback_model(y: np.ndarray, config: BacktestConfig) -> BaseForecaster:
    if len(y) >= config.season_length and config.season_length > 1:
        return SeasonalNaive()
    return Naive() if len(y) >= 2 else WindowMean()


def candidates_for(profile: SeriesProfile, config: BacktestConfig,
                   reference: np.ndarray | None = None) -> tuple[BaseForecaster, ...]:
    """The candidates a series is backtested with. ``reference``: the group the series belongs
    to (the company's bookings, aligned with the series), which adds ``GroupSeasonal`` to the
    default regular candidates. A long series also gets an undamped trend (``TrendETS``),
    and where its spread grows with its level the models with an additive structure are
    fitted to its log (``LogScale``). Candidates given in the config are used as they are."""
    if profile.kind == "intermittent":
        return tuple(config.intermittent or intermittent_candidates())
    if config.candidates:
        return tuple(config.candidates)
    group = [GroupSeasonal(reference)] if reference is not None and config.season_length > 1 else []
    regular = default_candidates(trend=profile.long)
    if profile.log_scale:
        regular = [model.on_log_scale() or model for model in regular]
    return tuple(regular) + tuple(group)


# -- work units (run in workers) ----------------------------------------------------------------

def _fit_predict(model: BaseForecaster, y: np.ndarray, h: int, m: int,
                 failures: list[Failure]) -> Path | None:
    try:
        return model.clone().fit(y, m).predict(h)
    except Exception as err:  # noqa: BLE001 - sorted: a bug is raised again
        if not is_fit_failure(err):
            raise
        failures.append((model.name, len(y), error_text(err)))
        return None


def run_backtest_unit(unit: tuple[int, np.ndarray, int, tuple[BaseForecaster, ...], int, int]):
    """Fit every candidate on y[:origin] and forecast h steps:
    (index, origin, {name: (mean, sigma) | None}, failures)."""
    index, y, origin, models, h, m = unit
    failures: list[Failure] = []
    paths = {model.name: _fit_predict(model, y[:origin], h, m, failures) for model in models}
    return index, origin, paths, failures


def forward_backtest(y: np.ndarray, origins: list[int], models: Sequence[BaseForecaster], h: int,
                     m: int, keep: dict[str, BaseForecaster] | None = None,
                     ) -> tuple[list[dict[str, Path | None]], list[Failure]]:
    """All origins of one series: fit at the first, run forward at the others. A candidate that
    cannot be fitted at the first origin drops out of every fold. ``keep``, if given, receives
    every candidate fitted at the first origin (name -> fitted model)."""
    out: list[dict[str, Path | None]] = [{} for _ in origins]
    failures: list[Failure] = []
    for model in models:
        try:
            fitted = model.clone().fit(y[:origins[0]], m)
            out[0][model.name] = fitted.predict(h)
            if keep is not None:
                keep[model.name] = fitted
        except Exception as err:  # noqa: BLE001 - sorted: a bug is raised again
            if not is_fit_failure(err):
                raise
            failures.append((model.name, origins[0], error_text(err)))
            for fold in out:
                fold[model.name] = None
            continue
        for j, origin in enumerate(origins[1:], start=1):
            try:
                out[j][model.name] = fitted.forward(y[:origin], h)
            except Exception as err:  # noqa: BLE001 - sorted: a bug is raised again
                if not is_fit_failure(err):
                    raise
                failures.append((model.name, origin, error_text(err)))
                out[j][model.name] = None
    return out, failures


def fit_final(y: np.ndarray, model: BaseForecaster, fallback: BaseForecaster, h: int,
              m: int, failures: list[Failure] | None = None) -> tuple[BaseForecaster, Path]:
    """Fit the chosen method on the whole series; fall back if it fails on the full window
    (the failure is appended to ``failures``)."""
    errors = []
    for candidate in (model, fallback):
        try:
            fitted = candidate.clone().fit(y, m)
            return fitted, fitted.predict(h)
        except Exception as err:  # noqa: BLE001 - sorted: a bug is raised again
            if not is_fit_failure(err):
                raise
            errors.append(error_text(err))
            if failures is not None:
                failures.append((candidate.name, None, error_text(err)))
    raise RuntimeError(f"neither {model.name} ({errors[0]}) nor {fallback.name} ({errors[-1]}) "
                       "could be fitted on the whole history")


def advance_final(y: np.ndarray, method: Method, first_fits: dict[str, BaseForecaster],
                  h: int) -> tuple[BaseForecaster, Path] | None:
    """The chosen method with the parameters of its first-origin backtest fit, run forward over
    the whole series; None when a member has no first fit or its forecast is not finite (the
    caller then re-estimates). On a long series the first origin already holds ~90% of the
    history, so re-estimating moves the parameters little and costs as much as the backtest."""
    names = [method] if isinstance(method, str) else list(method[1])
    if any(name not in first_fits for name in names):
        return None
    try:
        members = [first_fits[name].advance(y) for name in names]
        fitted = members[0] if isinstance(method, str) else Combination.of_fitted(members, y)
        return fitted, fitted.predict(h)
    except Exception as err:  # noqa: BLE001 - sorted: a bug is raised again
        if not is_fit_failure(err):
            raise
        return None


@dataclass
class SeriesWork:
    """What a worker returns for one series: everything but the pooled interval calibration."""

    folds: list[dict[str, Path | None]]   # per origin: candidate name -> (mean, sigma) | None
    chosen: Method
    honest: list[tuple[Method, Path]]     # per origin: method chosen from the other origins
    abs_z: list[np.ndarray]               # per origin: |actual - forecast| / sigma of ``honest``
    candidate_mase: dict[str, float]
    fitted: BaseForecaster
    mean: np.ndarray
    sigma: np.ndarray
    failures: list[Failure] = field(default_factory=list)


def select_series(y: np.ndarray, profile: SeriesProfile, cands: Sequence[BaseForecaster],
                  folds: list[dict[str, Path | None]], config: BacktestConfig):
    """Chosen method, honest per-fold methods and paths, their |z| and each candidate's MASE."""
    names = [c.name for c in cands]
    if not profile.origins:
        return fallback_model(y, config).name, [], [], {}
    h, m = config.horizon, config.season_length
    actuals = [y[o:o + h] for o in profile.origins]
    scales = [metrics.seasonal_scale(y[:o], m) for o in profile.origins]
    tolerance = config.long_combine_tolerance if profile.long else config.combine_tolerance
    chosen = selection.choose(names, folds, actuals, scales, range(len(profile.origins)),
                              config.combine_top, tolerance)
    honest = []
    for j, method in enumerate(selection.honest_methods(names, folds, actuals, scales,
                                                        config.combine_top, tolerance)):
        path = selection.method_path(method, folds[j])
        if path is None:  # chosen elsewhere but failed here: first candidate that worked
            method = next(n for n in names if folds[j].get(n) is not None)
            path = folds[j][method]
        honest.append((method, path))
    abs_z = [np.abs(a - pth[0]) / np.where(pth[1] > 0, pth[1], np.nan)
             for a, (_, pth) in zip(actuals, honest)]
    cand_mase = {}
    for name in names:
        per_fold = selection.fold_mase(name, folds, actuals, scales)
        if np.isfinite(per_fold).any():  # a candidate that never fitted has no score
            cand_mase[name] = float(np.nanmean(per_fold))
    return chosen, honest, abs_z, cand_mase


def run_series_unit(unit: tuple[np.ndarray, SeriesProfile, tuple[BaseForecaster, ...],
                                BacktestConfig, list | None]) -> SeriesWork:
    """Backtest (unless the folds came precomputed), select and fit one series."""
    y, profile, cands, config, folds = unit
    h, m = config.horizon, config.season_length
    failures: list[Failure] = []
    first_fits: dict[str, BaseForecaster] | None = None
    if folds is None:
        reuse = (config.reuse_fit_from is not None and len(y) >= config.reuse_fit_from
                 and bool(profile.origins)
                 and profile.origins[0] >= config.reuse_fit_share * len(y))
        first_fits = {} if reuse else None
        folds, failures = (forward_backtest(y, profile.origins, cands, h, m, first_fits)
                           if profile.origins else ([], []))
    chosen, honest, abs_z, cand_mase = select_series(y, profile, cands, folds, config)
    # the fallbacks by name, for series too short to backtest; candidates take precedence
    models = {"seasonal_naive": SeasonalNaive(), "naive": Naive(), "window_mean": WindowMean()}
    models.update({c.name: c for c in cands})
    final_failures: list[Failure] = []
    reused = advance_final(y, chosen, first_fits, h) if first_fits else None
    if reused is not None:
        fitted, (mean, sigma) = reused
    else:
        fitted, (mean, sigma) = fit_final(y, _build_method(chosen, models),
                                          fallback_model(y, config), h, m, final_failures)
    # a failed combination is named by its members, as in the notes and the forecast
    failures += [(selection.method_name(chosen) if name == "combination" else name, origin, error)
                 for name, origin, error in final_failures]
    return SeriesWork(folds=folds, chosen=chosen, honest=honest, abs_z=abs_z,
                      candidate_mase=cand_mase, fitted=fitted, mean=mean, sigma=sigma,
                      failures=failures)


def _run_batch(func: Callable, batch: list) -> list:
    return [func(unit) for unit in batch]


@contextlib.contextmanager
def _backend_context(backend: str | None, scheduler: str | None):
    """joblib backend: None/'loky'/'threading' as is; 'dask' connects a distributed.Client."""
    import joblib

    if backend == "dask":
        from forecasting.cluster import connect

        # a short connect timeout and a message naming the fix (missing extra, no scheduler)
        client = connect(scheduler) if isinstance(scheduler, str) else scheduler
        try:
            with joblib.parallel_backend("dask"):
                yield
        finally:
            if isinstance(scheduler, str):
                client.close()
    elif backend in (None, "loky", "threading", "multiprocessing", "sequential"):
        if backend is None or backend == "sequential":
            yield
        else:
            with joblib.parallel_backend(backend):
                yield
    else:
        raise ValueError(f"backend: unknown value {backend!r}; expected 'loky' or 'dask'.")


def parallel_map(func: Callable, units: Sequence, n_jobs: int = 1) -> list:
    """Run ``func`` over ``units`` in order, batched for joblib (inside a backend context)."""
    units = list(units)
    if not units:
        return []
    if n_jobs == 1:
        return [func(unit) for unit in units]
    import joblib

    # batches amortise dispatch and pickling; 16 per worker keep the idle tail short (one
    # batch of 1,000 bench series is ~3 s of work) when workers finish at different times
    n_batches = min(len(units), max(1, 16 * (n_jobs if n_jobs > 0 else 2)))
    batches = [units[i::n_batches] for i in range(n_batches)]
    done = joblib.Parallel(n_jobs=n_jobs)(joblib.delayed(_run_batch)(func, b) for b in batches)
    out: list = [None] * len(units)
    for i, batch in enumerate(done):
        out[i::n_batches] = batch
    return out


# -- orchestration --------------------------------------------------------------------------------

def _build_method(method, models: dict[str, BaseForecaster]) -> BaseForecaster:
    if isinstance(method, str):
        return models[method]
    return Combination([models[name] for name in method[1]])


def run_forecast(series: dict[str, np.ndarray], config: BacktestConfig, n_jobs: int = 1,
                 backend: str | None = None, scheduler: Any = None,
                 references: dict[str, np.ndarray] | None = None) -> list[SeriesResult]:
    """Backtest, select, calibrate and forecast every series. Keys come back in input order.

    ``backend``: None (in process, or joblib's default with n_jobs > 1), 'loky', or 'dask'
    with ``scheduler`` an address (or a ``distributed.Client``). ``references``: per series,
    its group's values aligned with it (see ``candidates_for``); series without one, or equal
    to it (the group itself), get no group candidate.
    """
    with _backend_context(backend, scheduler):
        return _run_forecast(series, config, n_jobs, references or {})


def _run_forecast(series: dict[str, np.ndarray], config: BacktestConfig,
                  n_jobs: int, references: dict[str, np.ndarray]) -> list[SeriesResult]:
    keys = list(series)
    ys = [np.asarray(series[k], dtype=float) for k in keys]
    h, m = config.horizon, config.season_length
    profiles = [profile_series(k, y, config) for k, y in zip(keys, ys)]
    refs = [references.get(k) for k in keys]
    # a series that is its own group would only repeat seasonal naive
    refs = [None if r is None or (len(r) >= len(y) and np.allclose(r[:len(y)], y))
            else np.asarray(r, dtype=float) for r, y in zip(refs, ys)]
    cands = [candidates_for(p, config, r) for p, r in zip(profiles, refs)]

    folds: list[list[dict] | None] = [None] * len(keys)
    fold_failures: list[list[Failure]] = [[] for _ in keys]
    if config.refit:  # folds fan out as their own units, then the series units select and fit
        units = [(i, ys[i], origin, cands[i], h, m)
                 for i, p in enumerate(profiles) for origin in p.origins]
        folds = [[] for _ in keys]
        for index, origin, paths, failed in parallel_map(run_backtest_unit, units, n_jobs):
            folds[index].append(paths)
            fold_failures[index] += failed
    work: list[SeriesWork] = parallel_map(
        run_series_unit, [(ys[i], profiles[i], cands[i], config, folds[i])
                          for i in range(len(keys))], n_jobs)

    # Calibration: factors per series and level, shrunk to the pool; for each backtest fold
    # from the other folds only (folds are aligned from the end of the series).
    k_max = max((len(p.origins) for p in profiles), default=0)

    def pooled(exclude: int | None) -> np.ndarray:
        parts = [z for w in work for pos, z in enumerate(_positions(w.abs_z, k_max))
                 if pos != exclude and z is not None]
        return np.concatenate(parts) if parts else np.array([])

    # pooled factors per level: over all folds, and without each fold position
    def pooled_factors(exclude: int | None) -> dict[float, float]:
        abs_z = pooled(exclude)
        return {lv: intervals.raw_factor(abs_z, lv) for lv in config.levels}

    pool_all = pooled_factors(None)
    pool_wo = {pos: pooled_factors(pos) for pos in range(k_max)}

    results = []
    for i, p in enumerate(profiles):
        w = work[i]
        mean = w.mean
        own = np.concatenate(w.abs_z) if w.abs_z else np.array([])
        if p.origins:
            factors = {lv: intervals.shrink_to_pool(own, pool_all[lv], lv) for lv in config.levels}
        else:
            factors = {lv: 1.0 for lv in config.levels}
        # intermittent segments never forecast negative bookings, refunds allowed or not
        non_negative = config.non_negative or p.kind == "intermittent"
        if non_negative:
            mean = np.maximum(mean, 0.0)
        bounds = {lv: intervals.interval(mean, w.sigma, lv, factors[lv], non_negative)
                  for lv in config.levels}
        method = selection.method_name(w.chosen)
        if w.fitted.name != (w.chosen if isinstance(w.chosen, str) else "combination"):
            reason = next((e for name, origin, e in w.failures
                           if origin is None and name == method), None)
            p.notes.append(f"{p.key}: {method} failed on the full history"
                           + (f" ({reason})" if reason else "") + f"; used {w.fitted.name}.")
            method = w.fitted.name
        bt_rows, sel_err = _backtest_rows(p, ys[i], cands[i], w.folds, w.honest, w.abs_z,
                                          pool_wo, k_max, config)
        results.append(SeriesResult(key=p.key, profile=p, method=method, mean=mean,
                                    sigma=w.sigma, factors=factors, bounds=bounds,
                                    model=w.fitted, backtest=bt_rows,
                                    candidate_mase=w.candidate_mase, selected_errors=sel_err,
                                    failures=fold_failures[i] + w.failures))
    return results


def _positions(zs: list, k_max: int) -> list:
    """Align a series' folds to the last ``k_max`` origin positions (short series lack early ones)."""
    return [None] * (k_max - len(zs)) + list(zs)


def _backtest_rows(p: SeriesProfile, y: np.ndarray, cands, folds, honest, zs, pool_wo, k_max,
                   config: BacktestConfig):
    h = config.horizon
    rows = []
    errors = []
    offset = k_max - len(p.origins)
    for j, origin in enumerate(p.origins):
        actual = y[origin:origin + h]
        scale = metrics.seasonal_scale(y[:origin], config.season_length)
        for c in cands:
            path = folds[j].get(c.name)
            if path is None:
                continue
            for s in range(h):
                rows.append({"origin": origin, "step": s + 1, "actual": actual[s],
                             "forecast": path[0][s], "model": c.name, "scale": scale})
        method, (mean, sigma) = honest[j]
        own_other = [z for jj, z in enumerate(zs) if jj != j]
        own_other = np.concatenate(own_other) if own_other else np.array([])
        non_negative = config.non_negative or p.kind == "intermittent"
        if non_negative:
            mean = np.maximum(mean, 0.0)
        bounds = {}
        for lv in config.levels:
            factor = intervals.shrink_to_pool(own_other, pool_wo[j + offset][lv], lv)
            bounds[lv] = intervals.interval(mean, sigma, lv, factor, non_negative)
        errors.append(mean - actual)
        for s in range(h):
            row = {"origin": origin, "step": s + 1, "actual": actual[s], "forecast": mean[s],
                   "model": "selected", "method": selection.method_name(method), "scale": scale}
            for lv, (lo, hi) in bounds.items():
                row[f"lo_{lv:g}"] = lo[s]
                row[f"hi_{lv:g}"] = hi[s]
            rows.append(row)
    return rows, (np.array(errors) if errors else None)
