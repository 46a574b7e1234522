"""Close the loop: the SLA, sales' feedback and the last plan held against what happened.

    result = review(leads, activities, as_of="2027-03-31", config=SlaConfig(first_touch=4),
                    opportunities=opportunities, scores=scores,
                    previous_plan=PreviousPlan(funnel_plan=..., forecast=..., quarter=...))
    result.sla_summary, result.sla_breaches, result.lead_feedback
    result.plan_vs_actual, result.forecast_accuracy
    figures = review_figures(result)          # {"sla_compliance": Figure, "plan_vs_actual": Figure}

Pure functions on DataFrames; no files, no MLflow (the CLI and the plan job do that).
"""
from __future__ import annotations

import sys
import types
from typing import TYPE_CHECKING, Any

import lazy_loader

# Names load on first use: the plan file and `revops review --help` read SlaConfig alone and must
# not pay for pandas (the maths) or matplotlib (the plots).
__getattr__, __dir__, __all__ = lazy_loader.attach(__name__, submod_attrs={
    "accuracy": ["ACCURACY_COLUMNS", "accuracy_metrics", "forecast_accuracy"],
    "activities": ["CHANNELS", "DISPOSITIONS"],
    "api": ["PreviousPlan", "ReviewResult", "review"],
    "breaches": ["BREACH_COLUMNS", "sla_breaches"],
    "config": ["SlaConfig"],
    "errors": ["ReviewInputError"],
    "feedback": ["FEEDBACK_COLUMNS", "lead_feedback"],
    "plan_vs_actual": ["PLAN_VS_ACTUAL_COLUMNS", "plan_vs_actual"],
    "sla": ["SUMMARY_COLUMNS", "lead_sla", "sla_summary", "wilson"],
    "plots": ["review_figures"],
    "scenarios": ["sla_scenarios", "sql_rate_by_cadence"],
})

if TYPE_CHECKING:  # what type checkers and IDEs see; at run time __getattr__ loads these
    from forecasting.review.accuracy import ACCURACY_COLUMNS, accuracy_metrics, forecast_accuracy
    from forecasting.review.activities import CHANNELS, DISPOSITIONS
    from forecasting.review.api import PreviousPlan, ReviewResult, review
    from forecasting.review.breaches import BREACH_COLUMNS, sla_breaches
    from forecasting.review.config import SlaConfig
    from forecasting.review.errors import ReviewInputError
    from forecasting.review.feedback import FEEDBACK_COLUMNS, lead_feedback
    from forecasting.review.plan_vs_actual import PLAN_VS_ACTUAL_COLUMNS, plan_vs_actual
    from forecasting.review.sla import SUMMARY_COLUMNS, lead_sla, sla_summary, wilson
    from forecasting.review.plots import review_figures
    from forecasting.review.scenarios import sla_scenarios, sql_rate_by_cadence


# `plan_vs_actual` names both a function and its module. Importing the module binds it on this
# package, which would hide the function from `from forecasting.review import plan_vs_actual`:
# the function wins, as it did when this file imported it eagerly.
_SHADOWED = {"plan_vs_actual"}


class _Facade(types.ModuleType):
    def __setattr__(self, name: str, value: Any) -> None:
        if name in _SHADOWED and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Facade
