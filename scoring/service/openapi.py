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


def docs_html(doc: dict) -> str:
    """``/docs``: the routes, their summaries and the lead fields, as one page with no script,
    style sheet or image from elsewhere (Swagger UI loads its assets from a CDN, which an
    offline or locked-down network cannot reach). The full contract is ``/openapi.json``."""
    from html import escape

    rows = []
    for path, operations in sorted(doc.get("paths", {}).items()):
        for method, op in operations.items():
            codes = ", ".join(sorted(op.get("responses", {})))
            rows.append(f"<tr><td><code>{escape(method.upper())}</code></td><td><code>{escape(path)}</code></td>"
                        f"<td>{escape(op.get('summary', ''))}</td><td>{escape(codes)}</td></tr>")
    lead = doc.get("components", {}).get("schemas", {}).get("Lead", {})
    required = set(lead.get("required", []))
    fields = []
    for name, schema in lead.get("properties", {}).items():
        kinds = [s.get("type", "") for s in schema.get("anyOf", [schema])]
        choices = next((s.get("enum") for s in schema.get("anyOf", [schema]) if s.get("enum")), None)
        fields.append(f"<tr><td><code>{escape(name)}</code></td><td>{escape(' or '.join(k for k in kinds if k))}</td>"
                      f"<td>{'yes' if name in required else ''}</td>"
                      f"<td>{escape(', '.join(map(str, choices[:20])) if choices else schema.get('description', ''))}</td></tr>")
    info = doc.get("info", {})
    return ("<!doctype html><html><head><meta charset='utf-8'>"
            f"<title>{escape(info.get('title', ''))}</title>"
            "<style>body{font-family:sans-serif;margin:2em;max-width:70em}table{border-collapse:collapse}"
            "td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left;vertical-align:top}</style></head><body>"
            f"<h1>{escape(info.get('title', ''))}</h1><p>{escape(info.get('description', ''))}</p>"
            "<p>The machine-readable contract: <a href='openapi.json'>openapi.json</a> (OpenAPI 3.1; "
            "import it into any OpenAPI client or viewer).</p>"
            "<h2>Routes</h2><table><tr><th>method</th><th>path</th><th>what</th><th>statuses</th></tr>"
            + "".join(rows) + "</table>"
            "<h2>Lead fields (the model served now)</h2><table><tr><th>field</th><th>type</th><th>required</th>"
            "<th>values</th></tr>" + "".join(fields) + "</table>"
            "<p><code>POST /v1/route</code> (with a territory plan) also reads <code>account_id</code>, "
            "<code>segment</code> and <code>region</code>.</p></body></html>")
