"""Running the app with uvicorn: in the foreground (the CLI) or in a thread (tests, bench)."""
from __future__ import annotations

import contextlib
import functools
import importlib.util
import logging
import os
import shutil
import socket
import tempfile
import threading
import time
from pathlib import Path

import uvicorn

from scoring.service.protocol import ConnectionLimits, GuardedH11Protocol, GuardedHttpToolsProtocol
from scoring.service.settings import ENV_API_KEY, ENV_SETTINGS, ServiceSettings

log = logging.getLogger("scoring.service")

# File descriptors kept for everything but client sockets: the listening socket, the model's
# and MLflow's files, the SQLite store, pipes, the event loop's own.
RESERVED_FDS = 128


def raise_open_file_limit() -> int:
    """Raise this process's soft RLIMIT_NOFILE to its hard limit; the soft limit now in force.

    Each connection is a file descriptor; a soft limit of 1,024 (a common default) with a
    thousand stalled clients leaves none to accept anyone else. Workers inherit the limit.
    """
    try:
        import resource
    except ImportError:  # pragma: no cover - Windows: no such limit to raise
        return 1 << 20
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else 1 << 20
    if soft != resource.RLIM_INFINITY and soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError) as exc:  # e.g. above the kernel's nr_open
            log.warning("cannot raise the open-file limit from %d to %d: %s", soft, target, exc)
    return soft if soft != resource.RLIM_INFINITY else 1 << 20


def connection_budget(settings: ServiceSettings, open_files: int) -> int:
    """``max_connections``, lowered so that the connections fit the open-file limit."""
    fits = max(open_files - RESERVED_FDS, 16)
    if settings.max_connections > fits:
        log.warning("max_connections=%d does not fit the open-file limit of %d; serving at most %d "
                    "connections per worker (raise the hard limit: ulimit -Hn)",
                    settings.max_connections, open_files, fits)
        return fits
    return settings.max_connections


def uvicorn_options(settings: ServiceSettings, max_connections: int | None = None) -> dict:
    """The uvicorn settings for ``settings``: event loop, guarded HTTP protocol and limits."""
    connections = max_connections or settings.max_connections
    limits = ConnectionLimits(header_timeout=settings.header_timeout_seconds,
                              max_header_bytes=settings.max_header_bytes, max_connections=connections)
    # uvloop and httptools roughly halve uvicorn's own cost per request when installed.
    have_httptools = GuardedHttpToolsProtocol is not None and importlib.util.find_spec("httptools")
    protocol = GuardedHttpToolsProtocol if have_httptools else GuardedH11Protocol
    return dict(
        loop="uvloop" if importlib.util.find_spec("uvloop") else "asyncio",
        # A partial of a module-level class: picklable, so worker processes get it too.
        http=functools.partial(protocol, limits=limits),
        log_level=settings.log_level, access_log=False,
        timeout_keep_alive=settings.keep_alive_seconds,
        # uvicorn counts the connection asking too: with N + 1, N connections are served.
        limit_concurrency=connections + 1,
        h11_max_incomplete_event_size=settings.max_header_bytes,
    )


def serve(settings: ServiceSettings, *, app=None) -> None:
    """Serve until interrupted. Several workers are separate processes that each load the model.

    ``app`` (one worker only): serve this app instead of one built from ``settings``.
    """
    budget = connection_budget(settings, raise_open_file_limit())
    common = dict(host=settings.host, port=settings.port, **uvicorn_options(settings, budget))
    if settings.workers == 1:
        # PROMETHEUS_MULTIPROC_DIR set by the user: emptied of a past run's files before the app
        # (its metrics) is made.
        multiprocess = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
        with multiprocess_metrics_dir(settings.metrics_dir) if multiprocess else contextlib.nullcontext():
            if app is None:
                from scoring.service.app import create_app

                app = create_app(settings)
            uvicorn.run(app, **common)
        return
    if app is not None:
        raise ValueError("serve(app=...) runs one worker; several workers build their own app")
    os.environ[ENV_SETTINGS] = settings.to_env()
    if settings.api_key:
        os.environ[ENV_API_KEY] = settings.api_key
    with multiprocess_metrics_dir(settings.metrics_dir):
        uvicorn.run("scoring.service.app:create_app_from_env", factory=True, workers=settings.workers,
                    **common)


@contextlib.contextmanager
def multiprocess_metrics_dir(folder: Path | None):
    """``PROMETHEUS_MULTIPROC_DIR`` for the workers about to start: ``folder`` (or the one the
    variable already names) emptied of an earlier run's files, else a new temporary folder
    removed at the end. Set before the workers start: prometheus_client picks its multiprocess
    values when a process first imports it."""
    from scoring.service.metrics import MULTIPROC_ENV

    given = folder or os.environ.get(MULTIPROC_ENV)
    if given:
        path = Path(given)
        path.mkdir(parents=True, exist_ok=True)
        for stale in path.glob("*.db"):  # counts of an earlier run would be added to this one's
            stale.unlink()
        created = None
    else:
        path = created = Path(tempfile.mkdtemp(prefix="revops-metrics-"))
    before = os.environ.get(MULTIPROC_ENV)
    os.environ[MULTIPROC_ENV] = str(path)
    try:
        yield path
    finally:
        if before is None:
            os.environ.pop(MULTIPROC_ENV, None)
        else:
            os.environ[MULTIPROC_ENV] = before
        if created is not None:
            shutil.rmtree(created, ignore_errors=True)


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


class ServerThread:
    """An app served by uvicorn on a background thread; ``url`` once started.

    The uvicorn options come from ``settings``, by default the app's own
    (``app.state.settings``); the open-file limit is left as it is.
    """

    def __init__(self, app, host: str = "127.0.0.1", port: int | None = None,
                 settings: ServiceSettings | None = None):
        self.host = host
        self.port = port or free_port(host)
        settings = settings or getattr(getattr(app, "state", None), "settings", None) or ServiceSettings()
        config = uvicorn.Config(app, host=host, port=self.port, lifespan="on",
                                **{**uvicorn_options(settings), "log_level": "warning"})
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
