"""Public face of the bookings forecast: ``forecast_bookings`` -> ``ForecastResult``."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from forecasting import metrics as m
from forecasting import reconcile
from forecasting.config import ForecastConfig, configure
from forecasting.core import BacktestConfig, SeriesResult, run_forecast
from forecasting.errors import ForecastInputError
from forecasting.history import parse_frequency, to_arrays, validate_history
from forecasting.models import BaseForecaster
from forecasting.results import FailedCandidate, ForecastMetrics, OverallAccuracy, SegmentAccuracy

TOTAL = "Total"


@dataclass
class ForecastResult:
    """What a forecast run produced; frames are ready to write as CSV."""

    forecast: pd.DataFrame        # segment, period (YYYY-MM-DD), p10, p50, p90, [lo_L, hi_L], method, level
    backtest: pd.DataFrame        # segment, origin, period, actual, forecast, model, method, step, ...
    metrics: ForecastMetrics      # accuracy per segment and overall, reconciliation, failures
    models: dict[str, BaseForecaster]   # fitted final model per node
    history: pd.DataFrame         # the validated, completed history (canonical columns)
    notes: list[str] = field(default_factory=list)
    reconciliation: str = "bottom_up"   # the method used (bottom_up when mint_shrink fell back)


def forecast_bookings(history: pd.DataFrame, config: ForecastConfig | None = None, *,
                      random_state: int | None = 0, segment_col: str = "segment",
                      period_col: str = "period", value_col: str = "bookings",
                      hierarchy: Mapping[str, str] | None = None,
                      candidates: Sequence[BaseForecaster] | None = None,
                      intermittent_candidates: Sequence[BaseForecaster] | None = None,
                      **overrides: Any) -> ForecastResult:
    """Forecast bookings per segment, with backtested model choice, calibrated intervals and
    totals reconciled over ``hierarchy`` (segment -> region; a company total always).

    ``config`` holds every setting (default ``ForecastConfig()``: monthly, 3 periods ahead,
    80 and 95 % intervals); ``overrides`` are ``ForecastConfig`` field names replacing single
    values, so ``forecast_bookings(history, horizon=12, levels=(80, 95))`` and
    ``forecast_bookings(history, ForecastConfig(horizon=12))`` are the same call. Bad values
    raise ``pydantic.ValidationError``; an unknown name a ``TypeError``.

    ``segment_col``/``period_col``/``value_col`` name the history's columns. ``candidates`` and
    ``intermittent_candidates`` replace the candidate models (regular and sparse segments;
    with ``candidates`` the group season is not added). ``random_state`` is accepted for a
    uniform signature with the other steps: every method here is deterministic, so the same
    input gives the same numbers on any backend.

    A candidate that fails to fit a window (a numerical error) drops out there and is listed
    in ``metrics.failed_candidates`` and the notes; a bug in a candidate (TypeError, KeyError,
    ...) propagates.
    """
    config = configure(config, overrides)
    freq_ = parse_frequency(config.freq)
    level_tuple = config.interval_levels
    canonical = validate_history(history, freq_, segment_col=segment_col, period_col=period_col,
                                 value_col=value_col, fill_missing=config.fill_missing,
                                 allow_negative=config.allow_negative)
    arrays = to_arrays(canonical)
    segments = list(arrays)
    aggregates = _aggregates(segments, hierarchy, config.totals)
    last = canonical["period"].max()
    # aggregates need a common span: sum the segments over the last period's full range
    first = canonical["period"].min()
    span = pd.period_range(first, last, freq=last.freq)
    padded = {s: pd.Series(v, index=p).reindex(span, fill_value=0.0).to_numpy()
              for s, (p, v) in arrays.items()}
    series = {s: v for s, (_, v) in arrays.items()}
    for name, members in aggregates.items():
        series[name] = np.sum([padded[s] for s in members], axis=0)
    backtest_config = BacktestConfig(
        horizon=config.horizon, season_length=freq_.season_length,
        n_origins=config.backtest_origins, step=config.backtest_step, levels=level_tuple,
        combine_top=config.combine_top, combine_tolerance=config.combine_tolerance,
        non_negative=not config.allow_negative, refit=config.refit,
        reuse_fit_from=config.reuse_fit_from, reuse_fit_share=config.reuse_fit_share,
        long_from_years=config.long_from_years,
        long_combine_tolerance=config.long_combine_tolerance,
        candidates=tuple(candidates) if candidates else None,
        intermittent=tuple(intermittent_candidates) if intermittent_candidates else None)
    references = None
    # one segment is its own group: its group season would be seasonal naive again
    if config.group_season and len(segments) > 1 and candidates is None:
        references = group_references(arrays, list(aggregates))
    results = run_forecast(series, backtest_config, n_jobs=config.n_jobs, backend=config.backend,
                           scheduler=config.scheduler, references=references)
    by_key = {r.key: r for r in results}
    notes = [note for r in results for note in r.profile.notes]
    method_used = _reconcile(by_key, segments, aggregates, config.reconciliation, notes,
                             non_negative=not config.allow_negative)
    future = pd.period_range(last + 1, periods=config.horizon, freq=last.freq)
    forecast = _forecast_frame(results, segments, future, level_tuple, method_used)
    backtest = _backtest_frame(results, series, span, arrays)
    failed = _failed_candidates(results, span, arrays)
    notes += _failure_notes(results)
    used = dataclasses.replace(config, levels=tuple(int(lv) for lv in level_tuple),
                               backtest_step=backtest_config.step_,
                               group_season=references is not None)
    overall, per = _accuracy(results, segments, level_tuple, backtest)
    metrics_ = ForecastMetrics(
        overall=overall, segments={s: per[s] for s in segments},
        aggregates={a: per[a] for a in aggregates}, reconciliation=_DESCRIPTIONS[method_used],
        reconciliation_method=method_used,
        hierarchy={k: tuple(v) for k, v in aggregates.items()},
        failed_candidates=tuple(failed), notes=tuple(notes), config=used)
    return ForecastResult(forecast=forecast, backtest=backtest, metrics=metrics_,
                          models={r.key: r.model for r in results}, history=canonical,
                          notes=notes, reconciliation=method_used)


def group_references(arrays: Mapping[str, tuple[pd.PeriodIndex, np.ndarray]],
                     aggregates: Sequence[str] = ()) -> dict[str, np.ndarray]:
    """Per series, the company's bookings (all segments summed) in that series' own periods;
    the aggregates span every period. A segment that began later sees the company from then.
    Segments run to the same last period (``validate_history`` makes them)."""
    first = min(int(p.asi8[0]) for p, _ in arrays.values())
    last = max(int(p.asi8[-1]) for p, _ in arrays.values())
    company = np.zeros(last - first + 1)
    for periods, values in arrays.values():
        company[periods.asi8 - first] += values
    out = {s: company[periods.asi8 - first] for s, (periods, _) in arrays.items()}
    out.update({name: company.copy() for name in aggregates})
    return out


_DESCRIPTIONS = {
    "bottom_up": "regions and the total are the sums of their segments' forecasts (p50); their "
                 "intervals are their own calibrated intervals re-centred on that sum",
    "mint_shrink": "all nodes reconciled by MinT with a shrunk covariance of backtest errors; "
                   "intervals shifted with their node's p50",
}


def _aggregates(segments: list[str], hierarchy: Mapping[str, str] | None,
                totals: bool = True) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    if hierarchy:
        unknown = sorted(set(segments) - set(hierarchy))
        if unknown:
            raise ForecastInputError(
                f"hierarchy: segment(s) {unknown} have no region; expected a region for every "
                "segment in the history. Hint: add them to the segment -> region mapping.")
        for region in sorted({hierarchy[s] for s in segments}):
            members = [s for s in segments if hierarchy[s] == region]
            name = f"region {region}"
            if name in segments:
                raise ForecastInputError(f"hierarchy: region node {name!r} clashes with a segment.")
            out[name] = members
    if len(segments) > 1 and totals:
        if TOTAL in segments:
            raise ForecastInputError(f"history: a segment is called {TOTAL!r}, the name of the "
                                     "company total; rename it.")
        out[TOTAL] = list(segments)
    return out


def _reconcile(by_key: dict[str, SeriesResult], segments: list[str],
               aggregates: dict[str, list[str]], method: str, notes: list[str],
               non_negative: bool) -> str:
    if not aggregates:
        return "bottom_up"
    S = reconcile.summing_matrix(segments, aggregates)
    nodes = segments + list(aggregates)
    base = np.array([by_key[n].mean for n in nodes])
    if method == "mint_shrink":
        errs = [by_key[n].selected_errors for n in nodes]
        if any(e is None for e in errs) or len({e.shape for e in errs}) > 1:
            notes.append("mint_shrink needs backtest errors of the same shape for every node; "
                         "fell back to bottom_up.")
            method = "bottom_up"
        else:
            E = np.column_stack([e.reshape(-1) for e in errs])
            recon = reconcile.mint_shrink(S, base, E)
            if non_negative and (recon[: len(segments)] < 0).any():
                notes.append("mint_shrink gave negative segment bookings; fell back to bottom_up.")
                method = "bottom_up"
    if method == "bottom_up":
        recon = reconcile.bottom_up(S, base)
    for node, new_mean in zip(nodes, recon):
        r = by_key[node]
        shift = new_mean - r.mean
        r.mean = new_mean
        r.bounds = {lv: (np.maximum(lo + shift, 0) if non_negative else lo + shift,
                         np.maximum(hi + shift, 0) if non_negative else hi + shift)
                    for lv, (lo, hi) in r.bounds.items()}
        if node in aggregates:
            r.method = method
    return method


def _day(period: pd.Period) -> str:
    return period.start_time.strftime("%Y-%m-%d")


def _forecast_frame(results: list[SeriesResult], segments: list[str], future: pd.PeriodIndex,
                    levels: tuple[float, ...], reconciliation: str) -> pd.DataFrame:
    rows = []
    days = [_day(p) for p in future]
    for r in results:
        kind = "segment" if r.key in segments else ("total" if r.key == TOTAL else "region")
        lo80, hi80 = r.bounds[80.0]
        for s, period in enumerate(future):
            row = {"segment": r.key, "period": days[s], "p10": lo80[s], "p50": r.mean[s],
                   "p90": hi80[s]}
            for lv in levels:
                if lv != 80.0:
                    row[f"lo_{lv:g}"], row[f"hi_{lv:g}"] = r.bounds[lv][0][s], r.bounds[lv][1][s]
            row["method"] = r.method
            row["level"] = kind
            rows.append(row)
    return pd.DataFrame(rows)


def _backtest_frame(results, series, span, arrays) -> pd.DataFrame:
    rows = []
    span_days = [_day(p) for p in span]   # formatting a Period is slow: once per period
    for r in results:
        periods = arrays[r.key][0] if r.key in arrays else span
        offset = len(span) - len(periods)  # a segment's periods end where the span ends
        for row in r.backtest:
            origin = row["origin"]
            rows.append({"segment": r.key, "origin": span_days[offset + origin - 1],
                         "period": span_days[offset + origin + row["step"] - 1],
                         **{k: v for k, v in row.items() if k != "origin"}})
    frame = pd.DataFrame(rows)
    if frame.empty:
        return pd.DataFrame(columns=["segment", "origin", "period", "actual", "forecast", "model"])
    first = ["segment", "origin", "period", "actual", "forecast", "model"]
    return frame[first + [c for c in frame.columns if c not in first]]


def _failed_candidates(results: list[SeriesResult], span: pd.PeriodIndex,
                       arrays) -> list[FailedCandidate]:
    """Each failure with its fold named by the last training period, as backtest.csv does."""
    out = []
    for r in results:
        periods = arrays[r.key][0] if r.key in arrays else span
        for model, origin, error in r.failures:
            when = None if origin is None else _day(periods[origin - 1])
            out.append(FailedCandidate(series=r.key, model=model, origin=when, error=error))
    return out


def _failure_notes(results: list[SeriesResult]) -> list[str]:
    """One note per series and candidate that failed in the backtest (the final fit's failure
    already has its note: which method replaced it)."""
    notes = []
    for r in results:
        by_model: dict[str, list[str]] = {}
        for model, origin, error in r.failures:
            if origin is not None:
                by_model.setdefault(model, []).append(error)
        for model, errors in by_model.items():
            folds = len(r.profile.origins)
            notes.append(f"{r.key}: candidate {model} failed to fit in {len(errors)} of {folds} "
                         f"backtest fold(s) ({errors[0]}); it was left out there.")
    return notes


def _summary(cols: dict[str, np.ndarray], levels: tuple[float, ...]) -> dict[str, Any]:
    """Accuracy and coverage of one segment's selected backtest rows (numpy columns: the
    same measures on pandas Series cost ~2 ms a segment)."""
    actual, forecast = cols["actual"], cols["forecast"]
    return {"mase": float(np.mean(np.abs(actual - forecast) / cols["scale"])),
            "smape": m.smape(actual, forecast),
            "bias": m.bias(actual, forecast),
            "coverage": {f"{lv:g}": m.coverage(actual, cols[f"lo_{lv:g}"], cols[f"hi_{lv:g}"])
                         for lv in levels}}


def _accuracy(results: list[SeriesResult], segments: list[str], levels: tuple[float, ...],
              backtest: pd.DataFrame) -> tuple[OverallAccuracy, dict[str, SegmentAccuracy]]:
    per: dict[str, SegmentAccuracy] = {}
    # split once: filtering the whole frame per series is quadratic (20 s for 1,000 series)
    selected = backtest[backtest["model"] == "selected"] if not backtest.empty else backtest
    names = ["actual", "forecast", "scale"] + [f"{side}_{lv:g}" for lv in levels
                                               for side in ("lo", "hi")]
    columns = {c: selected[c].to_numpy(dtype=float) for c in names} if len(selected) else {}
    rows_of = selected.groupby("segment", sort=False).indices if len(selected) else {}
    for r in results:
        scores: dict[str, Any] = {}
        if r.key in rows_of:
            rows = rows_of[r.key]
            scores = _summary({c: v[rows] for c, v in columns.items()}, levels)
        per[r.key] = SegmentAccuracy(
            method=r.method, kind=r.profile.kind, seasonal=r.profile.seasonal,
            n_obs=r.profile.n_obs, backtest_origins=len(r.profile.origins),
            interval_factor={f"{lv:g}": f for lv, f in r.factors.items()},
            mase_by_candidate=r.candidate_mase, **scores)
    seg_sel = backtest[backtest["segment"].isin(segments) & (backtest["model"] == "selected")] \
        if not backtest.empty else backtest
    if not len(seg_sel):
        return OverallAccuracy(n_segments=len(segments)), per
    # MASE and sMAPE averaged over segments (each counts once); coverage and bias pooled.
    seg_stats = [per[s] for s in segments if per[s].mase is not None]
    sn = [per[s].mase_by_candidate.get("seasonal_naive") for s in segments]
    sn = [v for v in sn if v is not None and np.isfinite(v)]
    overall = OverallAccuracy(
        n_segments=len(segments),
        mase=float(np.mean([s.mase for s in seg_stats])),
        smape=float(np.mean([s.smape for s in seg_stats])),
        bias=m.bias(seg_sel["actual"], seg_sel["forecast"]),
        coverage={f"{lv:g}": m.coverage(seg_sel["actual"], seg_sel[f"lo_{lv:g}"],
                                        seg_sel[f"hi_{lv:g}"]) for lv in levels},
        mase_seasonal_naive=float(np.mean(sn)) if sn else None)
    return overall, per
