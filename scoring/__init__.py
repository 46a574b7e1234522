"""Lead scoring: calibrated P(SQL) with reasons, from any CRM lead export.

Public face: :class:`LeadScorer` (fit / predict_proba / score_frame / score_records),
:class:`ScoringInputError`, :func:`infer_schema`. MLflow lives in :mod:`scoring.registry`, which
only the CLI, the plan job and the service import.
"""
from scoring.errors import ScoringInputError
from scoring.model import LeadScorer
from scoring.schema import infer_schema

__all__ = ["LeadScorer", "ScoringInputError", "infer_schema"]
