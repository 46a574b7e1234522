"""The funnel: KPIs from the CRM, the target worked back to MQLs per month, and the headcount.

    kpis = compute_kpis(opportunities, leads, targets, min_records=30)
    plan = build_funnel_plan(targets, kpis, opportunities=opportunities, leads=leads, lead_scores=scores)
    headcount = plan_headcount(targets, plan, kpis, reps)
    funnel_sensitivity(targets, kpis, opportunities=opportunities)   # which assumption matters most

Pure functions on DataFrames; no files, no MLflow (the CLI and the plan job do that).
"""
from forecasting.funnel.assumptions import FunnelAssumptions
from forecasting.funnel.drivers import estimate_drivers
from forecasting.funnel.errors import FunnelInputError
from forecasting.funnel.headcount import plan_headcount
from forecasting.funnel.kpis import KPI_COLUMNS, compute_kpis, kpi_summary
from forecasting.funnel.plan import (
    PLAN_COLUMNS, STAGES, build_funnel_plan, expected_sqls_from_open, funnel_totals, monthly_targets,
)
from forecasting.funnel.prep import OVERALL
from forecasting.funnel.sensitivity import funnel_sensitivity

__all__ = [
    "FunnelAssumptions", "FunnelInputError", "KPI_COLUMNS", "OVERALL", "PLAN_COLUMNS", "STAGES",
    "build_funnel_plan", "compute_kpis", "estimate_drivers", "expected_sqls_from_open", "funnel_sensitivity",
    "funnel_totals", "kpi_summary", "monthly_targets", "plan_headcount",
]
