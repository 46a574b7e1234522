"""Bookings forecast outputs: forecast.csv, backtest.csv, metrics.json, pipeline.csv,
open_deals.csv, plots/fan_*.png, models.joblib."""
from __future__ import annotations

from pathlib import Path

from forecasting import ForecastConfig
from forecasting.api import ForecastResult

from revops.artifacts import save_figures
from revops.flags import config_as_params
from revops.outputs import write_csv, write_json


def slug(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in str(name)).lower()


def fan_charts(result: ForecastResult) -> dict[str, object]:
    """One fan chart per segment and for the total (regions: their table rows are enough)."""
    from forecasting.plots import fan_chart

    hist = result.history
    totals = hist.groupby("period", as_index=False)["bookings"].sum()
    figures: dict[str, object] = {}
    segments = set(hist["segment"])
    for name, frame in result.forecast.groupby("segment", sort=True):
        if name in segments:
            series = hist[hist["segment"] == name]
        elif frame["level"].iloc[0] == "total":
            series = totals
        else:
            continue
        figures[f"fan_{slug(name)}"] = fan_chart(series, frame, f"{name}: bookings forecast")
    if "Total" not in set(result.forecast["segment"]):  # one segment: its chart is the total
        figures["fan_total"] = fan_chart(totals, result.forecast, "Total: bookings forecast")
    return figures


def write_forecast(folder: Path, result: ForecastResult, pipeline=None) -> dict[str, Path]:
    """Every forecast output into ``folder``; ``pipeline`` (a PipelineResult) adds its tables."""
    import joblib

    folder.mkdir(parents=True, exist_ok=True)
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
            deals[["opportunity_id", "segment", "created", "amount", "stage", "probability"]])
    paths.update(save_figures(fan_charts(result), folder / "plots", dpi=100))
    joblib.dump(result.models, folder / "models.joblib")
    paths["models"] = folder / "models.joblib"
    return paths


def log_forecast(config: ForecastConfig, result: ForecastResult, pipeline=None, *,
                 source: str | None = None, out_dir: Path | None = None) -> None:
    """Parameters (the configuration), metrics (backtest accuracy, pipeline expectation)."""
    from revops.tracking import log_folder, log_metrics, log_params

    params = {**config_as_params(config), "n_segments": int(result.history["segment"].nunique())}
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
