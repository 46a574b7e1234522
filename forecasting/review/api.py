"""One review: the SLA kept (or not), sales' feedback, and the last plan against what happened."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from forecasting.review.accuracy import accuracy_metrics, forecast_accuracy
from forecasting.review.activities import dispositions, prepare_activities, prepare_leads
from forecasting.review.breaches import sla_breaches
from forecasting.review.config import SlaConfig
from forecasting.review.feedback import lead_feedback, rejection_labels
from forecasting.review.plan_vs_actual import plan_vs_actual
from forecasting.review.sla import ALL, lead_sla, sla_summary


@dataclass
class PreviousPlan:
    """What the last plan said, as its folder holds it: ``funnel_plan`` (funnel/funnel_plan.csv),
    ``forecast`` (forecast/forecast.csv, monthly), ``quarter`` (forecast/quarter.csv), when it was
    made and for which quarter."""

    as_of: pd.Timestamp | None = None
    plan_period: str | None = None
    funnel_plan: pd.DataFrame | None = None
    forecast: pd.DataFrame | None = None
    quarter: pd.DataFrame | None = None


@dataclass
class ReviewResult:
    config: SlaConfig
    as_of: pd.Timestamp
    leads: pd.DataFrame            # one row per lead with its SLA facts (lead_sla)
    sla_summary: pd.DataFrame
    sla_breaches: pd.DataFrame
    lead_feedback: pd.DataFrame
    rejection_labels: pd.DataFrame
    plan_vs_actual: pd.DataFrame | None = None
    stage_totals: pd.DataFrame | None = None
    forecast_accuracy: pd.DataFrame | None = None
    previous_plan: PreviousPlan | None = None
    has_activities: bool = False
    notes: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        """Headline numbers (summary.json and the command's --json)."""
        overall = self.sla_summary[(self.sla_summary["segment"] == ALL) & (self.sla_summary["month"] == ALL)]
        out: dict[str, Any] = {"as_of": str(self.as_of.date()), "sla": self.config.cadence_label,
                               "open_leads_in_breach": int(len(self.sla_breaches))}
        if self.has_activities and len(overall):
            row = overall.iloc[0]
            for key in ("leads", "first_touch_same_day_share", "first_touch_in_sla_share",
                        "cadence_met_share", "cadence_window_open", "sql_rate_compliant",
                        "sql_rate_compliant_low", "sql_rate_compliant_high", "sql_rate_non_compliant",
                        "sql_rate_non_compliant_low", "sql_rate_non_compliant_high"):
                out[key] = float(row[key]) if pd.notna(row[key]) else None
        if len(self.lead_feedback):
            total = self.lead_feedback[self.lead_feedback["by"] == "ALL"].iloc[0]
            out["acceptance_rate"] = float(total["acceptance_rate"])
            out["rejected_leads"] = int(total["rejected"])
        if self.stage_totals is not None and len(self.stage_totals):
            flagged = self.stage_totals[self.stage_totals["bottleneck"]]
            out["bottleneck"] = dict(zip(flagged["segment"], flagged["stage"]))
        if self.forecast_accuracy is not None and len(self.forecast_accuracy):
            out["forecast_accuracy"] = accuracy_metrics(self.forecast_accuracy)
        return out

    def metrics(self) -> dict[str, float]:
        """Numbers for MLflow: SLA shares, SQL rates and the forecast's accuracy (tracked
        quarter after quarter in the same experiment)."""
        flat: dict[str, float] = {}
        for key, value in self.summary().items():
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                flat[f"sla.{key}" if key != "open_leads_in_breach" else key] = float(value)
        if self.forecast_accuracy is not None and len(self.forecast_accuracy):
            flat.update({f"forecast.{k}": v for k, v in accuracy_metrics(self.forecast_accuracy).items()})
        if self.stage_totals is not None:
            for row in self.stage_totals.itertuples():
                if pd.notna(row.attainment):
                    flat[f"funnel.{row.segment}.{row.stage}.attainment"] = float(row.attainment)
        return flat


def review(
    leads: pd.DataFrame,
    activities: pd.DataFrame | None = None,
    *,
    as_of: pd.Timestamp | str,
    config: SlaConfig | None = None,
    opportunities: pd.DataFrame | None = None,
    scores: pd.DataFrame | None = None,
    previous_plan: PreviousPlan | None = None,
    label: str = "is_sql",
    source_column: str = "lead_source",
) -> ReviewResult:
    """Hold the leads against the SLA at the end of ``as_of``'s day, gather sales' feedback
    (``scores``: lead_id, tier, for acceptance by score tier) and, with ``previous_plan``, its
    funnel and forecast against what happened (``opportunities`` gives opportunities, wins and
    bookings; ``leads`` MQLs and SQLs)."""
    config = config or SlaConfig()
    as_of = pd.Timestamp(as_of).normalize()
    segments = None
    if opportunities is not None and "segment" not in leads.columns:
        from forecasting.funnel.prep import account_segments

        segments = account_segments(opportunities)
    prepared = prepare_leads(leads, config.timezone, label=label, segments=segments)
    acts = prepare_activities(activities, prepared["lead_id"], config.timezone)
    decided = dispositions(prepared, acts)
    prepared[["disposition", "rejection_reason", "owner_rep_id"]] = \
        decided[["disposition", "rejection_reason", "owner_rep_id"]].to_numpy()
    notes: list[str] = []
    has_activities = activities is not None and bool(acts["is_touch"].any())
    if not has_activities:
        notes.append("no activities: the SLA (first touch, cadence) cannot be checked, so "
                     "sla_summary and sla_breaches are empty rather than counting every lead as "
                     "untouched")
    future = int((acts["at"] >= as_of + pd.Timedelta(days=1)).sum())
    if future:
        notes.append(f"{future} activities dated after {as_of.date()} are not counted")
    facts = lead_sla(prepared, acts, as_of, config)
    result = ReviewResult(
        config=config, as_of=as_of, leads=facts,
        # Without a single touch on record, "nobody was touched" would be a claim about the
        # team, not about the data: the SLA tables stay empty and the note says why.
        sla_summary=sla_summary(facts if has_activities else facts.iloc[:0], config),
        sla_breaches=sla_breaches(facts if has_activities else facts.iloc[:0], config),
        lead_feedback=lead_feedback(facts, prepared, scores, source_column),
        rejection_labels=rejection_labels(facts), previous_plan=previous_plan,
        has_activities=has_activities, notes=notes,
    )
    if not prepared["disposition"].notna().any():
        notes.append("no lead carries a sales disposition (accepted/rejected): lead_feedback is empty")
    if previous_plan is not None:
        if previous_plan.funnel_plan is not None and len(previous_plan.funnel_plan):
            result.plan_vs_actual, result.stage_totals = plan_vs_actual(
                previous_plan.funnel_plan, as_of, opportunities, leads)
        else:
            notes.append("the last plan has no funnel plan: plan_vs_actual is not computed")
        if opportunities is None:
            notes.append("no opportunities: the forecast cannot be held against bookings")
        elif previous_plan.forecast is None and previous_plan.quarter is None:
            notes.append("the last plan has no forecast: forecast_accuracy is not computed")
        else:
            result.forecast_accuracy = forecast_accuracy(as_of, opportunities, previous_plan.forecast,
                                                         previous_plan.quarter)
            if result.forecast_accuracy.empty:
                notes.append(f"no period of the last plan's forecast is over by {as_of.date()}")
    return result
