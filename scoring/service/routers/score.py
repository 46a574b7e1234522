"""``POST /v1/score``: leads in, calibrated P(SQL), score, tier, reasons and flags out."""
from __future__ import annotations

import orjson
from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from scoring.service.body import leads_of, parse_json, read_limited
from scoring.service.dependencies import ScoreContext, score_context
from scoring.service.errors import ApiError
from scoring.service.hotpath import LeadValidationError
from scoring.service.schemas import ERRORS, ScoreResponse

router = APIRouter(tags=["scoring"])

REQUEST_BODY = {"requestBody": {"required": True, "content": {
    "application/json": {"schema": {"$ref": "#/components/schemas/ScoreRequest"}}}}}


@router.post("/v1/score", response_model=ScoreResponse, summary="score one lead or a batch",
             responses={k: ERRORS[k] for k in (400, 401, 413, 422, 503)}, openapi_extra=REQUEST_BODY)
async def score(request: Request, ctx: ScoreContext = Depends(score_context)) -> Response:
    # The body is read and checked here rather than by FastAPI: the lead fields depend on the
    # model being served, and this path is measured in microseconds.
    model, settings = ctx.model, ctx.settings
    body = await read_limited(request, settings.max_body_bytes)
    leads = leads_of(parse_json(body), settings.max_batch)
    try:
        scores = model.score(leads)
    except LeadValidationError as exc:
        raise ApiError(422, f"{len(exc.problems)} field(s) cannot be scored", exc.problems,
                       code="invalid_lead") from None
    ctx.metrics.count_leads(len(scores))
    answer = {"model": {"name": model.name, "version": str(model.version)}, "scores": scores}
    return Response(orjson.dumps(answer), media_type="application/json")
