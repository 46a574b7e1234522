"""Lead model outputs: metrics.json, feature_report.csv, deciles.csv, the plots, and scores."""
from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pandas as pd

from scoring import ScoringConfig
from scoring.model import LeadScorer

from revops.artifacts import save_figures
from revops.flags import config_as_params
from revops.outputs import write_csv, write_json


def feature_report(scorer: LeadScorer) -> pd.DataFrame:
    return scorer.feature_report_.assign(notes=scorer.feature_report_["notes"].map("; ".join))


def training_record(scorer: LeadScorer, config: ScoringConfig) -> dict[str, Any]:
    """metrics.json: the same keys from ``revops score train`` and from the plan."""
    return {
        "config": dataclasses.asdict(config),
        "metrics": scorer.metrics_,
        "candidates": scorer.candidates_,
        "tier_thresholds": list(scorer.tier_thresholds_),
        "warnings": scorer.warnings_,
        "deciles": scorer.deciles_.to_dict(orient="records"),
        "features": scorer.feature_report_.to_dict(orient="records"),
    }


def write_training(scorer: LeadScorer, config: ScoringConfig, out_dir: Path) -> dict[str, Path]:
    """metrics.json, feature_report.csv, deciles.csv, roc/calibration/lift/feature_importance.png."""
    from scoring.plots import figures

    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {
        "metrics": write_json(out_dir / "metrics.json", training_record(scorer, config)),
        "feature_report": write_csv(out_dir / "feature_report.csv", feature_report(scorer)),
        "deciles": write_csv(out_dir / "deciles.csv", scorer.deciles_),
    }
    paths.update(save_figures(figures(scorer), out_dir, dpi=100))
    return paths


def write_scores(scores: pd.DataFrame, path: Path) -> Path:
    return write_csv(path, scores)


def log_training(scorer: LeadScorer, config: ScoringConfig, seed: int, **extra: Any) -> None:
    """Parameters (the configuration, the model kept), holdout metrics, candidates' metrics."""
    from revops.tracking import log_metrics, log_params

    log_params({**config_as_params(config), "model": scorer.model_name_,
                "calibration": scorer.calibration, "seed": seed, **extra})
    log_metrics({f"holdout_{k}": v for k, v in scorer.metrics_.items()})
    for name, metrics in scorer.candidates_.items():
        log_metrics({f"{name}_{k}": v for k, v in metrics.items()
                     if k in ("roc_auc", "pr_auc", "log_loss", "brier", "ece")})
