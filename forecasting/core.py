"""The one place where series are grouped, backtested and fanned out (like Nixtla's core.py).

Work units are (series, origin) fits; they are batched and run through joblib, so the same
code runs in-process, on local worker processes (loky) or on a Dask cluster. Every unit is
deterministic, so the numbers do not depend on the backend or the batching.

Per series:
1. profile: regular or intermittent, seasonal or not, backtest origins or too short;
2. backtest: every candidate fitted at every origin (parallel);
3. selection: the combination of the candidates within 25% of the lowest backtest MASE,
   or the best alone (see ``selection.choose``); the backtest rows reported as "selected" are chosen honestly, from
   the other origins only (leave-one-origin-out), and their intervals are calibrated the
   same way, so the reported coverage is not fitted to itself;
4. final fit of the chosen method on the whole series (parallel), calibrated intervals.
"""
from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np

from forecasting import intervals, metrics
from forecasting.models import (BaseForecaster, Combination, Naive, SeasonalNaive, WindowMean,
                                default_candidates, intermittent_candidates)

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
    profile = SeriesProfile(key=key, n_obs=n, kind="intermittent" if is_intermittent(y) else "regular",
                            seasonal=is_seasonal(y, config.season_length), origins=origins)
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


def candidates_for(profile: SeriesProfile, config: BacktestConfig) -> tuple[BaseForecaster, ...]:
    if profile.kind == "intermittent":
        return tuple(config.intermittent or intermittent_candidates())
    return tuple(config.candidates or default_candidates())


# -- work units (run in workers) ----------------------------------------------------------------

def _fit_predict(model: BaseForecaster, y: np.ndarray, h: int, m: int):
    try:
        return model.clone().fit(y, m).predict(h)
    except Exception:  # noqa: BLE001 - a candidate that cannot fit this window just drops out
        return None


def run_backtest_unit(unit: tuple[int, np.ndarray, int, tuple[BaseForecaster, ...], int, int]):
    """Fit every candidate on y[:origin] and forecast h steps: {name: (mean, sigma) | None}."""
    index, y, origin, models, h, m = unit
    return index, origin, {model.name: _fit_predict(model, y[:origin], h, m) for model in models}


def run_forward_unit(unit: tuple[int, np.ndarray, list[int], tuple[BaseForecaster, ...], int, int]):
    """All origins of one series: fit at the first, run forward at the others."""
    index, y, origins, models, h, m = unit
    out = [{} for _ in origins]
    for model in models:
        try:
            fitted = model.clone().fit(y[:origins[0]], m)
            out[0][model.name] = fitted.predict(h)
        except Exception:  # noqa: BLE001 - drops out of this series' backtest
            for fold in out:
                fold[model.name] = None
            continue
        for j, origin in enumerate(origins[1:], start=1):
            try:
                out[j][model.name] = fitted.forward(y[:origin], h)
            except Exception:  # noqa: BLE001
                out[j][model.name] = None
    return [(index, origin, fold) for origin, fold in zip(origins, out)]


def run_final_unit(unit: tuple[int, np.ndarray, BaseForecaster, BaseForecaster, int, int]):
    """Fit the chosen method on the whole series; fall back if it fails on the full window."""
    index, y, model, fallback, h, m = unit
    for candidate in (model, fallback):
        try:
            fitted = candidate.clone().fit(y, m)
            return index, fitted, fitted.predict(h)
        except Exception:  # noqa: BLE001
            continue
    raise RuntimeError(f"series {index}: neither {model.name} nor {fallback.name} could be fitted")


def _run_batch(func: Callable, batch: list) -> list:
    return [func(unit) for unit in batch]


@contextlib.contextmanager
def _backend_context(backend: str | None, scheduler: str | None):
    """joblib backend: None/'loky'/'threading' as is; 'dask' connects a distributed.Client."""
    import joblib

    if backend == "dask":
        from distributed import Client

        client = Client(scheduler) if isinstance(scheduler, str) else scheduler
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

    n_batches = min(len(units), max(1, 4 * (n_jobs if n_jobs > 0 else 2)))
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
                 backend: str | None = None, scheduler: Any = None) -> list[SeriesResult]:
    """Backtest, select, calibrate and forecast every series. Keys come back in input order.

    ``backend``: None (in process, or joblib's default with n_jobs > 1), 'loky', or 'dask'
    with ``scheduler`` an address (or a ``distributed.Client``).
    """
    with _backend_context(backend, scheduler):
        return _run_forecast(series, config, n_jobs)


def _run_forecast(series: dict[str, np.ndarray], config: BacktestConfig,
                  n_jobs: int) -> list[SeriesResult]:
    from forecasting import selection

    keys = list(series)
    ys = [np.asarray(series[k], dtype=float) for k in keys]
    h, m = config.horizon, config.season_length
    profiles = [profile_series(k, y, config) for k, y in zip(keys, ys)]
    cands = [candidates_for(p, config) for p in profiles]

    if config.refit:
        units = [(i, ys[i], origin, cands[i], h, m)
                 for i, p in enumerate(profiles) for origin in p.origins]
        fold_out = parallel_map(run_backtest_unit, units, n_jobs)
    else:
        units = [(i, ys[i], p.origins, cands[i], h, m)
                 for i, p in enumerate(profiles) if p.origins]
        fold_out = [f for per_series in parallel_map(run_forward_unit, units, n_jobs)
                    for f in per_series]
    folds: list[list[dict]] = [[] for _ in keys]
    for index, origin, paths in fold_out:
        folds[index].append(paths)

    # Selection per series (cheap, central).
    chosen, honest, z_by_series = [], [], []
    for i, p in enumerate(profiles):
        names = [c.name for c in cands[i]]
        actuals = [ys[i][o:o + h] for o in p.origins]
        scales = [metrics.seasonal_scale(ys[i][:o], m) for o in p.origins]
        if not p.origins:
            chosen.append(fallback_model(ys[i], config).name)
            honest.append([])
            z_by_series.append([])
            continue
        chosen.append(selection.choose(names, folds[i], actuals, scales,
                                       range(len(p.origins)), config.combine_top,
                                       config.combine_tolerance))
        per_fold = selection.honest_methods(names, folds[i], actuals, scales, config.combine_top,
                                            config.combine_tolerance)
        paths = []
        for j, method in enumerate(per_fold):
            path = selection.method_path(method, folds[i][j])
            if path is None:  # chosen elsewhere but failed here: first candidate that worked
                method = next(n for n in names if folds[i][j].get(n) is not None)
                path = folds[i][j][method]
            per_fold[j] = method
            paths.append(path)
        honest.append(list(zip(per_fold, paths)))
        z_by_series.append([np.abs(a - pth[0]) / np.where(pth[1] > 0, pth[1], np.nan)
                            for a, (_, pth) in zip(actuals, honest[i])])

    # Calibration: factors per series and level, shrunk to the pool; for each backtest fold
    # from the other folds only (folds are aligned from the end of the series).
    k_max = max((len(p.origins) for p in profiles), default=0)

    def pooled(exclude: int | None) -> np.ndarray:
        parts = [z for zs in z_by_series for pos, z in enumerate(_positions(zs, k_max))
                 if pos != exclude and z is not None]
        return np.concatenate(parts) if parts else np.array([])

    pool_all = pooled(None)
    pool_wo = {pos: pooled(pos) for pos in range(k_max)}

    finals = []
    for i, p in enumerate(profiles):
        # the fallbacks by name, for series too short to backtest; candidates take precedence
        models = {"seasonal_naive": SeasonalNaive(), "naive": Naive(), "window_mean": WindowMean()}
        models.update({c.name: c for c in cands[i]})
        finals.append((i, ys[i], _build_method(chosen[i], models), fallback_model(ys[i], config),
                       h, m))
    final_out = parallel_map(run_final_unit, finals, n_jobs)

    results = []
    for i, p in enumerate(profiles):
        _, fitted, (mean, sigma) = final_out[i]
        zs = z_by_series[i]
        own = np.concatenate(zs) if zs else np.array([])
        if p.origins:
            factors = {lv: intervals.shrunk_factor(own, pool_all, lv) for lv in config.levels}
        else:
            factors = {lv: 1.0 for lv in config.levels}
        # intermittent segments never forecast negative bookings, refunds allowed or not
        non_negative = config.non_negative or p.kind == "intermittent"
        if non_negative:
            mean = np.maximum(mean, 0.0)
        bounds = {lv: intervals.interval(mean, sigma, lv, factors[lv], non_negative)
                  for lv in config.levels}
        method = selection.method_name(chosen[i])
        if fitted.name != (chosen[i] if isinstance(chosen[i], str) else "combination"):
            p.notes.append(f"{p.key}: {method} failed on the full history; used {fitted.name}.")
            method = fitted.name
        bt_rows, sel_err = _backtest_rows(p, ys[i], cands[i], folds[i], honest[i], zs, pool_wo,
                                          k_max, config)
        names = [c.name for c in cands[i]]
        actuals = [ys[i][o:o + h] for o in p.origins]
        scales = [metrics.seasonal_scale(ys[i][:o], m) for o in p.origins]
        cand_mase = {}
        for n in names if p.origins else []:
            per_fold = selection.fold_mase(n, folds[i], actuals, scales)
            if np.isfinite(per_fold).any():  # a candidate that never fitted has no score
                cand_mase[n] = float(np.nanmean(per_fold))
        results.append(SeriesResult(key=p.key, profile=p, method=method, mean=mean, sigma=sigma,
                                    factors=factors, bounds=bounds, model=fitted,
                                    backtest=bt_rows, candidate_mase=cand_mase,
                                    selected_errors=sel_err))
    return results


def _positions(zs: list, k_max: int) -> list:
    """Align a series' folds to the last ``k_max`` origin positions (short series lack early ones)."""
    return [None] * (k_max - len(zs)) + list(zs)


def _backtest_rows(p: SeriesProfile, y: np.ndarray, cands, folds, honest, zs, pool_wo, k_max,
                   config: BacktestConfig):
    from forecasting import selection

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
            factor = intervals.shrunk_factor(own_other, pool_wo[j + offset], lv)
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
