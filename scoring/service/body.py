"""Reading a scoring request: size limit, JSON (fast, then tolerant for better messages), shape."""
from __future__ import annotations

import json
from typing import Any

import anyio
import orjson
from fastapi import Request

from scoring.service.errors import ApiError
from scoring.service.hotpath import NonFinite


# A 408 closes the connection (RFC 9110). A 413 does not: closing while the client still sends
# would reset the connection before it reads the answer; uvicorn reads the rest and drops it,
# within the connection's header deadline (scoring.service.protocol).
CLOSE = {"Connection": "close"}


async def read_limited(request: Request, limit: int, timeout: float | None = None) -> bytes:
    """The body; 413 as soon as it is known to exceed ``limit`` bytes, 408 when it is not complete
    ``timeout`` seconds from now. A client that goes away raises starlette's ClientDisconnect."""
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            size = int(declared)
        except ValueError:
            raise ApiError(400, "Content-Length is not a number", code="invalid_request") from None
        if size > limit:
            raise ApiError(413, f"request body of {size} bytes; at most {limit}")
    chunks, total = [], 0
    with anyio.move_on_after(timeout) as scope:
        async for chunk in request.stream():
            total += len(chunk)
            if total > limit:
                raise ApiError(413, f"request body larger than {limit} bytes")
            chunks.append(chunk)
    if scope.cancelled_caught:
        raise ApiError(408, f"the request body was not complete within {timeout:g} seconds "
                       f"({total} bytes arrived)", code="body_timeout", headers=CLOSE)
    return b"".join(chunks)


def _has_surrogates(value: Any, path: str) -> str | None:
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return path
        return None
    if isinstance(value, dict):
        for k, v in value.items():
            found = _has_surrogates(k, path) or _has_surrogates(v, f"{path}.{k}" if path else str(k))
            if found:
                return found
    elif isinstance(value, list):
        for i, v in enumerate(value):
            found = _has_surrogates(v, f"{path}[{i}]")
            if found:
                return found
    return None


def parse_json(body: bytes) -> Any:
    """orjson first; on failure the standard parser, which accepts NaN/Infinity and big numbers
    (marked, so validation can name the field) and says where plain syntax errors are."""
    if not body:
        raise ApiError(400, "empty body: send {\"leads\": [{\"lead_id\": ..., ...}]}")
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        pass
    try:
        payload = json.loads(body, parse_constant=NonFinite)
    except (ValueError, RecursionError) as exc:
        raise ApiError(400, f"invalid JSON: {str(exc)[:200]}") from None
    bad = _has_surrogates(payload, "")
    if bad is not None:
        raise ApiError(400, f"invalid JSON: a \\u escape that is not valid Unicode at {bad or 'top level'}")
    return payload


def leads_of(payload: Any, max_batch: int) -> list:
    """The ``leads`` array of a request, checked for shape and size."""
    if not isinstance(payload, dict):
        raise ApiError(422, "the body must be a JSON object", [("body", "expected {\"leads\": [...]}")])
    if "leads" not in payload:
        raise ApiError(422, "the body has no 'leads'", [("leads", "required field missing")])
    leads = payload["leads"]
    if not isinstance(leads, list):
        raise ApiError(422, "'leads' must be an array", [("leads", "expected an array of lead objects")])
    if not leads:
        raise ApiError(422, "'leads' is empty", [("leads", "must hold at least one lead")])
    if len(leads) > max_batch:
        raise ApiError(413, f"batch of {len(leads)} leads; at most {max_batch} per request",
                       [("leads", f"at most {max_batch} leads")], code="batch_too_large")
    return leads
