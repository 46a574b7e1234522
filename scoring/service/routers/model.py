"""``/v1/model`` (what is served, how good it was, its input schema) and ``/openapi.json``."""
from __future__ import annotations

import orjson
from fastapi import APIRouter, Depends, Request
from starlette.responses import HTMLResponse, Response

from scoring.service.dependencies import get_holder, get_model
from scoring.service.holder import ModelHolder
from scoring.service.openapi import docs_html
from scoring.service.schemas import ERRORS, ModelInfo

router = APIRouter(tags=["model"])


@router.get("/v1/model", response_model=ModelInfo, summary="the model being served",
            responses={k: ERRORS[k] for k in (401, 503)})
async def model_info(model=Depends(get_model), holder: ModelHolder = Depends(get_holder)) -> Response:
    info = {**model.info(), "loaded_at": holder.loaded_at,
            "last_reload_error": holder.last_reload_error}
    return Response(orjson.dumps(info), media_type="application/json")


@router.get("/openapi.json", include_in_schema=False)
async def openapi(request: Request) -> Response:
    return Response(orjson.dumps(request.app.openapi()), media_type="application/json")


@router.get("/docs", include_in_schema=False)
async def docs(request: Request) -> HTMLResponse:
    # Served from here alone (no CDN): it works on a network without internet access.
    return HTMLResponse(docs_html(request.app.openapi()))
