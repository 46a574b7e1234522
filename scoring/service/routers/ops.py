"""``/readyz`` (a model is loaded) and ``/metrics`` (Prometheus text)."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.responses import PlainTextResponse, Response

from scoring.service.dependencies import get_holder, get_metrics
from scoring.service.errors import error_response
from scoring.service.holder import ModelHolder
from scoring.service.metrics import Metrics
from scoring.service.schemas import ERRORS, Ready

router = APIRouter(tags=["operations"])


@router.get("/readyz", response_model=Ready, response_model_exclude_none=True,
            summary="a model (and the territory plan, when one is configured) is loaded",
            responses={k: ERRORS[k] for k in (401, 503)})
async def readyz(request: Request, holder: ModelHolder = Depends(get_holder)):
    model = holder.current
    if model is None:
        error = (holder.last_reload_error or {}).get("error", "loading")
        return error_response(503, "not_ready", f"no model loaded yet: {error}")
    answer = {"status": "ready", "model": {"name": model.name, "version": str(model.version)}}
    plans = request.app.state.plan_holder
    if plans is not None:  # started with a territory plan: ready once it is loaded too
        if plans.current is None:
            error = (plans.last_reload_error or {}).get("error", "loading")
            return error_response(503, "not_ready", f"no territory plan loaded yet: {error}")
        answer["plan"] = {"version": plans.current.version}
    return answer


@router.get("/metrics", response_class=PlainTextResponse, summary="Prometheus metrics",
            responses={401: ERRORS[401]})
async def metrics(holder: ModelHolder = Depends(get_holder),
                  metrics: Metrics = Depends(get_metrics)) -> Response:
    model = holder.current
    text = metrics.render((model.name, str(model.version)) if model is not None else None)
    return PlainTextResponse(text, media_type="text/plain; version=0.0.4; charset=utf-8")
