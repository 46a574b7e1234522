"""The OpenAPI document, with the lead schema of the model being served right now."""
from __future__ import annotations

import copy

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from scoring.service.schemas import Lead


def build_openapi(app: FastAPI) -> dict:
    """FastAPI's document plus ``ScoreRequest``/``Lead`` from the served model (cached per version)."""
    holder = app.state.holder
    settings = app.state.settings
    model = holder.current
    key = (getattr(model, "name", None), str(getattr(model, "version", None)))
    cached = app.state.openapi_cache
    if cached is not None and cached[0] == key:
        return cached[1]
    doc = get_openapi(title="revops lead scoring", version="1",
                      description="Calibrated P(SQL) per lead, with score, tier, reasons and flags, "
                                  "from the current champion of the MLflow model 'lead-scoring'.",
                      routes=app.routes)
    lead = model.lead_schema() if model is not None else Lead.model_json_schema()
    schemas = doc.setdefault("components", {}).setdefault("schemas", {})
    schemas["Lead"] = copy.deepcopy(lead)
    schemas["ScoreRequest"] = {
        "type": "object", "title": "ScoreRequest", "required": ["leads"],
        "properties": {"leads": {"type": "array", "items": {"$ref": "#/components/schemas/Lead"},
                                 "minItems": 1, "maxItems": settings.max_batch,
                                 "description": "one lead or a batch, answered in order"}},
    }
    if settings.api_key:
        schemas_root = doc["components"]
        schemas_root["securitySchemes"] = {"bearer": {"type": "http", "scheme": "bearer",
                                                      "description": "REVOPS_API_KEY"}}
        for path, operations in doc.get("paths", {}).items():
            if path != "/healthz":
                for operation in operations.values():
                    operation["security"] = [{"bearer": []}]
    app.state.openapi_cache = (key, doc)
    return doc
