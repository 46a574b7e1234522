"""Review outputs: sla_summary.csv, sla_breaches.csv, lead_feedback.csv, rejection_labels.csv,
with a previous plan plan_vs_actual.csv, stage_attainment.csv and forecast_accuracy.csv; the
figures sla_compliance.png and plan_vs_actual.png; summary.json."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from forecasting.review import ReviewResult, SlaConfig

from revops.artifacts import save_figures
from revops.flags import config_as_params
from revops.outputs import write_csv, write_json


def _times(frame: pd.DataFrame) -> pd.DataFrame:
    """Timestamps as text to the minute (the CSV of a date-time column stays readable in Excel)."""
    out = frame.copy()
    for column in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[column]):
            out[column] = out[column].dt.strftime("%Y-%m-%d %H:%M").where(out[column].notna(), None)
    return out


def write_review(result: ReviewResult, out_dir: Path) -> dict[str, Path]:
    from forecasting.review import review_figures

    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {
        "sla_summary": write_csv(out_dir / "sla_summary.csv", result.sla_summary),
        "sla_breaches": write_csv(out_dir / "sla_breaches.csv", _times(result.sla_breaches)),
        "lead_feedback": write_csv(out_dir / "lead_feedback.csv", result.lead_feedback),
        "rejection_labels": write_csv(out_dir / "rejection_labels.csv", result.rejection_labels),
    }
    if result.plan_vs_actual is not None:
        paths["plan_vs_actual"] = write_csv(out_dir / "plan_vs_actual.csv", result.plan_vs_actual)
        paths["stage_attainment"] = write_csv(out_dir / "stage_attainment.csv", result.stage_totals)
    if result.forecast_accuracy is not None:
        paths["forecast_accuracy"] = write_csv(out_dir / "forecast_accuracy.csv", result.forecast_accuracy)
    paths.update(save_figures(review_figures(result), out_dir))
    paths["summary"] = write_json(out_dir / "summary.json", {"headline": result.summary(), "notes": result.notes})
    return paths


def quarter_step(period: str | None) -> int:
    """The quarter reviewed as an MLflow step (year * 4 + quarter), so each metric of the
    forecast's accuracy reads as a series over the quarters."""
    if not period:
        return 0
    quarter = pd.Period(str(period), freq="Q")
    return quarter.year * 4 + quarter.quarter


def log_review(config: SlaConfig, result: ReviewResult, out_dir: Path | None = None, **extra) -> None:
    import mlflow

    from revops.tracking import log_folder, log_params

    log_params({**{f"sla.{k}": v for k, v in config_as_params(config).items()}, **extra})
    plan = result.previous_plan
    reviewed = plan.plan_period if plan is not None else None
    if reviewed:
        mlflow.set_tags({"revops.reviewed_plan_period": str(reviewed)})
    metrics = {}
    for key, value in result.metrics().items():
        name = "".join(c if c.isalnum() or c in "_-./ " else "_" for c in key)
        if value == value and abs(value) != float("inf"):  # finite only
            metrics[name] = float(value)
    if metrics:
        mlflow.log_metrics(metrics, step=quarter_step(reviewed))
    if out_dir is not None:
        log_folder(out_dir, "review")
