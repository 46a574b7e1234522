"""One call for everything the revenue step reports: the ARR bridge, the renewals due in the plan
period with their simulated renewed ARR, and the unit economics.

P(renew) comes from the caller (the hub trains the renewal model with the scoring package's
trainer on :attr:`RenewalPlan.training` and scores :func:`model_columns` of ``due``); without it,
each subscription renews at its segment's past renewal rate.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from forecasting.revenue.arr import OVERALL
from forecasting.revenue.bridge import arr_bridge
from forecasting.revenue.config import RevenueConfig
from forecasting.revenue.renewals import (LABEL, RenewalPlan, plan_renewals, renewal_table,
                                          segment_offsets, segment_rate_uncertainty,
                                          segment_renewal_rates, shift_probability, simulate_renewals)
from forecasting.revenue.economics import unit_economics


@dataclass
class RevenueResult:
    bridge: pd.DataFrame  # arr_bridge.csv
    renewals: pd.DataFrame  # renewals.csv: one row per subscription due
    forecast: pd.DataFrame  # renewed and ending ARR per segment, p10/p50/p90
    unit_economics: pd.DataFrame  # unit_economics.csv
    config: RevenueConfig
    period: pd.Period
    notes: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        """Headline numbers: the latest complete period's ARR and retention, the plan period's
        renewals (all segments)."""
        out: dict[str, Any] = {"plan_period": str(self.period)}
        total = self.bridge[self.bridge["segment"] == OVERALL]
        complete = total[total["complete"]]
        if len(complete):
            row = complete.sort_values("period").iloc[-1]
            out.update({"bridge_period": row["period"], "ending_arr": float(row["ending_arr"]),
                        "grr": float(row["grr"]), "nrr": float(row["nrr"]),
                        "logo_churn_rate": float(row["logo_churn_rate"])})
        f = self.forecast[self.forecast["segment"] == OVERALL]
        if len(f):
            row = f.iloc[0]
            out.update({"renewals_due": int(row["subscriptions_due"]), "due_arr": float(row["due_arr"]),
                        "renewed_arr_p10": float(row["renewed_arr_p10"]),
                        "renewed_arr_p50": float(row["renewed_arr_p50"]),
                        "renewed_arr_p90": float(row["renewed_arr_p90"])})
        return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in out.items()
                if not (isinstance(v, float) and not math.isfinite(v))}


def fallback_probability(plan: RenewalPlan) -> np.ndarray:
    """P(renew) of each due subscription when there is no model: its segment's past renewal rate."""
    rates = segment_renewal_rates(plan.frame)
    return plan.due["segment"].map(rates).fillna(rates[OVERALL]).to_numpy(float)


def compute_revenue(
    subscriptions: pd.DataFrame,
    *,
    as_of: str | pd.Timestamp,
    period: pd.Period | str | None = None,
    spend: pd.DataFrame | None = None,
    leads: pd.DataFrame | None = None,
    opportunities: pd.DataFrame | None = None,
    accounts: pd.DataFrame | None = None,
    config: RevenueConfig | None = None,
    renewal_plan: RenewalPlan | None = None,
    probability: np.ndarray | None = None,
    reasons: pd.DataFrame | None = None,
    source: str = "model",
    training_probability: np.ndarray | None = None,
) -> RevenueResult:
    """Bridge, renewals and unit economics. ``period``: the plan period (None: the quarter after
    ``as_of``); ``probability``: P(renew) per row of ``renewal_plan.due`` (None: segment rates);
    ``reasons``: columns to copy into renewals.csv (one row per due subscription);
    ``training_probability``: the model's P(renew) of ``renewal_plan.training``'s rows, for the
    per-segment level correction (:func:`segment_offsets`, with ``segment_recalibration``)."""
    config = config or RevenueConfig()
    as_of = pd.Timestamp(as_of).normalize()
    if period is None:
        period = (as_of + pd.Timedelta(days=1)).to_period("Q")
    period = pd.Period(period) if isinstance(period, str) else period
    notes: list[str] = []
    bridge = arr_bridge(subscriptions, freq=config.freq, as_of=as_of, history_periods=config.history_periods)
    plan = renewal_plan or plan_renewals(subscriptions, as_of, period, accounts=accounts, config=config)
    notes += plan.notes
    if probability is None:
        probability = fallback_probability(plan) if len(plan.due) else np.zeros(0)
        source = "segment renewal rate"
        notes.append("P(renew) is each segment's past renewal rate (no renewal model)")
    probability = np.asarray(probability, dtype=float).copy()
    if config.segment_recalibration and training_probability is not None and len(plan.due):
        offsets = segment_offsets(plan.training, training_probability)
        probability = shift_probability(probability, plan.due["segment"], offsets)
    # A renewal already decided before the plan period opens is certain.
    status = plan.due["status"].to_numpy() if len(plan.due) else np.array([], dtype=object)
    probability[status == "renewed"] = 1.0
    probability[status == "churned"] = 0.0
    uncertainty = None
    if config.rate_uncertainty and (plan.frame[LABEL] != "").any():
        uncertainty = segment_rate_uncertainty(plan.frame)
    forecast = simulate_renewals(plan.due, probability, period=period, config=config,
                                 arr_now=plan.arr_now, source=source, rate_uncertainty=uncertainty)
    renewals = renewal_table(plan.due, probability, reasons, source)
    ue = unit_economics(subscriptions, as_of, spend=spend, leads=leads, opportunities=opportunities,
                        config=config)
    if spend is None:
        notes.append("no spend table: CAC, cost per lead/SQL, CLV:CAC, payback and ROI are left empty")
    return RevenueResult(bridge, renewals, forecast, ue, config, period, notes)
