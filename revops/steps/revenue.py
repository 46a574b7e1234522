"""Plan step: recurring revenue. The ARR bridge, the renewals due in the plan quarter with
P(renew) from a renewal model, renewed ARR p10/p50/p90, and unit economics.

The renewal model is the lead-scoring trainer (:class:`scoring.model.LeadScorer`) fitted on the
decided renewals the revenue engine describes (:func:`forecasting.revenue.plan_renewals`), with
a time-ordered holdout (the newest renewals); it is registered as ``renewal`` only once the
whole plan has succeeded (:func:`register_pending_renewal`), like the lead model.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from revops.report import Section, Table
from revops.steps import PendingModel, Step, StepContext, StepOutcome

TITLE = "Recurring revenue"
REASONS = ("reason_1", "reason_2", "reason_3")
METRIC_NAMES = {"new_customers": "New customers", "spend": "Spend", "cac": "CAC",
                "cost_per_won_deal": "Cost per won new deal", "cost_per_lead": "Cost per lead",
                "cost_per_sql": "Cost per SQL", "arpa": "ARR per account", "churn_rate": "Logo churn per year",
                "clv": "CLV", "clv_to_cac": "CLV : CAC", "cac_payback_months": "CAC payback (months)",
                "roi_of_spend": "ROI of spend"}


@dataclass
class RenewalFit:
    """The renewal frame, the model (None: too few decided renewals) and P(renew) of each due row."""

    plan: Any  # forecasting.revenue.RenewalPlan
    scorer: Any = None  # scoring.model.LeadScorer
    probability: np.ndarray | None = None
    training_probability: np.ndarray | None = None  # the model's P(renew) of the decided renewals
    reasons: pd.DataFrame | None = None
    notes: list[str] = field(default_factory=list)
    model: dict[str, Any] = field(default_factory=dict)  # how P(renew) was made (renewal_model.json)


def naming_files(exc: ValueError, sources: dict[str, Any]) -> ValueError:
    """The engine's error with the file of the table it names (``subscriptions, column ...``
    becomes ``data/subscriptions.csv (subscriptions), column ...``)."""
    text = str(exc)
    for table, path in sources.items():
        if path is not None and text.startswith(f"{table},"):
            return type(exc)(f"{path} ({table}){text[len(table):]}")
    return exc


def renewal_scoring_config(candidates: tuple[str, ...]):
    """The trainer's settings for renewals: label ``renewed``, one row per subscription, the
    holdout the newest renewal dates."""
    from forecasting.revenue import LABEL
    from scoring import ScoringConfig

    return ScoringConfig(target=LABEL, id_column="subscription_id", time_column="renewal_date",
                         candidates=tuple(candidates))


def fit_renewals(subscriptions: pd.DataFrame, *, as_of: pd.Timestamp, period: pd.Period,
                 accounts: pd.DataFrame | None, config, candidates: tuple[str, ...], seed: int) -> RenewalFit:
    """Train the renewal model on the decided renewals and score the ones due in ``period``."""
    from forecasting.revenue import model_columns, plan_renewals
    from scoring.model import LeadScorer

    plan = plan_renewals(subscriptions, as_of, period, accounts=accounts, config=config)
    fit = RenewalFit(plan)
    labels = plan.training["renewed"]
    if not plan.trainable(config.min_renewals):
        fit.notes.append(f"renewal model not trained: {len(labels)} decided renewal(s) "
                         f"({int((labels == '0').sum())} churned), fewer than min_renewals = "
                         f"{config.min_renewals} or one outcome only; P(renew) is each segment's past rate")
        fit.model = {"source": "segment renewal rate", "decided_renewals": int(len(labels))}
        return fit
    engine = renewal_scoring_config(candidates)
    fit.scorer = LeadScorer.from_config(engine, random_state=seed).fit(plan.training)
    m = fit.scorer.metrics_
    fit.model = {"source": "model", "model": fit.scorer.model_name_, "decided_renewals": int(len(labels)),
                 "holdout": m["holdout"], "n_holdout": m["n_holdout"], "ece": m["ece"], "roc_auc": m["roc_auc"]}
    fit.notes += [f"renewal model: {w}" for w in fit.scorer.warnings_]
    fit.training_probability = fit.scorer.predict_proba(model_columns(plan.training))
    if len(plan.due):
        scores = fit.scorer.score_frame(model_columns(plan.due))
        p = scores["probability"].to_numpy(float)
        unscored = np.isnan(p)
        if unscored.any():
            from forecasting.revenue.renewals import segment_renewal_rates

            rates = segment_renewal_rates(plan.frame)
            p[unscored] = plan.due.loc[unscored, "segment"].map(rates).fillna(rates["ALL"]).to_numpy(float)
            fit.notes.append(f"{int(unscored.sum())} due subscription(s) could not be scored "
                             "(see renewals.csv problem); they take their segment's past renewal rate")
        fit.probability = p
        fit.reasons = scores[[c for c in (*REASONS, "problem") if c in scores.columns]]
    else:
        fit.probability = np.zeros(0)
    return fit


def run(ctx: StepContext) -> StepOutcome:
    from forecasting.revenue import RevenueInputError

    try:
        return _run(ctx)
    except RevenueInputError as exc:
        raise naming_files(exc, {t: str(p) for t, p in ctx.bundle.sources.items()}) from exc


def _run(ctx: StepContext) -> StepOutcome:
    import mlflow

    from forecasting.revenue import compute_revenue

    from revops.artifacts.revenue import log_revenue, write_revenue

    cfg = ctx.config.revenue
    engine = cfg.engine()
    bundle = ctx.bundle
    fit = fit_renewals(bundle.get("subscriptions"), as_of=ctx.as_of, period=ctx.plan_period,
                       accounts=bundle.tables.get("accounts"), config=engine,
                       candidates=cfg.candidates, seed=ctx.config.seed)
    result = compute_revenue(
        bundle.get("subscriptions"), as_of=ctx.as_of, period=ctx.plan_period,
        spend=bundle.tables.get("spend"), leads=bundle.tables.get("leads"),
        opportunities=bundle.tables.get("opportunities"), config=engine, renewal_plan=fit.plan,
        probability=fit.probability if fit.scorer is not None else None, reasons=fit.reasons,
        training_probability=fit.training_probability)
    result.notes[:0] = fit.notes
    write_revenue(result, ctx.out_dir, scorer=fit.scorer, model=fit.model)
    log_revenue(engine, result, scorer=fit.scorer, renewal_model_name=cfg.model_name)
    if fit.scorer is not None:
        ctx.state.pending_renewal = PendingModel(fit.scorer, fit.scorer.holdout(fit.plan.training),
                                                 mlflow.active_run().info.run_id)
    return StepOutcome(summary=result.summary(), section=revenue_section(ctx, result, fit),
                       notes=result.notes, metrics={})


def register_pending_renewal(state, progress, config) -> dict[str, Any] | None:
    """Register the renewal model the plan trained as ``[revenue] model_name`` (never
    lead-scoring); called by the plan once every step has succeeded."""
    pending = getattr(state, "pending_renewal", None)
    if pending is None:
        return None
    from scoring import registry

    from revops.mlflow_setup import ensure_store

    ensure_store()
    name = config.revenue.model_name
    decision = registry.register(pending.scorer, pending.holdout, run_id=pending.run_id, model_name=name)
    progress.info(f"renewal model registered as {name} v{decision['version']} "
                  f"({decision['status']}: {decision['reason']})")
    return decision


def _money_columns(frame: pd.DataFrame) -> dict[str, str]:
    return {c: "money" for c in frame.columns if c.endswith("_arr") or c.startswith(("renewed_arr", "ending_arr"))
            or c in ("arr", "arr_now", "due_arr", "not_due_arr", "starting_arr")}


def revenue_section(ctx: StepContext, result, fit: RenewalFit) -> Section:
    section = Section(TITLE, anchor="revenue")
    bridge = result.bridge
    total = bridge[(bridge["segment"] == "ALL") & bridge["complete"]].sort_values("period")
    if len(total):
        last = total.iloc[-1]
        section.paragraphs.append(
            f"In {last['period']} ARR went from {last['starting_arr']:,.0f} to {last['ending_arr']:,.0f}: "
            f"gross revenue retention {last['grr']:.1%}, net revenue retention {last['nrr']:.1%}, "
            f"{last['accounts_churned']} of {last['accounts_start']} customers lost "
            f"({last['logo_churn_rate']:.1%}). An account's ARR is the sum of its active subscriptions; "
            "churn is an account falling to zero.")
    recent = bridge[bridge["period"].isin(sorted(bridge["period"].unique())[-4:])]
    table = recent.drop(columns=["period_start", "period_end", "complete"])
    section.tables.append(Table(table, "ARR bridge, last four periods", key=("segment", "period"),
                                kinds={**_money_columns(table), "grr": "share", "nrr": "share",
                                       "logo_churn_rate": "share"},
                                labels={"grr": "GRR", "nrr": "NRR"}))
    if fit.scorer is not None:
        m = fit.scorer.metrics_
        section.paragraphs.append(
            f"P(renew) of the {len(fit.plan.due)} subscriptions due in {ctx.plan_period} comes from the "
            f"renewal model ({fit.scorer.model_name_}, trained on {fit.model['decided_renewals']} decided "
            f"renewals; on the newest {m['n_holdout']}: calibration error {m['ece']:.3f}, ROC AUC "
            f"{m['roc_auc']:.3f}). Renewed ARR is simulated from those probabilities "
            f"({result.config.n_simulations} draws): p10-p90 is an 80% range.")
    forecast = result.forecast.drop(columns=["probability_source"])
    section.tables.append(Table(forecast, f"Renewals due in {ctx.plan_period} and ARR at its end "
                                "(today's book, before new business and expansion)", key=("segment",),
                                kinds=_money_columns(forecast)))
    risky = result.renewals.head(10)
    if len(risky):
        cols = [c for c in ("subscription_id", "account_id", "segment", "arr", "renewal_date", "p_renew",
                            "arr_at_risk", "reason_1") if c in risky.columns]
        section.tables.append(Table(risky[cols], "The ten renewals with the most ARR at risk",
                                    key=("subscription_id",),
                                    kinds={"arr": "money", "arr_at_risk": "money", "p_renew": "share"}))
    ue = result.unit_economics
    wide = ue.pivot_table(index="metric", columns="segment", values="value", aggfunc="first", sort=False)
    wide = wide.reset_index()
    wide["metric"] = wide["metric"].map(METRIC_NAMES).fillna(wide["metric"])
    wide.columns = [("Total" if c == "ALL" else c) for c in wide.columns]
    section.tables.append(Table(wide, f"Unit economics, {ue['period_from'].iloc[0]} to {ue['period_to'].iloc[0]} "
                                "(unit_economics.csv has the records behind each)", key=("metric",)))
    for name, caption in (("arr_bridge", "ARR bridge of the latest complete period"),
                          ("retention", "Net and gross revenue retention by segment"),
                          ("renewal_risk", f"ARR due in {ctx.plan_period}: expected to renew and at risk")):
        path = ctx.out_dir / f"{name}.png"
        if path.exists():
            section.figures.append((caption, path.read_bytes()))
    section.paragraphs += [f"Note: {n}" for n in result.notes]
    return section


STEP = Step("revenue", TITLE, ("subscriptions",), run)
