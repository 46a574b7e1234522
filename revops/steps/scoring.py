"""Plan step: train (or load) the lead model and score every lead.

A model trained here is registered only when the whole plan has succeeded
(:func:`revops.plan.run_plan`), so a plan that fails later never moves ``@champion``.
"""
from __future__ import annotations

import numpy as np

from revops.artifacts.scoring import feature_report, log_training, write_scores, write_training
from revops.report import Section
from revops.steps import PendingModel, Step, StepContext, StepOutcome

TITLE = "Lead scoring"


def run(ctx: StepContext) -> StepOutcome:
    import mlflow

    from scoring import registry
    from scoring.labels import parse_label
    from scoring.model import LeadScorer

    cfg = ctx.config.scoring
    engine = cfg.engine()
    leads = ctx.bundle.get("leads")
    if cfg.mode == "champion":
        scorer = registry.load(cfg.champion_uri())
        ctx.state.scoring_model = {"mode": "champion", "model_uri": cfg.champion_uri()}
    else:
        scorer = LeadScorer.from_config(engine, random_state=ctx.config.seed).fit(leads)
        ctx.state.scoring_model = {"mode": "train"}
    scores = scorer.score_frame(leads)
    write_scores(scores, ctx.out_dir / "lead_scores.csv")
    section = Section(TITLE, anchor="scoring")
    notes = [f"lead scoring: {w}" for w in getattr(scorer, "warnings_", [])]
    if cfg.mode == "train" and scorer.leaks_:
        # The plan-file key that drops them; a likely leak also keeps the model from becoming
        # champion on its own.
        names = ", ".join(f'"{leak["column"]}"' for leak in scorer.leaks_)
        notes.append(f"lead scoring: a likely leak keeps this model challenger; to drop it set "
                     f"[scoring] exclude = [{names}] in the plan file")
    summary: dict = {"leads_scored": int(scores["scored"].sum()),
                     "leads_not_scored": int((~scores["scored"]).sum())}
    if cfg.mode == "train":
        write_training(scorer, engine, ctx.out_dir)
        log_training(scorer, engine, ctx.config.seed)
        holdout = scorer.holdout(leads)
        ctx.state.pending_model = PendingModel(scorer, holdout, mlflow.active_run().info.run_id)
        m = scorer.metrics_
        summary.update({k: float(m[k]) for k in ("roc_auc", "pr_auc", "log_loss", "brier", "ece") if k in m})
        section.paragraphs.append(
            f"Model kept: {scorer.model_name_} (better holdout log loss of the candidates). On the "
            f"{'newest' if engine.time_column else 'held-out'} leads: ROC AUC {m['roc_auc']:.3f}, "
            f"calibration error {m['ece']:.3f}, Brier {m['brier']:.3f}. Probabilities are calibrated: "
            "the funnel plan uses them as expected SQLs."
        )
        section.tables.append(("Conversion and lift by score decile", scorer.deciles_))
        report = feature_report(scorer)
        used = scorer.feature_report_
        section.tables.append(("Columns: used or dropped, and why",
                               report.drop(columns=[c for c in report.columns
                                                    if c not in used.columns and c != "notes"])))
        for name, caption in (("calibration", "Calibration: predicted vs observed SQL rate"),
                              ("lift", "Lift by decile"), ("roc", "ROC on the holdout"),
                              ("feature_importance", "What drives the score")):
            path = ctx.out_dir / f"{name}.png"
            if path.exists():
                section.figures.append((caption, path.read_bytes()))
    else:
        section.paragraphs.append(f"Leads scored with {cfg.champion_uri()}.")
    section.paragraphs += [f"Note: {n}" for n in notes]
    if summary["leads_not_scored"]:
        notes.append(f"{summary['leads_not_scored']} lead(s) could not be scored; see 'problem' in lead_scores.csv")
    # Open leads: no label yet (or no label column at all, when scoring with the champion).
    target = scorer.target_ if cfg.mode == "train" else engine.target
    if target in leads.columns:
        open_mask = np.isnan(parse_label(leads[target], positive=engine.positive, negative=engine.negative))
    else:
        open_mask = np.ones(len(leads), dtype=bool)
    open_scores = scores.loc[open_mask & scores["scored"].to_numpy(), [scorer.id_col_, "probability"]]
    open_scores = open_scores.rename(columns={scorer.id_col_: "lead_id"})
    ctx.state.open_lead_scores = open_scores
    summary["open_leads"] = int(len(open_scores))
    summary["expected_sqls_from_open_leads"] = float(open_scores["probability"].sum())
    tiers = scores.loc[open_mask, "tier"].value_counts().sort_index()
    section.tables.append(("Open leads by tier (what inside sales works next)",
                           tiers.rename_axis("tier").reset_index(name="open_leads")))
    return StepOutcome(summary=summary, section=section, notes=notes, metrics=summary)


STEP = Step("scoring", TITLE, ("leads",), run)
