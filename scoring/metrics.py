"""How good a lead score is: ranking, calibration, and conversion by decile (pure functions)."""
from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, brier_score_loss, log_loss, roc_auc_score

EPS = 1e-6


def expected_calibration_error(y: np.ndarray, p: np.ndarray, n_bins: int = 10) -> float:
    """ECE with equal-width bins: sum over bins of share(bin) * |mean(y) - mean(p)|."""
    y, p = np.asarray(y, float), np.asarray(p, float)
    bins = np.minimum((p * n_bins).astype(np.int64), n_bins - 1)
    count = np.bincount(bins, minlength=n_bins)
    y_sum = np.bincount(bins, weights=y, minlength=n_bins)
    p_sum = np.bincount(bins, weights=p, minlength=n_bins)
    used = count > 0
    return float(np.sum(np.abs(y_sum[used] - p_sum[used])) / len(y))


def calibration_curve(y: np.ndarray, p: np.ndarray, n_bins: int = 10) -> pd.DataFrame:
    """Mean predicted vs observed conversion per equal-width probability bin (non-empty bins)."""
    y, p = np.asarray(y, float), np.asarray(p, float)
    bins = np.minimum((p * n_bins).astype(np.int64), n_bins - 1)
    frame = pd.DataFrame({"bin": bins, "y": y, "p": p}).groupby("bin", sort=True)
    out = frame.agg(leads=("y", "size"), observed=("y", "mean"), predicted=("p", "mean"))
    return out.reset_index()


def decile_table(y: np.ndarray, p: np.ndarray) -> pd.DataFrame:
    """Leads sorted by score, cut in ten equal groups; decile 1 holds the best-scored leads."""
    y, p = np.asarray(y, float), np.asarray(p, float)
    order = np.argsort(-p, kind="stable")
    groups = np.array_split(order, 10)
    base = y.mean() if len(y) else np.nan
    rows, captured = [], 0.0
    total_pos = max(y.sum(), EPS)
    for i, idx in enumerate(groups, start=1):
        conv = float(y[idx].mean()) if len(idx) else np.nan
        captured += float(y[idx].sum())
        rows.append({
            "decile": i, "leads": int(len(idx)), "sqls": int(y[idx].sum()),
            "conversion": conv, "mean_probability": float(p[idx].mean()) if len(idx) else np.nan,
            "min_probability": float(p[idx].min()) if len(idx) else np.nan,
            "lift": conv / base if base > 0 else np.nan,
            "cumulative_capture": captured / total_pos,
        })
    return pd.DataFrame(rows)


def score_metrics(y: np.ndarray, p: np.ndarray) -> dict[str, float]:
    """ROC AUC, PR AUC, log loss, Brier, ECE, base rate and top-decile lift on one holdout."""
    y, p = np.asarray(y, float), np.asarray(p, float)
    deciles = decile_table(y, p)
    two_classes = 0 < y.sum() < len(y)
    return {
        "roc_auc": float(roc_auc_score(y, p)) if two_classes else float("nan"),
        "pr_auc": float(average_precision_score(y, p)) if two_classes else float("nan"),
        "log_loss": float(log_loss(y, np.clip(p, EPS, 1 - EPS), labels=[0, 1])),
        "brier": float(brier_score_loss(y, p)),
        "ece": expected_calibration_error(y, p),
        "base_rate": float(y.mean()),
        "mean_probability": float(p.mean()),
        "top_decile_lift": float(deciles["lift"].iloc[0]),
        "n_leads": int(len(y)),
    }


def single_column_auc(y: np.ndarray, x: np.ndarray, categorical: bool) -> float:
    """How well one encoded feature alone separates SQLs, as max(AUC, 1 - AUC).

    Missing values count as their own value (missingness can leak too). A categorical code is
    replaced by its level's conversion rate, so the order of the codes does not matter.
    """
    y = np.asarray(y, float)
    x = np.asarray(x, float).copy()
    missing = ~np.isfinite(x)
    if categorical:
        codes = np.where(missing, -1, x).astype(np.int64) + 1
        rate = np.bincount(codes, weights=y) / np.maximum(np.bincount(codes), 1)
        x = rate[codes]
    elif missing.any():
        finite = x[~missing]
        x[missing] = (finite.min() - 1.0) if finite.size else 0.0
    if not 0 < y.sum() < len(y) or np.ptp(x) == 0:
        return 0.5
    auc = roc_auc_score(y, x)
    return float(max(auc, 1.0 - auc))
