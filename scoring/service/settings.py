"""The service's settings: one frozen object, read once from options and the environment.

Every setting is also a ``REVOPS_<NAME>`` variable (``REVOPS_PORT``, ``REVOPS_TERRITORY_PLAN``,
``REVOPS_TIER_CAPS='{"A": 20}'``), read by pydantic-settings, so a container needs no flags.
Precedence: defaults < ``REVOPS_*`` variables < the settings a parent process resolved for its
workers (``REVOPS_SERVE_SETTINGS``, internal) < flags given on the command line.
"""
from __future__ import annotations

import json
import os
from dataclasses import asdict, field, fields, replace
from pathlib import Path
from typing import Annotated, Any, Literal, Optional

from pydantic import ConfigDict, Field, create_model
from pydantic.dataclasses import dataclass

ENV_SETTINGS = "REVOPS_SERVE_SETTINGS"  # JSON handed to uvicorn worker processes
ENV_API_KEY = "REVOPS_API_KEY"
ENV_PREFIX = "REVOPS_"
TIERS = ("A", "B", "C", "D")


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

    territory_plan: Annotated[Optional[Path], Field(description=(
        "a territory plan's output folder (assignments.csv and rep_summary.csv, directly or in "
        "territory/); enables POST /v1/route and is reloaded when its files change; None: no routing"))] = None
    unavailable: Annotated[Optional[Path], Field(description=(
        "file of reps who get no round-robin leads (a rep_id column, or one id per line); reloaded "
        "when it changes; None: only the reps marked through PUT /v1/route/unavailable"))] = None
    route_state: Annotated[Optional[Path], Field(description=(
        "SQLite file with the round-robin state, the daily counts per rep and tier, and the reps "
        "marked unavailable through the endpoint, shared by all workers and kept across restarts; "
        "None: models/routing_state.sqlite under the working directory (beside the local MLflow store)"))] = None
    tier_caps: Annotated[Optional[dict[Literal["A", "B", "C", "D"], Annotated[int, Field(ge=0)]]], Field(
        description=("most leads of a tier one rep gets by round robin per UTC day, e.g. {\"A\": 20}; "
                     "a rep at its cap is skipped; None: no caps"))] = None
    metrics_dir: Annotated[Optional[Path], Field(description=(
        "folder for prometheus_client's multiprocess files (PROMETHEUS_MULTIPROC_DIR) when "
        "workers > 1, emptied at start; None: a new temporary folder"))] = None

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides) -> "ServiceSettings":
        """Settings from ``REVOPS_*`` variables, ``REVOPS_SERVE_SETTINGS`` (workers), then overrides
        (None: not given). A variable of the wrong type raises a ValidationError whose location
        is the setting's name."""
        environ = os.environ if environ is None else environ
        values = env_values(environ)
        base = json.loads(environ.get(ENV_SETTINGS, "{}") or "{}")
        known = {f.name for f in fields(cls)}
        values.update({k: v for k, v in base.items() if k in known})
        if environ.get(ENV_API_KEY):
            values["api_key"] = environ[ENV_API_KEY]
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    def to_env(self) -> str:
        """JSON for worker processes; the API key travels in its own variable, not here."""
        return json.dumps({k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(self).items()
                           if k != "api_key"})

    def but(self, **changes) -> "ServiceSettings":
        return replace(self, **changes)


def env_name(setting: str) -> str:
    """The variable of a setting: ``port`` -> ``REVOPS_PORT``."""
    return ENV_PREFIX + setting.upper()


_ENV_MODEL: Any = None


def _env_model():
    """A pydantic-settings class mirroring ServiceSettings: every field optional (None: the
    variable is not set), typed but unconstrained: the constraints are checked once, by
    ServiceSettings itself."""
    global _ENV_MODEL  # built once: create_model costs ~1 ms
    if _ENV_MODEL is None:
        from pydantic_settings import BaseSettings, SettingsConfigDict

        class _Base(BaseSettings):
            # An empty variable is an unset one (compose writes ${VAR:-} as "").
            model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore", case_sensitive=False,
                                              env_ignore_empty=True)

        mirrored = {}
        for name, info in ServiceSettings.__pydantic_fields__.items():
            if name == "api_key":  # REVOPS_API_KEY: read in from_env (kept out of reprs and JSON)
                continue
            mirrored[name] = (Optional[info.annotation], None)
        _ENV_MODEL = create_model("ServiceEnvironment", __base__=_Base, **mirrored)
    return _ENV_MODEL


def env_values(environ: dict[str, str]) -> dict[str, Any]:
    """The settings given as ``REVOPS_*`` variables in ``environ`` (only those set)."""
    if not any(key.upper().startswith(ENV_PREFIX) for key in environ):
        return {}
    model = _env_model()
    # pydantic-settings reads os.environ; a given mapping is passed as init values instead.
    if environ is os.environ:
        parsed = model()
    else:
        names = {env_name(n).lower(): n for n in model.model_fields}
        given = {names[k.lower()]: v for k, v in environ.items() if k.lower() in names and v != ""}
        parsed = model(**{k: _decode(model, k, v) for k, v in given.items()})
    return {k: v for k, v in parsed.model_dump().items() if v is not None}


def _decode(model, name: str, raw: str) -> Any:
    """A variable's text as pydantic-settings would read it: JSON for dicts, text otherwise."""
    if "dict" in str(model.model_fields[name].annotation):
        try:
            return json.loads(raw)
        except ValueError:
            return raw
    return raw
