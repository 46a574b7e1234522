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

import lazy_loader

# Names load on first use: the plan file and `revops revenue --help` read RevenueConfig alone.
__getattr__, __dir__, __all__ = lazy_loader.attach(__name__, submod_attrs={
    "config": ["RevenueConfig"],
    "errors": ["RevenueInputError"],
    "arr": ["OVERALL", "account_arr", "daily_arr", "prepare_subscriptions"],
    "bridge": ["BRIDGE_COLUMNS", "arr_bridge", "rolling_retention"],
    "renewals": ["LABEL", "RenewalPlan", "plan_renewals", "renewal_frame", "model_columns",
                 "simulate_renewals", "segment_rate_uncertainty", "due_in", "segment_offsets",
                 "shift_probability"],
    "economics": ["unit_economics"],
    "api": ["RevenueResult", "compute_revenue", "fallback_probability"],
    "what_if": ["retention_what_if", "what_if_summary"],
    "plots": ["revenue_figures", "what_if_figure", "bridge_waterfall", "retention_over_time"],
})
