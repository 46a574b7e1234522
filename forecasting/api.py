"""Public face of the bookings forecast: ``forecast_bookings`` -> ``ForecastResult``."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from forecasting import metrics as m
from forecasting import reconcile
from forecasting.core import BacktestConfig, SeriesResult, run_forecast
from forecasting.errors import ForecastInputError
from forecasting.history import Frequency, parse_frequency, to_arrays, validate_history
from forecasting.models import BaseForecaster

TOTAL = "Total"


@dataclass
class ForecastResult:
    """What a forecast run produced; frames are ready to write as CSV."""

    forecast: pd.DataFrame        # segment, period (YYYY-MM-DD), p10, p50, p90, [lo_L, hi_L], method, level
    backtest: pd.DataFrame        # segment, origin, period, actual, forecast, model, method, step, ...
    metrics: dict[str, Any]       # per segment and overall: MASE, sMAPE, bias, coverage
    models: dict[str, BaseForecaster]   # fitted final model per node
    history: pd.DataFrame         # the validated, completed history (canonical columns)
    notes: list[str] = field(default_factory=list)
    reconciliation: str = "bottom_up"


def parse_levels(levels: Sequence[float] | str | None) -> tuple[float, ...]:
    """'80,95' or [80, 95] -> (80.0, 95.0), always including 80 (p10/p90)."""
    if levels is None:
        values: list[float] = []
    elif isinstance(levels, str):
        try:
            values = [float(v) for v in levels.split(",") if v.strip()]
        except ValueError:
            raise ForecastInputError(f"levels: {levels!r} is not a list of numbers; expected "
                                     "e.g. '80,95'.") from None
    else:
        values = [float(v) for v in levels]
    bad = [v for v in values if not 0 < v < 100]
    if bad:
        raise ForecastInputError(f"levels: {bad} outside (0, 100); expected interval levels "
                                 "in percent such as 80,95.")
    return tuple(sorted(set(values) | {80.0}))


def _check_options(horizon: int, n_origins: int, reconciliation: str) -> None:
    if not isinstance(horizon, (int, np.integer)) or horizon < 1:
        raise ForecastInputError(f"horizon: expected a whole number of periods >= 1; got {horizon!r}.")
    if n_origins < 1:
        raise ForecastInputError(f"n_origins: expected >= 1; got {n_origins!r}.")
    if reconciliation not in reconcile.RECONCILIATION_METHODS:
        raise ForecastInputError(
            f"reconciliation: unknown value {reconciliation!r}; expected one of "
            f"{', '.join(reconcile.RECONCILIATION_METHODS)}.")


def forecast_bookings(history: pd.DataFrame, horizon: int, freq: str = "M",
                      levels: Sequence[float] | str | None = (80, 95), *,
                      random_state: int | None = 0, n_jobs: int = 1, backend: str | None = None,
                      scheduler: Any = None, hierarchy: Mapping[str, str] | None = None,
                      reconciliation: str = "bottom_up", n_origins: int = 3,
                      step: int | None = None, segment_col: str = "segment",
                      period_col: str = "period", value_col: str = "bookings",
                      fill_missing: str | None = None, allow_negative: bool = False,
                      candidates: Sequence[BaseForecaster] | None = None,
                      intermittent_candidates: Sequence[BaseForecaster] | None = None,
                      combine_top: int = 4, combine_tolerance: float = 0.25,
                      refit: bool = False, totals: bool = True,
                      group_season: bool | None = None) -> ForecastResult:
    """Forecast bookings per segment, with backtested model choice, calibrated intervals and
    totals reconciled over ``hierarchy`` (segment -> region; a company total always).

    ``totals=False`` skips the company total (e.g. for unrelated series in a benchmark).
    ``group_season``: also try each segment's level times the season of all segments' sum
    (``models.GroupSeasonal``); by default when the segments make a company total (``totals``
    and more than one segment), as parts of one business share its year.
    ``random_state`` is accepted for a uniform signature with the other steps: every method
    here is deterministic, so the same input gives the same numbers on any backend.
    """
    _check_options(horizon, n_origins, reconciliation)
    freq_ = parse_frequency(freq) if not isinstance(freq, Frequency) else freq
    level_tuple = parse_levels(levels)
    canonical = validate_history(history, freq_, segment_col=segment_col, period_col=period_col,
                                 value_col=value_col, fill_missing=fill_missing,
                                 allow_negative=allow_negative)
    arrays = to_arrays(canonical)
    segments = list(arrays)
    aggregates = _aggregates(segments, hierarchy, totals)
    last = canonical["period"].max()
    # aggregates need a common span: sum the segments over the last period's full range
    first = canonical["period"].min()
    span = pd.period_range(first, last, freq=last.freq)
    padded = {s: pd.Series(v, index=p).reindex(span, fill_value=0.0).to_numpy()
              for s, (p, v) in arrays.items()}
    series = {s: v for s, (_, v) in arrays.items()}
    for name, members in aggregates.items():
        series[name] = np.sum([padded[s] for s in members], axis=0)
    config = BacktestConfig(horizon=int(horizon), season_length=freq_.season_length,
                            n_origins=n_origins, step=step, levels=level_tuple,
                            combine_top=combine_top, combine_tolerance=combine_tolerance,
                            non_negative=not allow_negative, refit=refit,
                            candidates=tuple(candidates) if candidates else None,
                            intermittent=tuple(intermittent_candidates)
                            if intermittent_candidates else None)
    if group_season is None:
        group_season = totals and len(segments) > 1
    references = None
    if group_season and len(segments) > 1 and candidates is None:
        references = group_references(arrays, list(aggregates))
    results = run_forecast(series, config, n_jobs=n_jobs, backend=backend, scheduler=scheduler,
                           references=references)
    by_key = {r.key: r for r in results}
    notes = [note for r in results for note in r.profile.notes]
    method_used = _reconcile(by_key, segments, aggregates, reconciliation, notes,
                             non_negative=not allow_negative)
    future = pd.period_range(last + 1, periods=int(horizon), freq=last.freq)
    forecast = _forecast_frame(results, segments, future, level_tuple, method_used)
    backtest = _backtest_frame(results, series, span, arrays)
    metrics_ = _metrics(results, segments, aggregates, level_tuple, backtest)
    metrics_["reconciliation"] = {"method": method_used, "description": _DESCRIPTIONS[method_used],
                                  "hierarchy": {k: v for k, v in aggregates.items()}}
    metrics_["notes"] = notes
    metrics_["config"] = {"horizon": int(horizon), "freq": freq_.code, "levels": list(level_tuple),
                          "n_origins": n_origins, "step": config.step_,
                          "combine_top": combine_top,
                          "combine_tolerance": combine_tolerance, "refit": refit,
                          "group_season": references is not None}
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


def _summary(cols: dict[str, np.ndarray], levels: tuple[float, ...]) -> dict[str, float]:
    """Accuracy and coverage of one segment's selected backtest rows (numpy columns: the
    same measures on pandas Series cost ~2 ms a segment)."""
    actual, forecast = cols["actual"], cols["forecast"]
    out = {"mase": float(np.mean(np.abs(actual - forecast) / cols["scale"])),
           "smape": m.smape(actual, forecast),
           "bias": m.bias(actual, forecast)}
    for lv in levels:
        out[f"coverage_{lv:g}"] = m.coverage(actual, cols[f"lo_{lv:g}"], cols[f"hi_{lv:g}"])
    return out


def _metrics(results, segments, aggregates, levels, backtest: pd.DataFrame) -> dict[str, Any]:
    per = {}
    # split once: filtering the whole frame per series is quadratic (20 s for 1,000 series)
    selected = backtest[backtest["model"] == "selected"] if not backtest.empty else backtest
    names = ["actual", "forecast", "scale"] + [f"{side}_{lv:g}" for lv in levels
                                               for side in ("lo", "hi")]
    columns = {c: selected[c].to_numpy(dtype=float) for c in names} if len(selected) else {}
    rows_of = selected.groupby("segment", sort=False).indices if len(selected) else {}
    for r in results:
        entry: dict[str, Any] = {"method": r.method, "kind": r.profile.kind,
                                 "seasonal": r.profile.seasonal, "n_obs": r.profile.n_obs,
                                 "backtest_origins": len(r.profile.origins),
                                 "interval_factor": {f"{lv:g}": f for lv, f in r.factors.items()},
                                 "mase_by_candidate": r.candidate_mase}
        if r.key in rows_of:
            rows = rows_of[r.key]
            entry.update(_summary({c: v[rows] for c, v in columns.items()}, levels))
        per[r.key] = entry
    seg_sel = backtest[backtest["segment"].isin(segments) & (backtest["model"] == "selected")] \
        if not backtest.empty else backtest
    overall: dict[str, Any] = {"n_segments": len(segments)}
    if len(seg_sel):
        # MASE and sMAPE averaged over segments (each counts once); coverage and bias pooled.
        seg_stats = [per[s] for s in segments if "mase" in per[s]]
        overall["mase"] = float(np.mean([s["mase"] for s in seg_stats]))
        overall["smape"] = float(np.mean([s["smape"] for s in seg_stats]))
        overall["bias"] = m.bias(seg_sel["actual"], seg_sel["forecast"])
        for lv in levels:
            overall[f"coverage_{lv:g}"] = m.coverage(seg_sel["actual"], seg_sel[f"lo_{lv:g}"],
                                                     seg_sel[f"hi_{lv:g}"])
        sn = [per[s]["mase_by_candidate"].get("seasonal_naive") for s in segments]
        sn = [v for v in sn if v is not None and np.isfinite(v)]
        if sn:
            overall["mase_seasonal_naive"] = float(np.mean(sn))
    return {"overall": overall, "segments": {s: per[s] for s in segments},
            "aggregates": {a: per[a] for a in aggregates}}
