"""One forecast for the plan quarter: the pipeline view and the time-series view, combined.

Two views forecast the same quarter's bookings per segment:

- the **pipeline view** (:func:`forecasting.pipeline.forecast_pipeline`): closed to date + each
  open deal x its win probability + expected new business, simulated;
- the **time-series view** (:func:`forecasting.api.forecast_bookings`): the quarter's months
  forecast from past bookings.

The rule, stated once (:data:`RULE`) and backtested: both views are made again as of the same
day of each of the last quarters (the pipeline's ``quarter_backtest``, and the time series refit
on the history known then), and each view's weight is inversely proportional to its mean
squared relative error over those quarters, all segments pooled (per segment there are too few
quarters to weigh). With fewer than :data:`MIN_BACKTEST_ROWS` rows for either view the weights
are equal. A segment only one view covers takes that view.

The combined distribution is the weighted average of the two views' quantile functions
(Vincentisation): the pipeline's simulated draws, sorted, against the time series' quantiles at
the same probabilities. Its p50 is the weighted p50s; P(target) is the share of combined draws
at or above the target. The total is the sum of the segments' p50s, with the spread of the
views' totals combined the same way. The monthly forecast's rows in the plan quarter are scaled
so that each segment's months add up to its combined p50, which is then the number every view
of the plan shows.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from forecasting.errors import ForecastInputError

if TYPE_CHECKING:
    from forecasting.api import ForecastResult
    from forecasting.pipeline import PipelineResult

TOTAL = "Total"
MIN_BACKTEST_ROWS = 4
RULE = ("each view weighted by the inverse of its mean squared relative error when the same "
        "forecast was made as of the same day of the last quarters (segments pooled); equal "
        "weights without enough past quarters")
TABLE_COLUMNS = ["segment", "period", "p10", "p50", "p90", "pipeline_p50", "time_series_p50",
                 "weight_pipeline", "closed_to_date"]
BACKTEST_COLUMNS = ["quarter", "as_of", "segment", "actual", "pipeline_p50", "time_series_p50",
                    "combined_p50"]


@dataclass
class QuarterForecast:
    """The plan quarter's one forecast per segment (and ``Total``), and how it was made."""

    table: pd.DataFrame        # TABLE_COLUMNS [+ lo_L/hi_L] [+ target, gap_to_target, p_target]
    forecast: pd.DataFrame     # the monthly forecast, plan-quarter rows scaled (column ``basis``)
    backtest: pd.DataFrame     # BACKTEST_COLUMNS: both views and the combination on past quarters
    period: pd.Period
    weight_pipeline: float     # the time-series view weighs 1 - weight_pipeline
    rule: str                  # the rule, in words (:data:`RULE`)
    reason: str                # why these weights: the backtest's errors, in words
    accuracy: dict[str, float] = field(default_factory=dict)  # backtest mean abs % error per view
    notes: list[str] = field(default_factory=list)
    draws: dict[str, np.ndarray] = field(default_factory=dict)  # combined draws per segment/Total


def time_series_backtest(result: "ForecastResult", as_of: pd.Timestamp, quarters: int = 4
                         ) -> pd.DataFrame:
    """The time-series view of each of the last ``quarters`` quarters, forecast as of the same
    day of that quarter as ``as_of`` is of the plan quarter: the history known then (complete
    periods only), refit with the same configuration. Columns quarter, as_of, segment,
    time_series_p50, actual (the history's bookings of that quarter)."""
    from forecasting.api import forecast_bookings

    history = result.history
    config = result.metrics.config
    period = (pd.Timestamp(as_of) + pd.Timedelta(days=1)).to_period("Q")
    offset = pd.Timestamp(as_of) - period.start_time
    freq = history["period"].iloc[0].freq
    rows = []
    for back in range(1, quarters + 1):
        past = period - back
        past_as_of = past.start_time + offset
        last_complete = (past_as_of + pd.Timedelta(days=1)).to_period(freq) - 1
        known = history[history["period"] <= last_complete]
        in_quarter = history[(history["period"].map(lambda p: p.asfreq("Q", "end")) == past)]
        if known.empty or in_quarter.empty:
            continue
        months = sorted(in_quarter["period"].unique())
        ahead = [p for p in months if p > last_complete]
        done = in_quarter[in_quarter["period"] <= last_complete].groupby("segment")["bookings"].sum()
        actual = in_quarter.groupby("segment")["bookings"].sum()
        forecast = pd.Series(0.0, index=actual.index)
        if ahead:
            horizon = int((ahead[-1] - last_complete).n)
            try:
                fit = forecast_bookings(known, dataclasses.replace(config, horizon=horizon))
            except ForecastInputError:  # too little history before that quarter
                continue
            f = fit.forecast
            f = f[f["level"] == "segment"]
            f = f[pd.PeriodIndex(pd.to_datetime(f["period"]), freq=freq).isin(ahead)]
            forecast = f.groupby("segment")["p50"].sum().reindex(actual.index, fill_value=0.0)
        for segment in actual.index:
            rows.append({"quarter": str(past), "as_of": str(past_as_of.date()), "segment": segment,
                         "time_series_p50": float(done.get(segment, 0.0) + forecast[segment]),
                         "actual": float(actual[segment])})
    return pd.DataFrame(rows, columns=["quarter", "as_of", "segment", "time_series_p50", "actual"])


def combination_weight(backtest: pd.DataFrame) -> tuple[float, str, dict[str, float]]:
    """(weight of the pipeline view, the reason in words, mean absolute % error per view) from
    rows with ``actual``, ``pipeline_p50`` and ``time_series_p50`` (segments only)."""
    rows = backtest.dropna(subset=["pipeline_p50", "time_series_p50"])
    rows = rows[rows["actual"] > 0]
    if len(rows) < MIN_BACKTEST_ROWS:
        return 0.5, (f"equal weights: only {len(rows)} past segment-quarter(s) have both views "
                     f"(at least {MIN_BACKTEST_ROWS} are needed to tell them apart)"), {}
    rel_p = (rows["pipeline_p50"] - rows["actual"]) / rows["actual"]
    rel_t = (rows["time_series_p50"] - rows["actual"]) / rows["actual"]
    mse_p, mse_t = float(np.mean(rel_p ** 2)), float(np.mean(rel_t ** 2))
    accuracy = {"pipeline": float(100 * np.mean(np.abs(rel_p))),
                "time_series": float(100 * np.mean(np.abs(rel_t)))}
    if mse_p + mse_t == 0:
        return 0.5, "equal weights: both views were exact on the past quarters", accuracy
    weight = mse_t / (mse_p + mse_t)
    quarters = rows["quarter"].nunique()
    reason = (f"pipeline {weight:.0%}, time series {1 - weight:.0%}: on the last {quarters} "
              f"quarter(s) ({len(rows)} segment rows) the pipeline view was off by "
              f"{accuracy['pipeline']:.0f}% on average, the time series by "
              f"{accuracy['time_series']:.0f}%")
    return float(weight), reason, accuracy


def _quantile_points(row: pd.Series, levels: tuple[float, ...]) -> tuple[np.ndarray, np.ndarray]:
    """(probabilities, values) of one quarter distribution given by p50 and lo_L/hi_L."""
    us, values = [0.5], [float(row["p50"])]
    for lv in levels:
        lo, hi = ("p10", "p90") if lv == 80 else (f"lo_{lv:g}", f"hi_{lv:g}")
        if lo in row.index and hi in row.index:
            us += [0.5 - lv / 200, 0.5 + lv / 200]
            values += [float(row[lo]), float(row[hi])]
    order = np.argsort(us)
    u, v = np.asarray(us)[order], np.maximum.accumulate(np.asarray(values)[order])
    return u, v


def _quarter_months(forecast: pd.DataFrame, period: pd.Period) -> pd.Series:
    return pd.to_datetime(forecast["period"]).dt.to_period("Q") == period


def _time_series_quarter(result: "ForecastResult", period: pd.Period,
                         levels: tuple[float, ...]) -> pd.DataFrame:
    """Per series: the plan quarter from the monthly forecast (p50 and the levels' bounds; the
    months' distances to the p50 add up: one month's miss is rarely made up by the next) plus
    the bookings of the quarter's periods already in the history."""
    f = result.forecast[_quarter_months(result.forecast, period)]
    hist = result.history
    in_q = hist[hist["period"].map(lambda p: p.asfreq("Q", "end")) == period]
    done = in_q.groupby("segment")["bookings"].sum()
    done[TOTAL] = float(in_q["bookings"].sum())
    rows = []
    for segment, part in f.groupby("segment", sort=True):
        closed = float(done.get(segment, 0.0))
        row = {"segment": segment, "p50": closed + float(part["p50"].sum()), "months": len(part)}
        for lv in levels:
            lo, hi = ("p10", "p90") if lv == 80 else (f"lo_{lv:g}", f"hi_{lv:g}")
            if lo in part.columns:
                row[lo] = row["p50"] - float((part["p50"] - part[lo]).sum())
                row[hi] = row["p50"] + float((part[hi] - part["p50"]).sum())
        rows.append(row)
    return pd.DataFrame(rows)


def combine_quarter(result: "ForecastResult", pipeline: "PipelineResult", *,
                    targets: pd.DataFrame | None = None, quarters: int | None = None
                    ) -> QuarterForecast:
    """The plan quarter's one forecast per segment (see the module docstring).

    ``result`` is the monthly (or quarterly) time-series forecast, ``pipeline`` the pipeline
    forecast of the same data and date; ``targets`` (segment, period, target) add the gap and
    P(target); ``quarters``: past quarters the rule is backtested on (None: as many as the
    pipeline's own backtest, i.e. ``calibration_quarters``).
    """
    period, as_of = pipeline.period, pipeline.as_of
    levels = tuple(sorted({80.0} | {float(c[3:]) for c in pipeline.table.columns if c.startswith("lo_")}))
    notes: list[str] = []
    pipe_bt = pipeline.backtest if pipeline.backtest is not None else pd.DataFrame(
        columns=["quarter", "as_of", "segment", "actual", "p50"])
    quarters = quarters if quarters is not None else int(pipe_bt["quarter"].nunique())
    ts_bt = time_series_backtest(result, as_of, quarters) if quarters else pd.DataFrame(
        columns=["quarter", "as_of", "segment", "time_series_p50", "actual"])
    backtest = pipe_bt[pipe_bt["segment"] != TOTAL].rename(columns={"p50": "pipeline_p50"})[
        ["quarter", "as_of", "segment", "actual", "pipeline_p50"]].merge(
        ts_bt[["quarter", "segment", "time_series_p50", "actual"]].rename(
            columns={"actual": "ts_actual"}), on=["quarter", "segment"], how="outer")
    # The history's bookings are the truth when a bookings table was given; else the same.
    backtest["actual"] = backtest["ts_actual"].where(backtest["ts_actual"].notna(), backtest["actual"])
    backtest = backtest.drop(columns="ts_actual")
    weight, reason, accuracy = combination_weight(backtest)
    backtest["combined_p50"] = weight * backtest["pipeline_p50"] + (1 - weight) * backtest["time_series_p50"]
    if accuracy and len(backtest.dropna(subset=["combined_p50"])):
        ok = backtest.dropna(subset=["combined_p50"])
        ok = ok[ok["actual"] > 0]
        accuracy["combined"] = float(100 * np.mean(np.abs(ok["combined_p50"] - ok["actual"]) / ok["actual"]))
    backtest = backtest.sort_values(["quarter", "segment"]).reset_index(drop=True)[BACKTEST_COLUMNS]

    ts = _time_series_quarter(result, period, levels).set_index("segment") if len(result.forecast) else pd.DataFrame()
    months_needed = len(pd.period_range(period.start_time, period.end_time, freq=result.history["period"].iloc[0].freq))
    pipe = pipeline.table.set_index("segment")
    segments = [s for s in pipe.index if s != TOTAL]
    draws: dict[str, np.ndarray] = {}
    rows = []
    incomplete = []
    for segment in segments + [TOTAL]:
        sims = np.sort(np.asarray(pipeline.draws.get(segment, []), dtype=float))
        has_ts = segment in ts.index
        if has_ts:
            in_hist = int(result.history[(result.history["segment"] == segment) & (
                result.history["period"].map(lambda p: p.asfreq("Q", "end")) == period)].shape[0])
            if segment != TOTAL and ts.at[segment, "months"] + in_hist < months_needed:
                has_ts = False
                incomplete.append(segment)
        w = weight if (has_ts and len(sims)) else (1.0 if len(sims) else 0.0)
        if len(sims):
            u = (np.arange(len(sims)) + 0.5) / len(sims)
        else:
            u = np.linspace(0.0005, 0.9995, 2000)
        combined = w * sims if len(sims) else np.zeros(len(u))
        if has_ts and w < 1.0:
            qu, qv = _quantile_points(ts.loc[segment], levels)
            combined = combined + (1 - w) * np.interp(u, qu, qv)
        closed = float(pipe.at[segment, "closed_to_date"]) if segment in pipe.index else 0.0
        draws[segment] = np.maximum(combined, closed)
        rows.append({"segment": segment, "period": str(period),
                     "pipeline_p50": float(pipe.at[segment, "p50"]) if segment in pipe.index else np.nan,
                     "time_series_p50": float(ts.at[segment, "p50"]) if has_ts else np.nan,
                     "weight_pipeline": w, "closed_to_date": closed})
    if incomplete:
        notes.append(f"time-series view left out for {', '.join(incomplete)}: the forecast does not "
                     f"reach the end of {period} (raise horizon).")
    # The total is the sum of its segments' p50s (the table adds up); its spread its own.
    centre = float(sum(np.median(draws[s]) for s in segments))
    draws[TOTAL] = np.maximum(draws[TOTAL] + (centre - float(np.median(draws[TOTAL]))),
                              float(pipe.at[TOTAL, "closed_to_date"]))
    for row in rows:
        d = draws[row["segment"]]
        row["p10"], row["p50"], row["p90"] = (float(v) for v in np.quantile(d, [0.1, 0.5, 0.9]))
        for lv in levels:
            if lv != 80:
                lo, hi = np.quantile(d, [0.5 - lv / 200, 0.5 + lv / 200])
                row[f"lo_{lv:g}"], row[f"hi_{lv:g}"] = float(lo), float(hi)
    table = pd.DataFrame(rows)
    table.loc[table["segment"] == TOTAL, "p50"] = float(table.loc[table["segment"] != TOTAL, "p50"].sum())
    extra = [c for c in table.columns if c.startswith(("lo_", "hi_"))]
    table = table[TABLE_COLUMNS[:5] + extra + TABLE_COLUMNS[5:]]
    if targets is not None:
        table = _with_targets(table, targets, period, draws)
    forecast = scale_quarter(result, table, period)
    return QuarterForecast(table=table, forecast=forecast, backtest=backtest, period=period,
                           weight_pipeline=weight, rule=RULE, reason=reason, accuracy=accuracy,
                           notes=notes, draws=draws)


def _with_targets(table: pd.DataFrame, targets: pd.DataFrame, period: pd.Period,
                  draws: dict[str, np.ndarray]) -> pd.DataFrame:
    t = targets.copy()
    t["period"] = t["period"].astype(str).str.replace("-", "").str.upper()
    t = t[t["period"] == str(period)]
    goal = t.groupby(t["segment"].astype(str))["target"].sum().to_dict()
    if goal and TOTAL not in goal:
        goal[TOTAL] = float(sum(goal.values()))
    table = table.copy()
    table["target"] = table["segment"].map(goal).astype(float)
    table["gap_to_target"] = table["target"] - table["p50"]
    table["p_target"] = [float(np.mean(draws[s] >= goal[s])) if s in goal else np.nan
                         for s in table["segment"]]
    return table


def scale_quarter(result: "ForecastResult", table: pd.DataFrame, period: pd.Period) -> pd.DataFrame:
    """The monthly forecast with each segment's plan-quarter rows scaled so that they add up to
    its combined p50 (less what the history already holds of that quarter); the interval bounds
    scale with them. Regions and the total are re-summed from their segments, their intervals
    moved with their p50 (as the bottom-up reconciliation does). Column ``basis``: ``combined``
    for the scaled rows, ``time series`` for the others."""
    f = result.forecast.copy()
    f["basis"] = "time series"
    in_q = _quarter_months(f, period)
    hist = result.history
    done = hist[hist["period"].map(lambda p: p.asfreq("Q", "end")) == period].groupby("segment")["bookings"].sum()
    combined = table.set_index("segment")["p50"]
    bounds = [c for c in f.columns if c in ("p10", "p90") or c.startswith(("lo_", "hi_"))]
    segments = set(hist["segment"])
    for segment in sorted(segments & set(combined.index)):
        rows = in_q & (f["segment"] == segment)
        if not rows.any():
            continue
        want = max(float(combined[segment]) - float(done.get(segment, 0.0)), 0.0)
        have = float(f.loc[rows, "p50"].sum())
        if have > 0:
            factor = want / have
            f.loc[rows, ["p50", *bounds]] = f.loc[rows, ["p50", *bounds]] * factor
        else:  # nothing forecast: spread evenly, the intervals move with it
            shift = want / rows.sum()
            f.loc[rows, ["p50", *bounds]] = f.loc[rows, ["p50", *bounds]] + shift
        f.loc[rows, "basis"] = "combined"
    hierarchy = dict(result.metrics.hierarchy) if result.metrics.hierarchy else {}
    for node, members in hierarchy.items():
        rows = in_q & (f["segment"] == node)
        for idx in f.index[rows]:
            month = f.at[idx, "period"]
            member_rows = in_q & f["segment"].isin(members) & (f["period"] == month)
            new = float(f.loc[member_rows, "p50"].sum())
            shift = new - float(f.at[idx, "p50"])
            f.loc[idx, ["p50", *bounds]] = np.maximum(
                f.loc[idx, ["p50", *bounds]].astype(float) + shift, 0.0)
            f.at[idx, "p50"] = new
            f.at[idx, "basis"] = "combined"
    return f
