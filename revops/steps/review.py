"""Plan step: the SLA kept or not, sales' feedback, and the last plan against what happened.

Runs when the data has activities or ``[data] previous_plan`` names the last plan's folder;
otherwise it is skipped with a note. ``revops review`` runs the same :func:`run_review`.
"""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from revops.errors import ConfigError, RevopsError
from revops.report import Section, Table
from revops.steps import Step, StepContext, StepOutcome

TITLE = "Review: SLA, lead feedback and the last plan"
BREACHES_SHOWN = 25


def read_previous_plan(folder: str | Path):
    """The last plan as :class:`forecasting.review.PreviousPlan`, from its output folder
    (summary.json, funnel/funnel_plan.csv, forecast/forecast.csv, forecast/quarter.csv)."""
    from forecasting.review import PreviousPlan

    folder = Path(folder)
    summary_path = folder / "summary.json"
    if not summary_path.is_file():
        raise ConfigError(f"{folder}: not a plan folder (no summary.json). Point the previous plan "
                          "(--plan, or [data] previous_plan) at the --out folder of an earlier "
                          "'revops plan'.")
    try:
        summary = json.loads(summary_path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{summary_path}: not a plan summary ({exc}).") from exc

    def table(*parts: str) -> pd.DataFrame | None:
        path = folder.joinpath(*parts)
        return pd.read_csv(path) if path.is_file() else None

    as_of = summary.get("as_of")
    return PreviousPlan(as_of=pd.Timestamp(as_of) if as_of else None, plan_period=summary.get("plan_period"),
                        funnel_plan=table("funnel", "funnel_plan.csv"),
                        forecast=table("forecast", "forecast.csv"), quarter=table("forecast", "quarter.csv"))


def run_review(bundle, config, as_of: pd.Timestamp, *, previous_plan=None,
               scores: pd.DataFrame | None = None):
    """The review of ``bundle``'s leads, activities and opportunities (``config``: the plan's
    :class:`PlanConfig`). An engine input error names the file it came from."""
    from forecasting.review import ReviewInputError, review

    label = config.scoring.target if config.scoring.target else "is_sql"
    try:
        return review(bundle.get("leads"), bundle.tables.get("activities"), as_of=as_of,
                      config=config.sla, opportunities=bundle.tables.get("opportunities"),
                      scores=scores, previous_plan=previous_plan, label=label)
    except ReviewInputError as exc:
        text = str(exc)
        table = text.split(":", 1)[0]
        if table in bundle.sources:
            text = f"{bundle.sources[table]}:{text.split(':', 1)[1]}"
        raise RevopsError(text) from exc


def run(ctx: StepContext) -> StepOutcome:
    from revops.artifacts.review import log_review, write_review

    previous = ctx.config.data.previous_plan
    if not ctx.bundle.has("activities") and previous is None:
        note = ("review skipped: no activities table and no [data] previous_plan (add activities.csv "
                "to hold the leads against the SLA, or name the last plan's folder)")
        return StepOutcome(status="skipped", notes=[note], section=Section(TITLE, [f"Note: {note}."]))
    plan = read_previous_plan(previous) if previous is not None else None
    scores_path = ctx.out_dir.parent / "scoring" / "lead_scores.csv"  # this plan's scoring step
    scores = pd.read_csv(scores_path, usecols=["lead_id", "tier"]) if scores_path.is_file() else None
    result = run_review(ctx.bundle, ctx.config, ctx.as_of, previous_plan=plan, scores=scores)
    write_review(result, ctx.out_dir)
    log_review(ctx.config.sla, result, previous_plan=str(previous))
    return StepOutcome(summary=result.summary(), section=review_section(result, ctx.out_dir),
                       notes=[f"review: {n}" for n in result.notes])


def review_section(result, out_dir: Path) -> Section:
    from forecasting.review.sla import ALL

    cfg = result.config
    first_touch = ("the same day" if cfg.first_touch == "same_day"
                   else f"within {cfg.first_touch:g} business hours")
    section = Section(TITLE, anchor="review")
    section.paragraphs.append(
        f"The SLA: every lead touched {first_touch} and worked {cfg.cadence_label} "
        f"(times in {cfg.timezone}), as of {result.as_of.date()}. Leads whose cadence window is "
        "not over are counted apart; compliant = first touch in time and cadence met.")
    if result.has_activities:
        summary = result.sla_summary
        overall = summary[summary["month"] == ALL].copy()
        overall["segment"] = overall["segment"].replace({ALL: "Total"})
        shown = ["segment", "leads", "first_touch_same_day_share", "first_touch_in_sla_share",
                 "median_minutes_to_first_touch", "cadence_met_share", "cadence_window_open",
                 "sql_rate_compliant", "sql_rate_compliant_low", "sql_rate_compliant_high",
                 "sql_rate_non_compliant", "sql_rate_non_compliant_low", "sql_rate_non_compliant_high"]
        pct = {c: "share" for c in shown if "share" in c or "rate" in c}
        section.tables.append(Table(
            overall[shown], "SLA compliance per segment (all months; SQL rates with 95 % Wilson intervals)",
            key=("segment",), kinds={**pct, "leads": "count", "cadence_window_open": "count",
                                     "median_minutes_to_first_touch": "count"},
            labels={"first_touch_same_day_share": "Touched the same day",
                    "first_touch_in_sla_share": "First touch in SLA",
                    "median_minutes_to_first_touch": "Median minutes to first touch",
                    "cadence_met_share": "Cadence met", "cadence_window_open": "Window still open",
                    "sql_rate_compliant": "SQL rate, compliant", "sql_rate_non_compliant": "SQL rate, not compliant"}))
        breaches = result.sla_breaches
        section.paragraphs.append(
            f"{len(breaches)} open leads breach the SLA now (sla_breaches.csv, oldest first; "
            f"the {min(len(breaches), BREACHES_SHOWN)} oldest below).")
        section.tables.append(Table(
            breaches.head(BREACHES_SHOWN)[["lead_id", "segment", "owner_rep_id", "age_days", "breach",
                                           "calls", "emails"]],
            "Open leads in breach", key=("lead_id",), kinds={"age_days": "days", "calls": "count",
                                                               "emails": "count"},
            empty_note="no open lead breaches the SLA"))
    feedback = result.lead_feedback
    if len(feedback):
        section.tables.append(Table(
            feedback, "Sales' verdict on the leads: acceptance by source, score tier and rejection reason",
            key=("by", "value"), kinds={"acceptance_rate": "share", "share_of_rejections": "share"}))
    if result.stage_totals is not None:
        plan = result.previous_plan
        section.paragraphs.append(
            f"The last plan ({plan.plan_period}, made as of "
            f"{plan.as_of.date() if plan.as_of is not None else 'unknown'}) against what happened: "
            "each stage's attainment, and the bottleneck (the stage furthest below the stage feeding it).")
        section.tables.append(Table(
            result.stage_totals, "Plan vs actual by stage", key=("segment", "stage"),
            kinds={"planned": "count", "actual": "count", "attainment": "share", "relative_to_previous": "share"},
            empty_note="no month of the last plan is over yet"))
    if result.forecast_accuracy is not None:
        section.tables.append(Table(
            result.forecast_accuracy, "The last plan's forecast against actual bookings",
            key=("segment", "period"), kinds={"p10": "money", "p50": "money", "p90": "money",
                                              "actual": "money", "error": "money", "abs_pct_error": "share"},
            empty_note="no period of the last plan's forecast is over yet"))
    for name, caption in (("sla_compliance", "SLA compliance by month and segment"),
                          ("plan_vs_actual", "The last plan vs actual by stage")):
        path = out_dir / f"{name}.png"
        if path.exists():
            section.figures.append((caption, path.read_bytes()))
    section.paragraphs += [f"Note: {n}" for n in result.notes]
    return section


STEP = Step("review", TITLE, ("leads",), run)
