"""Lead scoring: calibrated P(SQL) with reasons, from any CRM lead export.

Public face: :class:`ScoringConfig` (the training knobs), :class:`LeadScorer` (fit /
predict_proba / score_frame / score_records; ``LeadScorer.from_config``),
:class:`ScoringInputError`, :func:`infer_schema`. Figures: :func:`scoring.plots.figures`.
MLflow lives in :mod:`scoring.registry`, which only the CLI, the plan job and the service import.

Names are imported on first use: the command line's help reads :class:`ScoringConfig` and must not pay
for scikit-learn, which :mod:`scoring.model` imports.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach(__name__, submod_attrs={
    "config": ["ScoringConfig"],
    "errors": ["ScoringInputError"],
    "model": ["LeadScorer"],
    "schema": ["infer_schema"],
})

if TYPE_CHECKING:  # what type checkers and IDEs see; at run time __getattr__ loads these
    from scoring.config import ScoringConfig
    from scoring.errors import ScoringInputError
    from scoring.model import LeadScorer
    from scoring.schema import infer_schema
