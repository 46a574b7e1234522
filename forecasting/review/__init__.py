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

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

# Names load on first use: the plan file and `revops review --help` read SlaConfig alone and must
# not pay for pandas (the maths) or matplotlib (the plots).
_LAZY = {
    "ACCURACY_COLUMNS": "forecasting.review.accuracy",
    "accuracy_metrics": "forecasting.review.accuracy",
    "forecast_accuracy": "forecasting.review.accuracy",
    "CHANNELS": "forecasting.review.activities",
    "DISPOSITIONS": "forecasting.review.activities",
    "PreviousPlan": "forecasting.review.api",
    "ReviewResult": "forecasting.review.api",
    "review": "forecasting.review.api",
    "BREACH_COLUMNS": "forecasting.review.breaches",
    "sla_breaches": "forecasting.review.breaches",
    "SlaConfig": "forecasting.review.config",
    "ReviewInputError": "forecasting.review.errors",
    "FEEDBACK_COLUMNS": "forecasting.review.feedback",
    "lead_feedback": "forecasting.review.feedback",
    "PLAN_VS_ACTUAL_COLUMNS": "forecasting.review.plan_vs_actual",
    "plan_vs_actual": "forecasting.review.plan_vs_actual",
    "SUMMARY_COLUMNS": "forecasting.review.sla",
    "lead_sla": "forecasting.review.sla",
    "sla_summary": "forecasting.review.sla",
    "wilson": "forecasting.review.sla",
    "review_figures": "forecasting.review.plots",
    "sla_scenarios": "forecasting.review.scenarios",
    "sql_rate_by_cadence": "forecasting.review.scenarios",
}

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
_SHADOWED = {name for name, module in _LAZY.items() if module.rsplit(".", 1)[1] == name}


class _Facade(types.ModuleType):
    def __setattr__(self, name: str, value: Any) -> None:
        if name in _SHADOWED and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Facade


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value  # later look-ups skip this function
        return value
    # AttributeError (not ImportError) lets `from forecasting.review import plots` import the submodule
    raise AttributeError(f"module 'forecasting.review' has no attribute {name!r}")


__all__ = [
    "ACCURACY_COLUMNS", "BREACH_COLUMNS", "CHANNELS", "DISPOSITIONS", "FEEDBACK_COLUMNS",
    "PLAN_VS_ACTUAL_COLUMNS", "PreviousPlan", "ReviewInputError", "ReviewResult", "SUMMARY_COLUMNS",
    "SlaConfig", "accuracy_metrics", "forecast_accuracy", "lead_feedback", "lead_sla",
    "plan_vs_actual", "review", "review_figures", "sla_breaches", "sla_scenarios", "sla_summary",
    "sql_rate_by_cadence", "wilson",
]
