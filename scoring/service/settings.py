"""The service's settings: one frozen object, read once from options and the environment."""
from __future__ import annotations

import json
import os
from dataclasses import asdict, field, fields, replace
from typing import Annotated, Literal

from pydantic import ConfigDict, Field
from pydantic.dataclasses import dataclass

ENV_SETTINGS = "REVOPS_SERVE_SETTINGS"  # JSON handed to uvicorn worker processes
ENV_API_KEY = "REVOPS_API_KEY"


@dataclass(frozen=True, config=ConfigDict(extra="forbid"))
class ServiceSettings:
    """Everything the endpoint can be told. ``api_key`` None: no authentication."""

    model_uri: Annotated[str, Field(min_length=1, description="MLflow model URI; an @alias is followed live")] = \
        "models:/lead-scoring@champion"
    host: Annotated[str, Field(min_length=1, description="address to bind")] = "127.0.0.1"
    port: Annotated[int, Field(ge=0, le=65535, description="port to bind; 0: any free port")] = 8000
    workers: Annotated[int, Field(ge=1, description="worker processes, each with its own copy of the model")] = 1
    # Not in repr: settings may be logged.
    api_key: Annotated[str | None, Field(min_length=1, description="bearer key every route but /healthz "
                                         "requires; None: no authentication")] = field(default=None, repr=False)
    max_body_bytes: Annotated[int, Field(ge=1024, description="largest request body; larger is a 413")] = 4_000_000
    max_batch: Annotated[int, Field(ge=1, description="most leads per request; more is a 413")] = 1000
    max_string_chars: Annotated[int, Field(ge=16, description="longest text value in a lead; longer is a 422")] = 1000
    poll_seconds: Annotated[float, Field(gt=0, description="how often the model alias is checked")] = 5.0
    log_level: Annotated[Literal["critical", "error", "warning", "info", "debug"],
                         Field(description="server log level")] = "warning"
    header_timeout_seconds: Annotated[float, Field(gt=0, le=3600, description=(
        "a request's headers must be complete this many seconds after its first byte (after the "
        "connection opens, for the first request), else 408 and the connection is closed"))] = 10.0
    body_timeout_seconds: Annotated[float, Field(gt=0, le=3600, description=(
        "a scoring request's body must be complete this many seconds after its headers, else 408 "
        "and the connection is closed"))] = 30.0
    keep_alive_seconds: Annotated[int, Field(ge=1, le=3600, description=(
        "an idle kept-alive connection is closed after this many seconds (uvicorn timeout_keep_alive)"))] = 30
    max_connections: Annotated[int, Field(ge=1, description=(
        "open connections per worker; past it the connections idle the longest (waiting for headers "
        "or between requests) are closed, and when none is idle a new request is a 503 (uvicorn "
        "limit_concurrency is this + 1); lowered at start to fit the open-file limit"))] = 1000
    max_header_bytes: Annotated[int, Field(ge=1024, le=1_048_576, description=(
        "largest request head (request line and headers); larger is a 431 and the connection is "
        "closed (uvicorn h11_max_incomplete_event_size)"))] = 16_384
    batch_threads: Annotated[int, Field(ge=1, le=64, description=(
        "batches scored at once on worker threads, off the event loop (one-lead requests are "
        "answered on the loop); further batches wait their turn"))] = 2

    @classmethod
    def from_env(cls, **overrides) -> "ServiceSettings":
        """Settings from ``REVOPS_SERVE_SETTINGS`` (workers) and ``REVOPS_API_KEY``, then overrides."""
        base = json.loads(os.environ.get(ENV_SETTINGS, "{}") or "{}")
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in base.items() if k in known}
        if os.environ.get(ENV_API_KEY):
            values["api_key"] = os.environ[ENV_API_KEY]
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    def to_env(self) -> str:
        """JSON for worker processes; the API key travels in its own variable, not here."""
        return json.dumps({k: v for k, v in asdict(self).items() if k != "api_key"})

    def but(self, **changes) -> "ServiceSettings":
        return replace(self, **changes)
