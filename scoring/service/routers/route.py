"""``POST /v1/route``: score the leads, then give each an owner from the territory plan.

Present when the service runs with a territory plan (``territory_plan``). One lead is answered on
the event loop like ``/v1/score``; batches on the batch threads. ``/v1/route/plan`` says which
plan is loaded; ``/v1/route/unavailable`` lists, and ``PUT``/``DELETE
/v1/route/unavailable/{rep_id}`` mark, reps who get no round-robin leads (shared by all workers
through the routing state, kept across restarts).
"""
from __future__ import annotations

from typing import Any

import anyio
import orjson
from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from scoring.service.body import leads_of, parse_json, read_limited
from scoring.service.dependencies import ScoreContext, check_api_key, score_context
from scoring.service.errors import ApiError
from scoring.service.hotpath import LeadValidationError
from scoring.service.owners import assign_owners, routing_fields
from scoring.service.routers.score import INLINE_BODY_BYTES, INLINE_LEADS
from scoring.service.schemas import ERRORS, RouteResponse

router = APIRouter(tags=["routing"])

REQUEST_BODY = {"requestBody": {"required": True, "content": {
    "application/json": {"schema": {"$ref": "#/components/schemas/ScoreRequest"}}}}}


def current_plan(state) -> Any:
    plan = state.plan_holder.current if state.plan_holder is not None else None
    if plan is None:
        error = ((state.plan_holder.last_reload_error or {}).get("error") if state.plan_holder else None)
        raise ApiError(503, "no territory plan is loaded" + (f": {error}" if error else ""),
                       headers={"Retry-After": "5"})
    return plan


def _answer(model: Any, plan: Any, route_state: Any, caps: Any, leads: list) -> tuple[bytes, dict[str, int]]:
    fields = routing_fields(leads, plan)
    try:
        scores = model.score(leads)
    except LeadValidationError as exc:
        raise ApiError(422, f"{len(exc.problems)} field(s) cannot be scored", exc.problems,
                       code="invalid_lead") from None
    routes = assign_owners(plan, route_state, leads, scores, fields, caps)
    rules: dict[str, int] = {}
    for r in routes:
        rules[r["rule"]] = rules.get(r["rule"], 0) + 1
    answer = {"model": {"name": model.name, "version": str(model.version)},
              "plan": {"version": plan.version}, "routes": routes}
    return orjson.dumps(answer), rules


def _parse_and_answer(model, plan, route_state, caps, body: bytes, max_batch: int):
    return _answer(model, plan, route_state, caps, leads_of(parse_json(body), max_batch))


@router.post("/v1/route", response_model=RouteResponse, summary="score leads and give each an owner",
             responses={k: ERRORS[k] for k in (400, 401, 408, 413, 422, 503)}, openapi_extra=REQUEST_BODY)
async def route(request: Request, ctx: ScoreContext = Depends(score_context)) -> Response:
    state = request.app.state
    plan = current_plan(state)  # read once: a plan swap mid-request does not affect it
    model, settings = ctx.model, ctx.settings
    args = (model, plan, state.route_state, settings.tier_caps)
    body = await read_limited(request, settings.max_body_bytes, settings.body_timeout_seconds)
    if len(body) <= INLINE_BODY_BYTES:
        leads = leads_of(parse_json(body), settings.max_batch)
        if len(leads) <= INLINE_LEADS:
            content, rules = _answer(*args, leads)
        else:
            content, rules = await anyio.to_thread.run_sync(_answer, *args, leads, limiter=ctx.limiter)
    else:
        content, rules = await anyio.to_thread.run_sync(_parse_and_answer, *args, body, settings.max_batch,
                                                        limiter=ctx.limiter)
    ctx.metrics.count_leads(sum(rules.values()))
    for rule, n in rules.items():
        ctx.metrics.count_routed(rule, n)
    return Response(content, media_type="application/json")


def _secured(request: Request):
    check_api_key(request.app.state.settings, request.headers.get("authorization"))
    return request.app.state


@router.get("/v1/route/plan", summary="the territory plan routing uses now",
            responses={k: ERRORS[k] for k in (401, 503)})
async def plan_info(request: Request) -> Response:
    state = _secured(request)
    plan = current_plan(state)
    info = {**plan.info(), "last_reload_error": state.plan_holder.last_reload_error}
    return Response(orjson.dumps(info), media_type="application/json")


@router.get("/v1/route/unavailable", summary="reps who get no round-robin leads",
            responses={k: ERRORS[k] for k in (401, 503)})
async def unavailable(request: Request) -> Response:
    state = _secured(request)
    plan = current_plan(state)
    marked = await anyio.to_thread.run_sync(state.route_state.unavailable)
    return Response(orjson.dumps({"from_endpoint": marked, "from_file": sorted(plan.unavailable_file)}),
                    media_type="application/json")


async def _mark(request: Request, rep_id: str, away: bool) -> Response:
    state = _secured(request)
    plan = current_plan(state)
    if rep_id not in plan.reps:
        raise ApiError(404, f"rep_id {rep_id!r} is not a rep of the territory plan", [("rep_id", "unknown rep")])
    await anyio.to_thread.run_sync(state.route_state.set_unavailable, rep_id, away)
    marked = await anyio.to_thread.run_sync(state.route_state.unavailable)
    return Response(orjson.dumps({"from_endpoint": marked, "from_file": sorted(plan.unavailable_file)}),
                    media_type="application/json")


@router.put("/v1/route/unavailable/{rep_id}", summary="mark a rep unavailable (no round-robin leads)",
            responses={k: ERRORS[k] for k in (401, 404, 503)})
async def mark_unavailable(rep_id: str, request: Request) -> Response:
    return await _mark(request, rep_id, True)


@router.delete("/v1/route/unavailable/{rep_id}", summary="mark a rep available again",
               responses={k: ERRORS[k] for k in (401, 404, 503)})
async def mark_available(rep_id: str, request: Request) -> Response:
    return await _mark(request, rep_id, False)
