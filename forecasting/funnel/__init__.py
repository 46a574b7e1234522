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
from __future__ import annotations

from typing import TYPE_CHECKING

import lazy_loader

# Names are imported on first use: the plan file and `revops funnel --help` read FunnelConfig
# alone and must not pay for the maths (pandas, scipy) or the plots (matplotlib).
__getattr__, __dir__, __all__ = lazy_loader.attach(__name__, submod_attrs={
    "compute": ["FunnelResult", "compute_funnel"],
    "config": ["FunnelConfig", "FunnelAssumptions"],
    "drivers": ["estimate_drivers"],
    "errors": ["FunnelInputError"],
    "headcount": ["MONTHLY_COLUMNS", "monthly_headcount", "plan_headcount"],
    "kpis": ["KPI_COLUMNS", "compute_kpis", "kpi_summary"],
    "plan": ["PLAN_COLUMNS", "STAGES", "build_funnel_plan", "expected_sqls_from_open", "funnel_totals",
             "monthly_targets"],
    "prep": ["OVERALL"],
    "sensitivity": ["funnel_sensitivity"],
    "plots": ["funnel_figures", "plot_funnel", "plot_monthly_goals"],
})

if TYPE_CHECKING:  # what type checkers and IDEs see; at run time __getattr__ loads these
    from forecasting.funnel.compute import FunnelResult, compute_funnel
    from forecasting.funnel.config import FunnelAssumptions, FunnelConfig
    from forecasting.funnel.drivers import estimate_drivers
    from forecasting.funnel.errors import FunnelInputError
    from forecasting.funnel.headcount import MONTHLY_COLUMNS, monthly_headcount, plan_headcount
    from forecasting.funnel.kpis import KPI_COLUMNS, compute_kpis, kpi_summary
    from forecasting.funnel.plan import (
        PLAN_COLUMNS, STAGES, build_funnel_plan, expected_sqls_from_open, funnel_totals, monthly_targets,
    )
    from forecasting.funnel.plots import funnel_figures, plot_funnel, plot_monthly_goals
    from forecasting.funnel.prep import OVERALL
    from forecasting.funnel.sensitivity import funnel_sensitivity
