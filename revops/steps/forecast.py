"""Plan step: bookings forecast per segment (backtested) and the coming quarter's pipeline."""
from __future__ import annotations

import pandas as pd

from forecasting.api import forecast_bookings
from forecasting.history import history_from_opportunities
from forecasting.pipeline import forecast_pipeline

from revops.commands.forecast import write_outputs
from revops.report import Section
from revops.steps import StepContext, StepOutcome

TITLE = "Bookings forecast"
REQUIRES = ("opportunities",)


def run(ctx: StepContext) -> StepOutcome:
    bundle, cfg = ctx.bundle, ctx.config.forecast
    opportunities = bundle.get("opportunities")
    if bundle.has("bookings"):
        history = bundle.get("bookings")
        source = "the bookings table"
    else:
        history = history_from_opportunities(opportunities, cfg.freq, as_of=ctx.as_of)
        source = "won opportunities (close month x segment)"
    ctx.progress.info(f"  forecasting {history['segment'].nunique()} segment(s) from {source}")
    result = forecast_bookings(
        history, cfg.horizon, cfg.freq, cfg.levels, random_state=ctx.config.seed,
        n_jobs=cfg.n_jobs, backend=None if cfg.backend == "loky" else cfg.backend,
        scheduler=cfg.scheduler or None, n_origins=cfg.backtest_origins,
        fill_missing=cfg.fill_missing or None, group_season=cfg.group_season,
    )
    targets = bundle.tables.get("targets")
    pipeline = forecast_pipeline(opportunities, as_of=ctx.as_of, targets=targets,
                                 random_state=ctx.config.seed)
    write_outputs(ctx.out_dir, result, pipeline)
    overall = result.metrics.get("overall", {})
    section = Section(TITLE, anchor="forecast")
    section.paragraphs.append(
        f"Monthly bookings per segment from {source}; per segment the model is chosen by a "
        f"rolling-origin backtest ({cfg.backtest_origins} origins). Reconciliation: "
        f"{result.metrics['reconciliation']['description']}."
    )
    section.paragraphs += [f"Note: {n}" for n in result.notes + pipeline.notes]
    section.tables.append((f"Where {pipeline.period} stands: closed to date, weighted pipeline, expected new "
                           "business and the total with its interval", pipeline.table))
    section.tables.append(("Forecast (p10 / p50 / p90)", result.forecast))
    accuracy = pd.DataFrame([{"segment": k, **{m: v for m, v in vals.items() if not isinstance(v, dict)}}
                             for k, vals in result.metrics.get("segments", {}).items()])
    if not accuracy.empty:
        section.tables.append(("Backtest accuracy per segment", accuracy))
    for path in sorted((ctx.out_dir / "plots").glob("*.png")):
        section.figures.append((f"Fan chart: {path.stem.removeprefix('fan_')}", path.read_bytes()))
    # A year of forecast bookings per segment: what account potential is made of when missing.
    future = result.forecast[result.forecast["segment"].isin(history["segment"].unique())]
    months = future.groupby("segment")["p50"].mean() * (12 if cfg.freq == "M" else 4)
    summary = {k: v for k, v in overall.items() if isinstance(v, (int, float))}
    total = pipeline.table[pipeline.table["segment"] == "Total"]
    if len(total):
        summary["pipeline_expected_total"] = float(total["expected_total"].iloc[0])
    return StepOutcome(summary=summary, section=section, notes=result.notes + pipeline.notes,
                       data={"forecast": result.forecast, "annual_run_rate": months,
                             "pipeline": pipeline.table})
