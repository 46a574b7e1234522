"""The whole funnel in one call: KPIs, drivers, the plan worked back from the target, totals,
headcount and sensitivity, from validated frames (no files, no MLflow: the hub writes and logs).
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any, Mapping

import pandas as pd

from forecasting.funnel.config import FunnelConfig
from forecasting.funnel.drivers import estimate_drivers
from forecasting.funnel.headcount import headcount_notes, plan_headcount
from forecasting.funnel.headcount import monthly_headcount
from forecasting.funnel.kpis import compute_kpis
from forecasting.funnel.plan import _data_as_of, build_funnel_plan, funnel_totals
from forecasting.funnel.prep import OVERALL, new_business_targets
from forecasting.funnel.sensitivity import funnel_sensitivity


@dataclass(frozen=True)
class FunnelResult:
    """Every table the funnel produces, the configuration it ran with, and notes for the user."""

    kpis: pd.DataFrame          # compute_kpis: one row per segment and KPI
    drivers: pd.DataFrame       # estimate_drivers: the value each driver took, and its source
    plan: pd.DataFrame          # build_funnel_plan: PLAN_COLUMNS
    totals: pd.DataFrame        # funnel_totals: per segment and stage over the plan period
    headcount: pd.DataFrame     # plan_headcount: AEs and SDRs needed per period (headcount_summary.csv)
    sensitivity: pd.DataFrame   # funnel_sensitivity: which assumption moves the MQL goal most
    notes: list[str] = field(default_factory=list)
    config: FunnelConfig = field(default_factory=FunnelConfig)
    # monthly_headcount: AE and SDR capacity month by month (ramp by tenure, attrition, leavers)
    # and the hires that close the gap with their start month (the plan's headcount.csv)
    headcount_monthly: pd.DataFrame | None = None

    def summary(self) -> dict[str, Any]:
        """Headline numbers (per segment and overall): the SLA goals and the hiring gap."""
        out: dict[str, Any] = {}
        for row in self.totals.itertuples():
            out[f"{row.segment}.{row.stage}_required"] = round(float(row.required), 2)
            out[f"{row.segment}.{row.stage}_still_needed"] = round(float(row.still_needed), 2)
        for row in self.headcount[self.headcount["segment"] == OVERALL].itertuples():
            out[f"{OVERALL}.{row.role}_needed.{row.target_period}"] = round(float(row.needed), 2)
        out["low_sample_kpis"] = int(self.kpis["low_sample"].sum())
        return out

    def metrics(self) -> dict[str, float]:
        """``summary()`` as MLflow metrics: finite numbers only, keys without spaces."""
        return {key.replace(" ", "_"): float(value) for key, value in self.summary().items()
                if isinstance(value, (int, float)) and math.isfinite(value)}


def compute_funnel(
    opportunities: pd.DataFrame,
    targets: pd.DataFrame,
    *,
    leads: pd.DataFrame | None = None,
    reps: pd.DataFrame | None = None,
    lead_scores: pd.DataFrame | None = None,
    config: FunnelConfig | None = None,
    random_state: int | None = 0,
    as_of: str | pd.Timestamp | None = None,
    open_opportunities: pd.DataFrame | None = None,
    expected_bookings: Mapping[str, float] | None = None,
    **overrides: Any,
) -> FunnelResult:
    """All funnel tables from validated frames.

    ``config`` holds every setting (default ``FunnelConfig()``); ``overrides`` are
    ``FunnelConfig`` field names that replace single values, e.g.
    ``compute_funnel(opps, targets, expected_attainment=0.7)``. ``random_state`` seeds the
    bootstrap intervals of the KPIs. Without ``leads`` the plan stops at opportunities;
    ``lead_scores`` (lead_id, probability of the open MQLs) lower the MQL goal.

    ``as_of``: the plan date (None: the last date in the data); months before the first month
    after it are past (actual and gap, nothing still needed). ``open_opportunities`` (segment,
    amount, probability: the pipeline forecast's open deals) cover won deals with their expected
    bookings; None: the open deals at the segment's win rate. ``expected_bookings`` (segment ->
    the plan period's forecast, e.g. the combined p50) sets the AEs needed from the same
    bookings the forecast expects of today's team (:func:`plan_headcount`).
    """
    config = _configured(config, overrides)
    notes: list[str] = []
    targets = new_business_targets(targets)  # targets may carry type: only new business is worked back
    kpis = compute_kpis(opportunities, leads, targets, min_records=config.min_records,
                        window_months=config.window_months, stage_order=config.stage_order,
                        random_state=random_state, as_of=as_of)
    segments = sorted(pd.Series(targets["segment"]).astype(str).str.strip().unique())
    drivers = estimate_drivers(kpis, segments, config)
    if leads is None:
        notes.append("no leads table: the plan stops at opportunities (no SQL or MQL goals)")
    if lead_scores is not None and leads is None:
        notes.append("lead scores given without the leads table: scores are taken as all open MQLs")
    open_bookings = None
    if open_opportunities is not None:
        deals = open_opportunities
        open_bookings = (pd.to_numeric(deals["amount"], errors="coerce").fillna(0.0)
                         * pd.to_numeric(deals["probability"], errors="coerce").fillna(0.0)
                         ).groupby(deals["segment"].astype(str)).sum()
    elif opportunities is not None:
        notes.append("open opportunities counted at their segment's win rate (no pipeline "
                     "forecast of each deal's probability was given)")
    plan = build_funnel_plan(targets, kpis, opportunities=opportunities, leads=leads,
                             lead_scores=lead_scores, assumptions=config, drivers=drivers,
                             open_bookings=open_bookings, as_of=as_of)
    headcount = plan_headcount(targets, plan, kpis, reps, config, expected_bookings=expected_bookings)
    notes += headcount_notes(headcount)
    sensitivity = funnel_sensitivity(targets, kpis, assumptions=config, opportunities=opportunities,
                                     leads=leads, lead_scores=lead_scores,
                                     open_bookings=open_bookings, as_of=as_of)
    borrowed = drivers[drivers["source"].str.startswith(OVERALL)]
    for row in borrowed.itertuples():
        notes.append(f"{row.segment}: {row.driver} taken from all segments ({row.source})")
    if bool(plan["in_past"].any()):
        first, last = plan.loc[plan["in_past"], "period"].min(), plan.loc[plan["in_past"], "period"].max()
        notes.append(f"months {first[:7]} to {last[:7]} are over: their requirements show as "
                     "what happened (actual) and the gap, never as still needed (see in_past)")
    # Hires can start from the first month after the plan date (the plan's own: the last date of
    # the KPIs when none is given), never in a month already over.
    plan_date = pd.Timestamp(as_of) if as_of is not None else _data_as_of(kpis)
    first_month = ((plan_date + pd.Timedelta(days=1)).to_period("M")
                   if plan_date is not None else None)
    monthly = monthly_headcount(headcount, reps, config, ramp_curve=config.ramp_curve,
                                annual_attrition=config.annual_attrition, first_month=first_month,
                                plan=plan)
    return FunnelResult(kpis, drivers, plan, funnel_totals(plan), headcount, sensitivity, notes,
                        config, headcount_monthly=monthly)


def _configured(config: FunnelConfig | None, overrides: dict[str, Any]) -> FunnelConfig:
    if config is not None and not isinstance(config, FunnelConfig):
        raise TypeError(f"compute_funnel: config must be a FunnelConfig or None; got "
                        f"{type(config).__name__}. Pass single settings as keywords, e.g. "
                        "expected_attainment=0.7.")
    config = config or FunnelConfig()
    unknown = sorted(set(overrides) - set(config.__pydantic_fields__))
    if unknown:
        raise TypeError(f"compute_funnel: unknown setting(s) {unknown}; expected FunnelConfig "
                        f"fields: {', '.join(config.__pydantic_fields__)}.")
    return dataclasses.replace(config, **overrides) if overrides else config
