"""``POST /v1/score``: leads in, calibrated P(SQL), score, tier, reasons and flags out.

One lead (the router's call) is answered on the event loop: a thread hop would cost more than
scoring it. A batch is parsed, scored and serialised on a worker thread, at most
``batch_threads`` at once, so a large or slow batch never holds the loop the other clients need.
"""
from __future__ import annotations

from typing import Any

import anyio
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
INLINE_BODY_BYTES = 16_384  # bodies up to this size are parsed on the event loop (~0.1 ms)
INLINE_LEADS = 8            # up to this many leads are scored there too


def _answer(model: Any, leads: list) -> tuple[bytes, int]:
    """The response body and the number of leads scored."""
    # A model that writes its answers' JSON itself (LeadScorerModel.score_json) saves the
    # dicts and their dump; the body is the same bytes either way.
    as_json = getattr(model, "score_json", None)
    try:
        scores = as_json(leads) if as_json is not None else model.score(leads)
    except LeadValidationError as exc:
        raise ApiError(422, f"{len(exc.problems)} field(s) cannot be scored", exc.problems,
                       code="invalid_lead") from None
    if as_json is None:
        scores, n = orjson.dumps(scores), len(scores)
    else:
        n = len(leads)  # one answer per lead
    return _envelope(model, scores), n


def _envelope(model: Any, scores: bytes) -> bytes:
    head = orjson.dumps({"model": {"name": model.name, "version": str(model.version)}})
    return head[:-1] + b',"scores":' + scores + b"}"


def _parse_and_answer(model: Any, body: bytes, max_batch: int) -> tuple[bytes, int]:
    # A model that reads a batch's body itself (LeadScorerModel.score_body: columns straight
    # from the bytes, no dict per lead) answers here unless its reader gives up on the body.
    read = getattr(model, "score_body", None)
    answered = read(body, max_batch) if read is not None else None
    if answered is not None:
        return _envelope(model, answered[0]), answered[1]
    return _answer(model, leads_of(parse_json(body), max_batch))


@router.post("/v1/score", response_model=ScoreResponse, summary="score one lead or a batch",
             responses={k: ERRORS[k] for k in (400, 401, 408, 413, 422, 503)}, openapi_extra=REQUEST_BODY)
async def score(request: Request, ctx: ScoreContext = Depends(score_context)) -> Response:
    # The body is read and checked here rather than by FastAPI: the lead fields depend on the
    # model being served, and this path is measured in microseconds.
    model, settings = ctx.model, ctx.settings
    body = await read_limited(request, settings.max_body_bytes, settings.body_timeout_seconds)
    if len(body) <= INLINE_BODY_BYTES:
        leads = leads_of(parse_json(body), settings.max_batch)
        if len(leads) <= INLINE_LEADS:
            content, n = _answer(model, leads)
        else:
            content, n = await anyio.to_thread.run_sync(_answer, model, leads, limiter=ctx.limiter)
    else:
        content, n = await anyio.to_thread.run_sync(_parse_and_answer, model, body, settings.max_batch,
                                                    limiter=ctx.limiter)
    ctx.metrics.count_leads(n)
    return Response(content, media_type="application/json")
