"""The service's settings: one frozen object, read once from options and the environment."""
from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, fields, replace

from scoring.errors import ScoringInputError

ENV_SETTINGS = "REVOPS_SERVE_SETTINGS"  # JSON handed to uvicorn worker processes
ENV_API_KEY = "REVOPS_API_KEY"


@dataclass(frozen=True)
class ServiceSettings:
    """Everything the endpoint can be told. ``api_key`` None: no authentication."""

    model_uri: str = "models:/lead-scoring@champion"
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    api_key: str | None = None
    max_body_bytes: int = 4_000_000
    max_batch: int = 1000
    max_string_chars: int = 1000
    poll_seconds: float = 5.0
    log_level: str = "warning"

    def __post_init__(self) -> None:
        checks = [("port", 0 <= self.port <= 65535, "an int in [0, 65535]"),
                  ("workers", self.workers >= 1, "an int >= 1"),
                  ("max_body_bytes", self.max_body_bytes >= 1024, "an int >= 1024"),
                  ("max_batch", self.max_batch >= 1, "an int >= 1"),
                  ("max_string_chars", self.max_string_chars >= 16, "an int >= 16"),
                  ("poll_seconds", self.poll_seconds > 0, "a float > 0")]
        for name, ok, expected in checks:
            if not ok:
                raise ScoringInputError(f"The '{name}' setting of the scoring service must be "
                                        f"{expected}. Got {getattr(self, name)!r} instead.")

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
