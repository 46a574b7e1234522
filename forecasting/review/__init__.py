"""Close the loop: the SLA, sales' feedback and the last plan held against what happened.

    result = review(leads, activities, as_of="2027-03-31", config=SlaConfig(first_touch=4),
                    opportunities=opportunities, scores=scores,
                    previous_plan=PreviousPlan(funnel_plan=..., forecast=..., quarter=...))
    result.sla_summary, result.sla_breaches, result.lead_feedback
    result.plan_vs_actual, result.forecast_accuracy
    figures = review_figures(result)          # {"sla_compliance": Figure, "plan_vs_actual": Figure}

Pure functions on DataFrames; no files, no MLflow (the CLI and the plan job do that).
"""
from forecasting.review.accuracy import ACCURACY_COLUMNS, accuracy_metrics, forecast_accuracy
from forecasting.review.activities import CHANNELS, DISPOSITIONS
from forecasting.review.api import PreviousPlan, ReviewResult, review
from forecasting.review.breaches import BREACH_COLUMNS, sla_breaches
from forecasting.review.config import SlaConfig
from forecasting.review.errors import ReviewInputError
from forecasting.review.feedback import FEEDBACK_COLUMNS, lead_feedback
from forecasting.review.plan_vs_actual import PLAN_VS_ACTUAL_COLUMNS, plan_vs_actual
from forecasting.review.sla import SUMMARY_COLUMNS, lead_sla, sla_summary, wilson


def __getattr__(name: str):
    # the plots import matplotlib: loaded on first use
    if name == "review_figures":
        from forecasting.review import plots

        return plots.review_figures
    raise AttributeError(f"module 'forecasting.review' has no attribute {name!r}")


__all__ = [
    "ACCURACY_COLUMNS", "BREACH_COLUMNS", "CHANNELS", "DISPOSITIONS", "FEEDBACK_COLUMNS",
    "PLAN_VS_ACTUAL_COLUMNS", "PreviousPlan", "ReviewInputError", "ReviewResult", "SUMMARY_COLUMNS",
    "SlaConfig", "accuracy_metrics", "forecast_accuracy", "lead_feedback", "lead_sla",
    "plan_vs_actual", "review", "review_figures", "sla_breaches", "sla_summary", "wilson",
]
