"""Plan step: bookings forecast per segment (backtested) and the coming quarter's pipeline."""
from __future__ import annotations

import pandas as pd

from revops.artifacts.forecast import log_forecast, write_forecast
from revops.report import Section
from revops.steps import Step, StepContext, StepOutcome

TITLE = "Bookings forecast"


def run(ctx: StepContext) -> StepOutcome:
    from forecasting.api import forecast_bookings
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
    write_forecast(ctx.out_dir, result, pipeline)
    log_forecast(cfg, result, pipeline, source=source)
    ctx.state.forecast, ctx.state.pipeline = result, pipeline
    section = Section(TITLE, anchor="forecast")
    section.paragraphs.append(
        f"{'Monthly' if cfg.freq == 'M' else 'Quarterly'} bookings per segment from {source}; per "
        f"segment the model is chosen by a rolling-origin backtest ({cfg.backtest_origins} origins). "
        f"Reconciliation: {result.metrics.reconciliation}."
    )
    section.paragraphs += [f"Note: {n}" for n in result.notes + pipeline.notes]
    section.tables.append((f"Where {pipeline.period} stands: closed to date, weighted pipeline, expected new "
                           "business and the total with its interval", pipeline.table))
    section.tables.append(("Forecast (p10 / p50 / p90)", result.forecast))
    accuracy = result.metrics.segment_table()
    if not accuracy.empty:
        section.tables.append(("Backtest accuracy per segment", accuracy))
    for path in sorted((ctx.out_dir / "plots").glob("*.png")):
        section.figures.append((f"Fan chart: {path.stem.removeprefix('fan_')}", path.read_bytes()))
    # A year of forecast bookings per segment: what account potential is made of when missing.
    future = result.forecast[result.forecast["segment"].isin(history["segment"].unique())]
    ctx.state.annual_run_rate = future.groupby("segment")["p50"].mean() * (12 if cfg.freq == "M" else 4)
    summary = dict(result.metrics.overall_summary())
    total = pipeline.table[pipeline.table["segment"] == "Total"]
    if len(total):
        summary["pipeline_expected_total"] = float(total["expected_total"].iloc[0])
    return StepOutcome(summary=summary, section=section, notes=result.notes + pipeline.notes)


STEP = Step("forecast", TITLE, ("opportunities",), run)
