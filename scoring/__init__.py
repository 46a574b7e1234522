"""Lead scoring: calibrated P(SQL) with reasons, from any CRM lead export.

Public face: :class:`ScoringConfig` (the training knobs), :class:`LeadScorer` (fit /
predict_proba / score_frame / score_records; ``LeadScorer.from_config``),
:class:`ScoringInputError`, :func:`infer_schema`. Figures: :func:`scoring.plots.figures`.
MLflow lives in :mod:`scoring.registry`, which only the CLI, the plan job and the service import.
"""
from scoring.config import ScoringConfig
from scoring.errors import ScoringInputError
from scoring.model import LeadScorer
from scoring.schema import infer_schema

__all__ = ["LeadScorer", "ScoringConfig", "ScoringInputError", "infer_schema"]
