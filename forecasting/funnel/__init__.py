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

import importlib
from typing import TYPE_CHECKING, Any

# Names are imported on first use: the plan file and `revops funnel --help` read FunnelConfig
# alone and must not pay for the maths (pandas, scipy) or the plots (matplotlib).
_LAZY = {
    "FunnelResult": "forecasting.funnel.compute",
    "compute_funnel": "forecasting.funnel.compute",
    "FunnelConfig": "forecasting.funnel.config",
    "FunnelAssumptions": "forecasting.funnel.config",
    "estimate_drivers": "forecasting.funnel.drivers",
    "FunnelInputError": "forecasting.funnel.errors",
    "plan_headcount": "forecasting.funnel.headcount",
    "KPI_COLUMNS": "forecasting.funnel.kpis",
    "compute_kpis": "forecasting.funnel.kpis",
    "kpi_summary": "forecasting.funnel.kpis",
    "PLAN_COLUMNS": "forecasting.funnel.plan",
    "STAGES": "forecasting.funnel.plan",
    "build_funnel_plan": "forecasting.funnel.plan",
    "expected_sqls_from_open": "forecasting.funnel.plan",
    "funnel_totals": "forecasting.funnel.plan",
    "monthly_targets": "forecasting.funnel.plan",
    "OVERALL": "forecasting.funnel.prep",
    "funnel_sensitivity": "forecasting.funnel.sensitivity",
    "funnel_figures": "forecasting.funnel.plots",
    "plot_funnel": "forecasting.funnel.plots",
    "plot_monthly_goals": "forecasting.funnel.plots",
}

if TYPE_CHECKING:  # what type checkers and IDEs see; at run time __getattr__ loads these
    from forecasting.funnel.compute import FunnelResult, compute_funnel
    from forecasting.funnel.config import FunnelConfig
    from forecasting.funnel.drivers import estimate_drivers
    from forecasting.funnel.errors import FunnelInputError
    from forecasting.funnel.headcount import plan_headcount
    from forecasting.funnel.kpis import KPI_COLUMNS, compute_kpis, kpi_summary
    from forecasting.funnel.plan import (
        PLAN_COLUMNS, STAGES, build_funnel_plan, expected_sqls_from_open, funnel_totals, monthly_targets,
    )
    from forecasting.funnel.plots import funnel_figures, plot_funnel, plot_monthly_goals
    from forecasting.funnel.prep import OVERALL
    from forecasting.funnel.sensitivity import funnel_sensitivity

    FunnelAssumptions = FunnelConfig


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        module = importlib.import_module(_LAZY[name])
        value = module.FunnelConfig if name == "FunnelAssumptions" else getattr(module, name)
        globals()[name] = value  # later look-ups skip this function
        return value
    # AttributeError (not ImportError) lets `from forecasting.funnel import plots` import the submodule
    raise AttributeError(f"module 'forecasting.funnel' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


__all__ = [
    "FunnelAssumptions", "FunnelConfig", "FunnelInputError", "FunnelResult", "KPI_COLUMNS", "OVERALL",
    "PLAN_COLUMNS", "STAGES", "build_funnel_plan", "compute_funnel", "compute_kpis", "estimate_drivers",
    "expected_sqls_from_open", "funnel_figures", "funnel_sensitivity", "funnel_totals", "kpi_summary",
    "monthly_targets", "plan_headcount", "plot_funnel", "plot_monthly_goals",
]
