"""Figures of a fitted LeadScorer's holdout: calibration, lift by decile, ROC, importance.

Returns matplotlib Figures and writes nothing: the caller decides where they go (PNG files, the
HTML report, a notebook cell). The figures are built without pyplot, so no global figure list
grows and no GUI backend is needed.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from sklearn.metrics import roc_curve

from scoring.metrics import calibration_curve

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from scoring.model import LeadScorer

FIGURE_NAMES = ("calibration", "lift", "roc", "feature_importance")


def _figure(width: float, height: float) -> "Figure":
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=100)


def calibration_figure(scorer: "LeadScorer") -> "Figure":
    """Predicted P(SQL) against the observed SQL rate, per probability bin of the holdout."""
    fig = _figure(5, 5)
    ax = fig.subplots()
    curve = calibration_curve(scorer.holdout_labels_, scorer.holdout_probability_)
    ax.plot(curve["predicted"], curve["observed"], "o-", label=f"model (ECE {scorer.metrics_['ece']:.3f})")
    top = float(max(curve["predicted"].max(), curve["observed"].max(), 0.1))
    ax.plot([0, top], [0, top], "k:", label="perfect")
    ax.set(xlabel="predicted P(SQL)", ylabel="observed SQL rate", title="Calibration on the holdout")
    ax.legend(loc="upper left")
    fig.tight_layout()
    return fig


def lift_figure(scorer: "LeadScorer") -> "Figure":
    """SQL rate of each score decile over the average rate (holdout)."""
    fig = _figure(6, 4)
    ax = fig.subplots()
    d = scorer.deciles_
    ax.bar(d["decile"], d["lift"], color="tab:blue")
    ax.axhline(1.0, color="k", linestyle=":")
    ax.set(xlabel="score decile (1 = best)", ylabel="lift (SQL rate / average)",
           title="Lift by score decile (holdout)", xticks=list(d["decile"]))
    fig.tight_layout()
    return fig


def roc_figure(scorer: "LeadScorer") -> "Figure":
    """ROC curve of the kept model on the holdout."""
    fig = _figure(5, 5)
    ax = fig.subplots()
    m = scorer.metrics_
    fpr, tpr, _ = roc_curve(scorer.holdout_labels_, scorer.holdout_probability_)
    ax.plot(fpr, tpr, label=f"{m['model']} (AUC {m['roc_auc']:.3f})")
    ax.plot([0, 1], [0, 1], "k:", label="random")
    ax.set(xlabel="false positive rate", ylabel="true positive rate", title="ROC on the holdout")
    ax.legend(loc="lower right")
    fig.tight_layout()
    return fig


def feature_importance_figure(scorer: "LeadScorer") -> "Figure":
    """Mean absolute contribution (log-odds) of each used column on the holdout."""
    report = scorer.feature_report_
    used = report[report["importance"].notna()].sort_values("importance")
    fig = _figure(6, max(2.5, 0.35 * len(used) + 1))
    ax = fig.subplots()
    ax.barh(used["column"], used["importance"], color="tab:green")
    ax.set(xlabel="mean |contribution| (log-odds)", title="Feature importance (holdout)")
    fig.tight_layout()
    return fig


def figures(scorer: "LeadScorer") -> dict[str, "Figure"]:
    """Every figure of a fitted scorer by name: calibration, lift, roc, feature_importance."""
    scorer._check_fitted()
    return {"calibration": calibration_figure(scorer), "lift": lift_figure(scorer),
            "roc": roc_figure(scorer), "feature_importance": feature_importance_figure(scorer)}
