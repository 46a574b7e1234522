"""Running the app with uvicorn: in the foreground (the CLI) or in a thread (tests, bench)."""
from __future__ import annotations

import importlib.util
import os
import socket
import threading
import time

import uvicorn

from scoring.service.settings import ENV_API_KEY, ENV_SETTINGS, ServiceSettings


def _fast_options() -> dict:
    # uvloop and httptools roughly halve uvicorn's own cost per request when installed.
    return {"loop": "uvloop" if importlib.util.find_spec("uvloop") else "asyncio",
            "http": "httptools" if importlib.util.find_spec("httptools") else "h11"}


def serve(settings: ServiceSettings) -> None:
    """Serve until interrupted. Several workers are separate processes that each load the model."""
    common = dict(host=settings.host, port=settings.port, log_level=settings.log_level,
                  access_log=False, timeout_keep_alive=30, **_fast_options())
    if settings.workers == 1:
        from scoring.service.app import create_app

        uvicorn.run(create_app(settings), **common)
        return
    os.environ[ENV_SETTINGS] = settings.to_env()
    if settings.api_key:
        os.environ[ENV_API_KEY] = settings.api_key
    uvicorn.run("scoring.service.app:create_app_from_env", factory=True, workers=settings.workers,
                **common)


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


class ServerThread:
    """An app served by uvicorn on a background thread; ``url`` once started."""

    def __init__(self, app, host: str = "127.0.0.1", port: int | None = None):
        self.host = host
        self.port = port or free_port(host)
        config = uvicorn.Config(app, host=host, port=self.port, log_level="warning",
                                access_log=False, lifespan="on", **_fast_options())
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name=f"uvicorn-{self.port}", daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 60.0) -> "ServerThread":
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the scoring server did not start on {self.url}")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)

    def __enter__(self) -> "ServerThread":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
