"""Bookings forecast outputs: forecast.csv, backtest.csv, metrics.json, pipeline.csv,
open_deals.csv, plots/fan_*.png, models.joblib."""
from __future__ import annotations

from pathlib import Path

from forecasting import ForecastConfig, fan_charts
from forecasting.api import ForecastResult

from revops.artifacts import save_figures
from revops.flags import config_as_params
from revops.outputs import write_csv, write_json


def write_forecast(folder: Path, result: ForecastResult, pipeline=None, quarter=None) -> dict[str, Path]:
    """Every forecast output into ``folder``; ``pipeline`` (a PipelineResult) adds its tables;
    ``quarter`` (a ``forecasting.combine.QuarterForecast``) makes forecast.csv and the fan charts
    show the combined plan quarter, and adds quarter.csv and quarter_backtest.csv."""
    import dataclasses

    import joblib

    folder.mkdir(parents=True, exist_ok=True)
    if quarter is not None:
        result = dataclasses.replace(result, forecast=quarter.forecast)
    paths = {
        "forecast": write_csv(folder / "forecast.csv", result.forecast),
        "backtest": write_csv(folder / "backtest.csv", result.backtest),
        "metrics": write_json(folder / "metrics.json", result.metrics.to_dict()),
    }
    if pipeline is not None:
        paths["pipeline"] = write_csv(folder / "pipeline.csv", pipeline.table)
        deals = pipeline.open_deals.assign(created=pipeline.open_deals["created"].dt.strftime("%Y-%m-%d"))
        paths["open_deals"] = write_csv(
            folder / "open_deals.csv",
            deals[["opportunity_id", "segment", "created", "amount", "stage", "probability"]
                  + (["amount_estimated"] if "amount_estimated" in deals.columns else [])])
    if quarter is not None:
        paths["quarter"] = write_csv(folder / "quarter.csv", quarter.table)
        paths["quarter_backtest"] = write_csv(folder / "quarter_backtest.csv", quarter.backtest)
    paths.update(save_figures(fan_charts(result), folder / "plots", dpi=100))
    joblib.dump(result.models, folder / "models.joblib")
    paths["models"] = folder / "models.joblib"
    return paths


def log_forecast(config: ForecastConfig, result: ForecastResult, pipeline=None, *,
                 source: str | None = None, out_dir: Path | None = None) -> None:
    """Parameters (the configuration), metrics (backtest accuracy, pipeline expectation)."""
    from revops.tracking import log_folder, log_metrics, log_params

    # The configuration as run (levels with 80, the backtest step chosen, the group season used).
    params = {**config_as_params(result.metrics.config), "n_segments": int(result.history["segment"].nunique())}
    if source:
        params["source"] = source
    log_params(params)
    metrics = dict(result.metrics.metrics())
    if pipeline is not None:
        total = pipeline.table[pipeline.table["segment"] == "Total"]
        if len(total):
            metrics["pipeline_expected_total"] = float(total["expected_total"].iloc[0])
    log_metrics(metrics)
    if out_dir is not None:
        log_folder(out_dir)


def forecast_rollup_if_owned(pipeline, opportunities, reps=None, calls=None, *,
                             config: ForecastConfig | None = None, seed: int = 0):
    """The roll-up of the pipeline forecast (``forecasting.rollup.RollupResult``) when the
    opportunities name their owners (``owner_rep_id`` with a value), else None. ``seed`` must
    be the pipeline forecast's, so the roll-up redraws its simulation exactly."""
    if pipeline is None or opportunities is None or "owner_rep_id" not in opportunities.columns:
        return None
    owners = opportunities["owner_rep_id"].astype("string").str.strip()
    if not (owners.notna() & (owners != "")).any():
        return None
    from forecasting.rollup import forecast_rollup

    return forecast_rollup(pipeline, opportunities, reps, calls,
                           categories=config.categories if config is not None else None,
                           random_state=seed)


def write_rollup(folder: Path, rollup) -> dict[str, Path]:
    """rollup.csv: one row per rep, manager, segment and the total (``forecasting.rollup``)."""
    folder.mkdir(parents=True, exist_ok=True)
    return {"rollup": write_csv(folder / "rollup.csv", rollup.table)}
