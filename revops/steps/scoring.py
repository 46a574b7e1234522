"""Plan step: train (or load) the lead model, score every lead, register the challenger."""
from __future__ import annotations

import numpy as np
import pandas as pd

from scoring import registry
from scoring.labels import parse_label
from scoring.model import LeadScorer
from scoring.plots import write_plots

from revops.outputs import write_csv, write_json
from revops.report import Section
from revops.steps import StepContext, StepOutcome

TITLE = "Lead scoring"
REQUIRES = ("leads",)


def _scorer(ctx: StepContext, leads: pd.DataFrame) -> tuple[LeadScorer, dict]:
    cfg = ctx.config.scoring
    if cfg.mode == "champion":
        return registry.load(cfg.model_uri), {"mode": "champion", "model_uri": cfg.model_uri}
    scorer = LeadScorer(
        target=cfg.target, id_col=cfg.id_column, time_col=cfg.time_column or None,
        positive=cfg.positive or None, exclude=cfg.exclude,
        tier_thresholds=cfg.tier_thresholds or None, random_state=ctx.config.seed,
    ).fit(leads)
    return scorer, {"mode": "train"}


def run(ctx: StepContext) -> StepOutcome:
    cfg = ctx.config.scoring
    leads = ctx.bundle.get("leads")
    scorer, how = _scorer(ctx, leads)
    scores = scorer.score_frame(leads)
    write_csv(ctx.out_dir / "lead_scores.csv", scores)
    section = Section(TITLE, anchor="scoring")
    notes = [f"lead scoring: {w}" for w in getattr(scorer, "warnings_", [])]
    summary: dict = {"leads_scored": int(scores["scored"].sum()),
                     "leads_not_scored": int((~scores["scored"]).sum())}
    if how["mode"] == "train":
        write_plots(scorer, ctx.out_dir)
        report = scorer.feature_report_.assign(notes=scorer.feature_report_["notes"].map("; ".join))
        write_csv(ctx.out_dir / "feature_report.csv", report)
        write_csv(ctx.out_dir / "deciles.csv", scorer.deciles_)
        write_json(ctx.out_dir / "metrics.json", {
            "metrics": scorer.metrics_, "candidates": scorer.candidates_,
            "tier_thresholds": list(scorer.tier_thresholds_), "warnings": scorer.warnings_,
            "deciles": scorer.deciles_.to_dict(orient="records"),
        })
        holdout = leads[leads[cfg.id_column].isin(scorer.holdout_ids_)]
        # The registry decision depends on what the store held before: it goes to MLflow and
        # to summary.json's "mlflow" block, not into the step's files.
        how["registry"] = registry.register(scorer, holdout)
        m = scorer.metrics_
        summary.update({k: float(m[k]) for k in ("roc_auc", "pr_auc", "log_loss", "brier", "ece") if k in m})
        section.paragraphs.append(
            f"Model kept: {scorer.model_name_} (better holdout log loss of the candidates). On the "
            f"{'newest' if cfg.time_column else 'held-out'} leads: ROC AUC {m['roc_auc']:.3f}, "
            f"calibration error {m['ece']:.3f}, Brier {m['brier']:.3f}. Probabilities are calibrated: "
            "the funnel plan uses them as expected SQLs."
        )
        section.tables.append(("Conversion and lift by score decile", scorer.deciles_))
        used = scorer.feature_report_
        section.tables.append(("Columns: used or dropped, and why", report.drop(columns=[c for c in report.columns
                                                                               if c not in used.columns and c != "notes"])))
        for name, caption in (("calibration.png", "Calibration: predicted vs observed SQL rate"),
                              ("lift.png", "Lift by decile"), ("roc.png", "ROC on the holdout"),
                              ("feature_importance.png", "What drives the score")):
            if (ctx.out_dir / name).exists():
                section.figures.append((caption, (ctx.out_dir / name).read_bytes()))
    else:
        section.paragraphs.append(f"Leads scored with {cfg.model_uri}.")
    section.paragraphs += [f"Note: {n}" for n in notes]
    if summary["leads_not_scored"]:
        notes.append(f"{summary['leads_not_scored']} lead(s) could not be scored; see 'problem' in lead_scores.csv")
    # Open leads: no label yet (or no label column at all, when scoring with the champion).
    if cfg.target in leads.columns:
        open_mask = np.isnan(parse_label(leads[cfg.target], positive=cfg.positive or None))
    else:
        open_mask = np.ones(len(leads), dtype=bool)
    open_scores = scores.loc[open_mask & scores["scored"].to_numpy(), [cfg.id_column, "probability"]]
    open_scores = open_scores.rename(columns={cfg.id_column: "lead_id"})
    summary["open_leads"] = int(len(open_scores))
    summary["expected_sqls_from_open_leads"] = float(open_scores["probability"].sum())
    tiers = scores.loc[open_mask, "tier"].value_counts().sort_index()
    section.tables.append(("Open leads by tier (what inside sales works next)",
                           tiers.rename_axis("tier").reset_index(name="open_leads")))
    return StepOutcome(summary=summary, section=section, notes=notes,
                       data={"open_lead_scores": open_scores, "lead_model": how})
