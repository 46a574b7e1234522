"""Revenue outputs: arr_bridge.csv, renewals.csv, renewal_forecast.csv, unit_economics.csv,
renewal_model.json, the plots (arr_bridge.png, retention.png, renewal_risk.png), summary.json."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from revops.artifacts import save_figures
from revops.flags import config_as_params
from revops.outputs import write_csv, write_json


def renewal_model_record(scorer: Any, model: dict[str, Any]) -> dict[str, Any]:
    """What the renewal model was and how good it is on its time-ordered holdout."""
    if scorer is None:
        return model
    return {**model, "metrics": scorer.metrics_, "warnings": scorer.warnings_,
            "features": scorer.feature_report_.assign(
                notes=scorer.feature_report_["notes"].map("; ".join)).to_dict(orient="records"),
            "deciles": scorer.deciles_.to_dict(orient="records")}


def write_revenue(result, out_dir: Path, *, scorer: Any = None, model: dict[str, Any] | None = None) -> dict[str, Path]:
    """Every file of the revenue step (the command and the plan write the same)."""
    from forecasting.revenue import revenue_figures

    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {
        "arr_bridge": write_csv(out_dir / "arr_bridge.csv", result.bridge),
        "renewals": write_csv(out_dir / "renewals.csv", result.renewals),
        "renewal_forecast": write_csv(out_dir / "renewal_forecast.csv", result.forecast),
        "unit_economics": write_csv(out_dir / "unit_economics.csv", result.unit_economics),
    }
    record = renewal_model_record(scorer, model or {})
    paths["renewal_model"] = write_json(out_dir / "renewal_model.json", record)
    paths.update(save_figures(revenue_figures(result.bridge, result.renewals, result.forecast), out_dir))
    paths["summary"] = write_json(out_dir / "summary.json", {"headline": result.summary(), "notes": result.notes})
    return paths


def log_revenue(config, result, out_dir: Path | None = None, *, scorer: Any = None, **extra: Any) -> None:
    """Parameters (the configuration), headline metrics, the renewal model's holdout metrics."""
    from revops.tracking import log_folder, log_metrics, log_params

    log_params({**config_as_params(config), **extra})
    log_metrics({k: v for k, v in result.summary().items() if isinstance(v, (int, float))})
    if scorer is not None:
        log_metrics({f"renewal_holdout_{k}": v for k, v in scorer.metrics_.items()
                     if k in ("roc_auc", "pr_auc", "log_loss", "brier", "ece")})
    if out_dir is not None:
        log_folder(out_dir, "revenue")
