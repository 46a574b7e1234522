"""Plots of a fitted LeadScorer's holdout: ROC, calibration, lift by decile, importance (PNG)."""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from sklearn.metrics import roc_curve  # noqa: E402

from scoring.metrics import calibration_curve  # noqa: E402


def _save(fig, path: Path) -> Path:
    fig.tight_layout()
    # No timestamps in the PNG metadata: same model, same bytes.
    fig.savefig(path, dpi=100, metadata={"Software": None})
    plt.close(fig)
    return path


def write_plots(scorer, out_dir: str | Path) -> dict[str, Path]:
    """Write roc.png, calibration.png, lift.png and feature_importance.png; return their paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    y, p = scorer.holdout_labels_, scorer.holdout_probability_
    m = scorer.metrics_
    paths = {}

    fig, ax = plt.subplots(figsize=(5, 5))
    fpr, tpr, _ = roc_curve(y, p)
    ax.plot(fpr, tpr, label=f"{m['model']} (AUC {m['roc_auc']:.3f})")
    ax.plot([0, 1], [0, 1], "k:", label="random")
    ax.set(xlabel="false positive rate", ylabel="true positive rate", title="ROC on the holdout")
    ax.legend(loc="lower right")
    paths["roc"] = _save(fig, out / "roc.png")

    fig, ax = plt.subplots(figsize=(5, 5))
    curve = calibration_curve(y, p)
    ax.plot(curve["predicted"], curve["observed"], "o-", label=f"model (ECE {m['ece']:.3f})")
    top = float(max(curve["predicted"].max(), curve["observed"].max(), 0.1))
    ax.plot([0, top], [0, top], "k:", label="perfect")
    ax.set(xlabel="predicted P(SQL)", ylabel="observed SQL rate", title="Calibration on the holdout")
    ax.legend(loc="upper left")
    paths["calibration"] = _save(fig, out / "calibration.png")

    fig, ax = plt.subplots(figsize=(6, 4))
    d = scorer.deciles_
    ax.bar(d["decile"], d["lift"], color="tab:blue")
    ax.axhline(1.0, color="k", linestyle=":")
    ax.set(xlabel="score decile (1 = best)", ylabel="lift (SQL rate / average)",
           title="Lift by score decile (holdout)", xticks=list(d["decile"]))
    paths["lift"] = _save(fig, out / "lift.png")

    report = scorer.feature_report_
    used = report[report["importance"].notna()].sort_values("importance")
    fig, ax = plt.subplots(figsize=(6, max(2.5, 0.35 * len(used) + 1)))
    ax.barh(used["column"], used["importance"], color="tab:green")
    ax.set(xlabel="mean |contribution| (log-odds)", title="Feature importance (holdout)")
    paths["feature_importance"] = _save(fig, out / "feature_importance.png")
    return paths
