"""Recurring revenue: ARR per account and day, the ARR bridge and retention (GRR, NRR, logo
churn) per segment and period, renewals (the training frame of a renewal model, and renewed ARR
simulated from P(renew)), and unit economics (CAC, CLV, payback, ROI).

    result = compute_revenue(subscriptions, as_of="2026-12-31", spend=spend, config=RevenueConfig())
    result.bridge            # arr_bridge.csv
    arr_bridge(subscriptions, freq="Q", as_of="2026-12-31")
    plan = plan_renewals(subscriptions, as_of, "2027Q1")   # plan.training -> any binary trainer
    simulate_renewals(plan.due, p_renew, period="2027Q1")  # p10/p50/p90 of renewed ARR

Pure functions on DataFrames; no files, no MLflow, no model training (the hub trains the renewal
model with the scoring package and hands P(renew) back).
"""
from __future__ import annotations

import importlib
from typing import Any

# Names load on first use: the plan file and `revops revenue --help` read RevenueConfig alone.
_LAZY = {
    "RevenueConfig": "forecasting.revenue.config",
    "RevenueInputError": "forecasting.revenue.errors",
    "OVERALL": "forecasting.revenue.arr",
    "account_arr": "forecasting.revenue.arr",
    "daily_arr": "forecasting.revenue.arr",
    "prepare_subscriptions": "forecasting.revenue.arr",
    "BRIDGE_COLUMNS": "forecasting.revenue.bridge",
    "arr_bridge": "forecasting.revenue.bridge",
    "rolling_retention": "forecasting.revenue.bridge",
    "LABEL": "forecasting.revenue.renewals",
    "RenewalPlan": "forecasting.revenue.renewals",
    "plan_renewals": "forecasting.revenue.renewals",
    "renewal_frame": "forecasting.revenue.renewals",
    "model_columns": "forecasting.revenue.renewals",
    "simulate_renewals": "forecasting.revenue.renewals",
    "segment_rate_uncertainty": "forecasting.revenue.renewals",
    "due_in": "forecasting.revenue.renewals",
    "segment_offsets": "forecasting.revenue.renewals",
    "shift_probability": "forecasting.revenue.renewals",
    "unit_economics": "forecasting.revenue.economics",
    "RevenueResult": "forecasting.revenue.api",
    "compute_revenue": "forecasting.revenue.api",
    "fallback_probability": "forecasting.revenue.api",
    "retention_what_if": "forecasting.revenue.what_if",
    "what_if_summary": "forecasting.revenue.what_if",
    "revenue_figures": "forecasting.revenue.plots",
    "what_if_figure": "forecasting.revenue.plots",
    "bridge_waterfall": "forecasting.revenue.plots",
    "retention_over_time": "forecasting.revenue.plots",
}
__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'forecasting.revenue' has no attribute {name!r}")
    return getattr(importlib.import_module(_LAZY[name]), name)
