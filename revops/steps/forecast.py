"""Plan step: bookings forecast per segment (backtested), the coming quarter's pipeline, and the
one forecast of the plan quarter that combines them (``forecasting.combine``)."""
from __future__ import annotations

import pandas as pd

from revops.artifacts.forecast import log_forecast, write_forecast
from revops.artifacts.forecast import forecast_rollup_if_owned, write_rollup
from revops.report import Section, Table
from revops.steps import Step, StepContext, StepOutcome

TITLE = "Bookings forecast"


def run(ctx: StepContext) -> StepOutcome:
    from forecasting.api import forecast_bookings
    from forecasting.combine import combine_quarter
    from forecasting.history import history_from_opportunities
    from forecasting.pipeline import forecast_pipeline

    bundle, cfg = ctx.bundle, ctx.config.forecast
    opportunities = bundle.get("opportunities")
    if bundle.has("bookings"):
        history = bundle.get("bookings")
        source = "the bookings table"
    else:
        history = history_from_opportunities(opportunities, cfg.freq, as_of=ctx.as_of)
        source = "won opportunities (close month x segment)"
    ctx.progress.info(f"  forecasting {history['segment'].nunique()} segment(s) from {source}")
    result = forecast_bookings(history, cfg, random_state=ctx.config.seed)
    targets = bundle.tables.get("targets")
    pipeline = forecast_pipeline(opportunities, cfg, as_of=ctx.as_of, targets=targets,
                                 random_state=ctx.config.seed)
    quarter = combine_quarter(result, pipeline, targets=targets)
    write_forecast(ctx.out_dir, result, pipeline, quarter)
    # The roll-up rep -> manager -> segment -> total, when the deals name their owners.
    rollup = forecast_rollup_if_owned(pipeline, opportunities, bundle.tables.get("reps"),
                                      bundle.tables.get("forecast_calls"), config=cfg,
                                      seed=ctx.config.seed)
    if rollup is not None:
        write_rollup(ctx.out_dir, rollup)
    log_forecast(cfg, result, pipeline, source=source)
    ctx.state.forecast, ctx.state.pipeline, ctx.state.quarter = result, pipeline, quarter
    notes = result.notes + pipeline.notes + quarter.notes + (rollup.notes if rollup is not None else [])
    section = forecast_section(ctx, result, pipeline, quarter, source, notes)
    if rollup is not None:
        section.tables.append(rollup_table(rollup, quarter.period))
    # A year of forecast bookings per segment: what account potential is made of when missing.
    future = quarter.forecast[quarter.forecast["segment"].isin(history["segment"].unique())]
    ctx.state.annual_run_rate = future.groupby("segment")["p50"].mean() * (12 if cfg.freq == "M" else 4)
    summary = dict(result.metrics.overall_summary())
    total = pipeline.table[pipeline.table["segment"] == "Total"]
    if len(total):
        summary["pipeline_expected_total"] = float(total["expected_total"].iloc[0])
    summary["quarter_p50_total"] = float(quarter.table.loc[quarter.table["segment"] == "Total", "p50"].sum())
    summary["weight_pipeline"] = float(quarter.weight_pipeline)
    summary["open_deals_priced_by_estimate"] = int(pipeline.amounts_estimated)
    return StepOutcome(summary=summary, section=section, notes=notes)


def forecast_section(ctx: StepContext, result, pipeline, quarter, source: str, notes: list[str]) -> Section:
    cfg = ctx.config.forecast
    period = quarter.period
    section = Section(TITLE, anchor="forecast")
    accuracy = quarter.accuracy
    said = (f" On the last quarters the combined forecast was off by {accuracy['combined']:.0f}% "
            "on average." if "combined" in accuracy else "")
    section.paragraphs.append(
        f"One forecast for {period} per segment, in the headline, here and in forecast.csv: the "
        f"pipeline view (closed to date + each open deal x its win probability + expected new "
        f"business) and the time-series view (the quarter's months forecast from past bookings) "
        f"combined: {quarter.rule}. Here: {quarter.reason}.{said}")
    table = quarter.table.copy()
    # (the weights are one pair for every segment: the paragraph above gives them)
    columns = [c for c in ("segment", "target", "p50", "p10", "p90", "p_target", "gap_to_target",
                           "pipeline_p50", "time_series_p50") if c in table.columns]
    section.tables.append(Table(
        table[columns], f"{period}: the forecast per segment", key=("segment",),
        labels={"p50": "Forecast (P50)", "p10": "P10 (low)", "p90": "P90 (high)",
                "gap_to_target": "Gap to target (− is ahead)"}))
    pipe = pipeline.table
    keep = [c for c in ("segment", "closed_to_date", "open_deals", "amounts_estimated", "open_pipeline",
                        "weighted_pipeline", "expected_new", "p50") if c in pipe.columns]
    estimated = int(pipeline.amounts_estimated)
    caption = (f"The pipeline view of {period}: closed to date, open deals and expected new business"
               + (f" ({estimated:,} open deals priced from similar won deals)" if estimated else ""))
    section.tables.append(Table(pipe[keep], caption, key=("segment",),
                                labels={"p50": "Pipeline view (P50)"},
                                kinds={"open_deals": "count", "amounts_estimated": "count"}))
    monthly = quarter.forecast.copy()
    monthly = monthly[[c for c in ("segment", "period", "p50", "p10", "p90", "basis", "method")
                       if c in monthly.columns]]
    monthly["period"] = pd.to_datetime(monthly["period"]).dt.strftime("%Y-%m" if cfg.freq == "M" else "%Y-%m-%d")
    section.tables.append(Table(
        monthly, f"{'Monthly' if cfg.freq == 'M' else 'Quarterly'} forecast (forecast.csv): the "
        f"months of {period} add up to the forecast above", key=("segment", "period"),
        labels={"period": "Month" if cfg.freq == "M" else "Quarter", "method": "Time-series model",
                "basis": "Basis"}))
    backtest = quarter.backtest
    if len(backtest.dropna(subset=["pipeline_p50", "time_series_p50"])):
        section.tables.append(Table(
            backtest, "The rule on past quarters: each view, made as of the same day of the "
            "quarter, against what was booked", key=("quarter", "segment"),
            kinds={"actual": "money", "pipeline_p50": "money", "time_series_p50": "money",
                   "combined_p50": "money"},
            labels={"as_of": "Forecast made on", "actual": "Booked"}))
    seg = result.metrics.segment_table()
    if not seg.empty:
        backtested = int(seg["backtest_origins"].max()) if "backtest_origins" in seg else 0
        if backtested:
            cols = [c for c in ("segment", "method", "mase", "smape", "bias", "coverage_80",
                                "backtest_origins", "n_obs") if c in seg.columns]
            section.tables.append(Table(
                seg[cols], f"Time-series view: the model per segment, chosen on a rolling-origin "
                f"backtest of {source}", key=("segment",),
                labels={"method": "Model", "mase": "MASE (<1 beats naive)", "smape": "sMAPE (%)",
                        "n_obs": "Periods of history"},
                kinds={"smape": "percent", "bias": "share", "n_obs": "count",
                       "backtest_origins": "count"}))
        else:
            section.paragraphs.append(
                f"Time-series view: too little history of {source} for a backtest; each segment "
                f"uses {', '.join(sorted(set(seg['method'].astype(str))))}.")
    from forecasting.results import metric_key

    names = {metric_key(str(s)): str(s) for s in quarter.forecast["segment"].unique()}
    section.figure_grid = True
    for path in sorted((ctx.out_dir / "plots").glob("*.png")):
        name = path.stem.removeprefix("fan_")
        section.figures.append((f"{names.get(name, name)}: bookings by month and the forecast; the "
                                f"{period} months are the combined forecast", path.read_bytes()))
    section.paragraphs += [f"Note: {n}" for n in notes]
    return section


def rollup_table(rollup, period) -> Table:
    """The roll-up in the report: reps under managers under segments, categories beside the
    model and the calls."""
    table = rollup.table.drop(columns=[c for c in ("call_rollup", "call_note") if c in rollup.table.columns])
    if table["call"].isna().all():
        table = table.drop(columns=["call", "call_source", "call_gap", "call_flag"])
    return Table(table, f"{period}: the roll-up rep -> manager -> segment -> total (rollup.csv); "
                 "categories each on their own, the model's range simulated per node",
                 key=("level", "segment", "id"), max_rows=80,
                 labels={"parent_id": "Reports to", "best_case": "Best case",
                         "model_p50": "Model (P50)", "model_p10": "Model P10",
                         "model_p90": "Model P90", "call_gap": "Call - model"})


STEP = Step("forecast", TITLE, ("opportunities",), run)
