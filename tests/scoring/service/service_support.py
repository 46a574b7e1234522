"""Helpers shared by the endpoint tests (imported by conftest and the test modules)."""
from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np
import pandas as pd

from scoring.service.hotpath import ID_FIELD, LeadValidationError

FAMILIES = ("logistic_regression", "gradient_boosting")



def as_records(frame: pd.DataFrame) -> list[dict]:
    """Rows as a JSON client would send them (NaN -> null, numpy scalars -> Python)."""
    out = []
    for row in frame.to_dict("records"):
        out.append({k: (None if isinstance(v, float) and math.isnan(v) else
                        v.item() if isinstance(v, np.generic) else v) for k, v in row.items()})
    return out


class FakeModel:
    """A ServedModel without maths: probability from 'employees', to test the HTTP contract."""

    def __init__(self, version: str = "7", name: str = "lead-scoring"):
        self.name = name
        self.version = version

    def info(self) -> dict:
        return {"name": self.name, "version": self.version, "alias": "champion",
                "trained_at": None, "holdout_metrics": {"roc_auc": 0.8},
                "schema": {"id_field": ID_FIELD, "features": [{"name": "employees", "type": "numeric"}]}}

    def lead_schema(self) -> dict:
        return {"type": "object", "required": [ID_FIELD], "additionalProperties": True,
                "properties": {ID_FIELD: {"anyOf": [{"type": "string", "minLength": 1, "maxLength": 64},
                                                    {"type": "integer", "minimum": 0, "maximum": 10**9}]},
                               "employees": {"anyOf": [{"type": "number", "minimum": 0, "maximum": 1e6},
                                                       {"type": "null"}]}}}

    def score(self, leads: Sequence[Any]) -> list[dict]:
        problems, out = [], []
        for i, lead in enumerate(leads):
            if not isinstance(lead, dict) or ID_FIELD not in lead:
                problems.append((f"leads[{i}].{ID_FIELD}", "required field missing"))
                continue
            employees = lead.get("employees")
            if employees is not None and not isinstance(employees, (int, float)):
                problems.append((f"leads[{i}].employees", "expected a number"))
                continue
            p = 0.5 if employees is None else min(employees, 1000) / 1000
            out.append({ID_FIELD: lead[ID_FIELD], "probability": p, "score": round(100 * p),
                        "tier": "A" if p >= 0.5 else "D", "reasons": [],
                        "flags": ["missing:employees"] if employees is None else []})
        if problems:
            raise LeadValidationError(problems)
        return out
