"""Error answers: one JSON shape for every 4xx/5xx, naming the field path and the problem."""
from __future__ import annotations

import logging

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.responses import Response

log = logging.getLogger("scoring.service")

# 499 (nginx's "client closed request"): the client left before its request was read; it is a
# status for the metrics only, as nobody is there to receive it.
CLIENT_GONE = 499
CODES = {400: "invalid_json", 401: "unauthorized", 404: "not_found", 405: "method_not_allowed",
         408: "request_timeout", 413: "too_large", 415: "unsupported_media_type", 422: "invalid_request",
         503: "not_ready", 500: "internal_error"}


class ApiError(Exception):
    """An answer other than 200: status, short code, message and (path, problem) pairs."""

    def __init__(self, status: int, message: str, problems: list[tuple[str, str]] | None = None,
                 code: str | None = None, headers: dict | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.problems = problems or []
        self.code = code or CODES.get(status, "error")
        self.headers = headers


def error_response(status: int, code: str, message: str, problems=(), headers=None) -> Response:
    body = {"error": code, "message": message,
            "problems": [{"path": p, "problem": t} for p, t in problems]}
    return Response(orjson.dumps(body), status_code=status, media_type="application/json",
                    headers=headers)


def _location(loc) -> str:
    out = ""
    for part in loc:
        if part == "body":
            continue
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "body"


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> Response:
        return error_response(exc.status, exc.code, exc.message, exc.problems, exc.headers)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        return error_response(exc.status_code, CODES.get(exc.status_code, "error"), str(exc.detail),
                              headers=getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> Response:
        problems = [(_location(e.get("loc", ())), e.get("msg", "invalid")) for e in exc.errors()]
        return error_response(422, "invalid_request", "the request does not match the schema", problems)

    @app.exception_handler(ClientDisconnect)
    async def _client_gone(request: Request, exc: ClientDisconnect) -> Response:
        # Routine (a router timing out, a closed laptop): neither an error nor worth a traceback.
        log.debug("client left during %s %s", request.method, request.scope.get("path"))
        return Response(status_code=CLIENT_GONE)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return error_response(500, "internal_error", f"internal error ({type(exc).__name__}); see the log")
