"""What endpoints receive through ``Depends``: settings, the served model, metrics, the key check.

Everything hangs off ``request.app.state`` (set by :func:`scoring.service.app.create_app`), so
two apps in one process never share state, and tests override these functions or build the app
with their own settings and model instead of patching globals. All are ``async def`` (FastAPI
runs plain ``def`` dependencies in a thread pool) and the scoring route takes a single one,
:func:`score_context`: each dependency costs FastAPI tens of microseconds per request, more
than scoring one lead.
"""
from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Any

import anyio
from fastapi import Depends, Request

from scoring.service.errors import ApiError
from scoring.service.holder import ModelHolder
from scoring.service.metrics import Metrics
from scoring.service.settings import ServiceSettings


def check_api_key(settings: ServiceSettings, authorization: str | None) -> None:
    """With an API key configured, ``Authorization: Bearer <key>`` (compared in constant time)."""
    if not settings.api_key:
        return
    scheme, _, given = (authorization or "").partition(" ")
    token = given.strip().encode() if scheme.lower() == "bearer" else b""
    if not hmac.compare_digest(token, settings.api_key.encode()):
        raise ApiError(401, "missing or wrong API key: send 'Authorization: Bearer <key>'",
                       headers={"WWW-Authenticate": "Bearer"})


def current_model(holder: ModelHolder) -> Any:
    """The model serving this request (read once: a swap mid-request does not affect it)."""
    model = holder.current
    if model is None:
        error = (holder.last_reload_error or {}).get("error")
        raise ApiError(503, "no model is loaded yet" + (f": {error}" if error else ""),
                       headers={"Retry-After": "5"})
    return model


async def get_settings(request: Request) -> ServiceSettings:
    return request.app.state.settings


async def get_holder(request: Request) -> ModelHolder:
    return request.app.state.holder


async def get_metrics(request: Request) -> Metrics:
    return request.app.state.metrics


async def get_model(holder: ModelHolder = Depends(get_holder)) -> Any:
    return current_model(holder)


async def require_api_key(request: Request) -> None:
    check_api_key(request.app.state.settings, request.headers.get("authorization"))


@dataclass(frozen=True)
class ScoreContext:
    model: Any
    settings: ServiceSettings
    metrics: Metrics
    limiter: anyio.CapacityLimiter  # worker threads for batches


async def score_context(request: Request) -> ScoreContext:
    """Key check, settings, the current model, metrics and the batch threads for
    ``POST /v1/score``, in one step."""
    state = request.app.state
    check_api_key(state.settings, request.headers.get("authorization"))
    limiter = state.batch_limiter
    if limiter is None:  # an app run without its lifespan (made in the event loop, once)
        limiter = state.batch_limiter = anyio.CapacityLimiter(state.settings.batch_threads)
    return ScoreContext(current_model(state.holder), state.settings, state.metrics, limiter)
