"""Lead scoring: calibrated P(SQL) with reasons, from any CRM lead export.

Public face: :class:`ScoringConfig` (the training knobs), :class:`LeadScorer` (fit /
predict_proba / score_frame / score_records; ``LeadScorer.from_config``),
:class:`ScoringInputError`, :func:`infer_schema`. Figures: :func:`scoring.plots.figures`.
MLflow lives in :mod:`scoring.registry`, which only the CLI, the plan job and the service import.

Names are imported on first use: the command line's help reads :class:`ScoringConfig` and must not pay
for scikit-learn, which :mod:`scoring.model` imports.
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_LAZY = {
    "ScoringConfig": "scoring.config",
    "ScoringInputError": "scoring.errors",
    "LeadScorer": "scoring.model",
    "infer_schema": "scoring.schema",
}

__all__ = ["LeadScorer", "ScoringConfig", "ScoringInputError", "infer_schema"]

if TYPE_CHECKING:  # what type checkers and IDEs see; at run time __getattr__ loads these
    from scoring.config import ScoringConfig
    from scoring.errors import ScoringInputError
    from scoring.model import LeadScorer
    from scoring.schema import infer_schema


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value  # later look-ups skip this function
        return value
    # AttributeError (not ImportError) lets `from scoring import registry` import the submodule
    raise AttributeError(f"module 'scoring' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
