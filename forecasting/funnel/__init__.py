"""The funnel: KPIs from the CRM, the target worked back to MQLs per month, and the headcount.

    result = compute_funnel(opportunities, targets, leads=leads, reps=reps, lead_scores=scores,
                            config=FunnelConfig(expected_attainment=0.8))
    figures = funnel_figures(result.plan)     # {"funnel": Figure, "monthly_goals": Figure}

or step by step (what-ifs in notebooks)::

    kpis = compute_kpis(opportunities, leads, targets, min_records=30)
    plan = build_funnel_plan(targets, kpis, opportunities=opportunities, leads=leads, lead_scores=scores)
    headcount = plan_headcount(targets, plan, kpis, reps)
    funnel_sensitivity(targets, kpis, opportunities=opportunities)   # which assumption matters most

Pure functions on DataFrames; no files, no MLflow (the CLI and the plan job do that).
``FunnelAssumptions`` is the former name of ``FunnelConfig`` (the same class).
"""
from forecasting.funnel.compute import FunnelResult, compute_funnel
from forecasting.funnel.config import FunnelConfig
from forecasting.funnel.drivers import estimate_drivers
from forecasting.funnel.errors import FunnelInputError
from forecasting.funnel.headcount import plan_headcount
from forecasting.funnel.kpis import KPI_COLUMNS, compute_kpis, kpi_summary
from forecasting.funnel.plan import (
    PLAN_COLUMNS, STAGES, build_funnel_plan, expected_sqls_from_open, funnel_totals, monthly_targets,
)
from forecasting.funnel.prep import OVERALL
from forecasting.funnel.sensitivity import funnel_sensitivity

FunnelAssumptions = FunnelConfig


def __getattr__(name: str):
    # the plots import matplotlib: loaded on first use, so the funnel maths stays light
    if name in ("funnel_figures", "plot_funnel", "plot_monthly_goals"):
        from forecasting.funnel import plots

        return getattr(plots, name)
    raise AttributeError(f"module 'forecasting.funnel' has no attribute {name!r}")


__all__ = [
    "FunnelAssumptions", "FunnelConfig", "FunnelInputError", "FunnelResult", "KPI_COLUMNS", "OVERALL",
    "PLAN_COLUMNS", "STAGES", "build_funnel_plan", "compute_funnel", "compute_kpis", "estimate_drivers",
    "expected_sqls_from_open", "funnel_figures", "funnel_sensitivity", "funnel_totals", "kpi_summary",
    "monthly_targets", "plan_headcount", "plot_funnel", "plot_monthly_goals",
]
