"""The app factory: settings, model holder, metrics and routers put together (nothing else)."""
from __future__ import annotations

import contextlib
import gc
import logging
from pathlib import Path

import anyio
from fastapi import Depends, FastAPI
from threadpoolctl import threadpool_limits

from scoring.service.dependencies import require_api_key
from scoring.service.errors import install_error_handlers
from scoring.service.holder import ChampionFollower, ModelHolder, ModelSource, freeze_long_lived
from scoring.service.metrics import Metrics, MetricsMiddleware
from scoring.service.openapi import build_openapi
from scoring.service.protocol import METRICS_STATE_KEY
from scoring.service.routers import health, model, ops, score
from scoring.service.settings import ServiceSettings

log = logging.getLogger("scoring.service")
# The cyclic garbage collector's first threshold while serving. A batch of 1,000 leads holds
# ~10,000 container objects at its peak (the parsed leads, the answers), all freed by reference
# counting once answered; with Python's default (700) the collector walked them about ten
# times per batch, 1.2 ms of the answering thread (and a full collection every ~15 batches).
# From this many, it runs only when that much outlives the requests, which the service does not
# make (measured: no collection in 100 batches).
YOUNG_OBJECTS = 50_000


def create_app(settings: ServiceSettings | None = None, *, source: ModelSource | None = None,
               holder: ModelHolder | None = None) -> FastAPI:
    """A scoring app. ``source`` (default: the MLflow registry at ``settings.model_uri``) is
    followed by a background thread; pass ``holder`` with a model and ``source=None`` to serve a
    fixed model (tests). With ``settings.territory_plan``, ``POST /v1/route`` too: the plan's
    files are followed the same way (read beside the served plan, then swapped)."""
    settings = settings or ServiceSettings.from_env()
    holder = holder or ModelHolder()
    if source is None and holder.current is None:
        from scoring.service.registry_source import RegistrySource

        source = RegistrySource(settings.model_uri, max_chars=settings.max_string_chars)
    metrics = Metrics()
    plan_holder = plan_source = route_state = None
    if settings.territory_plan is not None:
        from scoring.service.route_state import RouteState
        from scoring.service.routing import PlanSource

        plan_holder = ModelHolder()
        plan_source = PlanSource(settings.territory_plan, settings.unavailable)
        # Not inside the plan folder by default: a new plan replaces that folder whole.
        route_state = RouteState(settings.route_state or Path("models") / "routing_state.sqlite")

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        # One BLAS/OpenMP thread per process: requests are small and concurrent, and several
        # threads per matrix product cost ~10x on a busy 2-core machine (measured).
        blas = threadpool_limits(limits=1)
        follower = plan_follower = None
        if source is not None:
            def on_reload(ok: bool) -> None:
                metrics.count_reload(ok)
                model = holder.current
                metrics.set_model((model.name, str(model.version)) if model is not None else None)

            follower = ChampionFollower(holder, source, settings.poll_seconds, on_reload=on_reload)
            app.state.follower = follower
            # Load before accepting requests, so "port open" mostly means "ready".
            await anyio.to_thread.run_sync(follower.check_once)
            follower.start()
        if plan_source is not None:
            # retry_seconds: a plan being rewritten changes its version once complete anyway.
            plan_follower = ChampionFollower(plan_holder, plan_source, settings.poll_seconds,
                                             retry_seconds=settings.poll_seconds,
                                             on_reload=metrics.count_plan_reload)
            await anyio.to_thread.run_sync(plan_follower.check_once)
            plan_follower.start()
        # Batches are scored on worker threads, at most batch_threads at once (routers.score).
        app.state.batch_limiter = anyio.CapacityLimiter(settings.batch_threads)
        freeze_long_lived()
        collect_every = gc.get_threshold()
        gc.set_threshold(YOUNG_OBJECTS, *collect_every[1:])
        try:
            # The lifespan state reaches uvicorn's connections too: the protocol's guards count
            # the connections they close in these metrics (scoring.service.protocol).
            yield {METRICS_STATE_KEY: metrics}
        finally:
            for running in (follower, plan_follower):
                if running is not None:
                    running.stop()
            blas.restore_original_limits()
            gc.set_threshold(*collect_every)

    app = FastAPI(title="revops lead scoring", lifespan=lifespan, openapi_url=None, docs_url=None,
                  redoc_url=None)
    app.state.settings = settings
    app.state.holder = holder
    app.state.metrics = metrics
    app.state.plan_holder = plan_holder
    app.state.route_state = route_state
    app.state.follower = None
    app.state.batch_limiter = None
    app.state.openapi_cache = None
    install_error_handlers(app)
    secured = [Depends(require_api_key)]
    # The hot route first: FastAPI tries routes in order.
    app.include_router(score.router)  # checks the key in its own single dependency
    routers = [health, ops, model, score]
    if plan_holder is not None:
        from scoring.service.routers import route

        app.include_router(route.router)  # checks the key itself, like score
        routers.append(route)
    app.include_router(health.router)
    app.include_router(ops.router, dependencies=secured)
    app.include_router(model.router, dependencies=secured)
    app.openapi = lambda: build_openapi(app)
    routes = frozenset(r.path for m in routers for r in m.router.routes)
    app.add_middleware(MetricsMiddleware, metrics=metrics, routes=routes)
    return app


def create_app_from_env() -> FastAPI:
    """Factory for uvicorn worker processes (``--workers N``): settings from the environment."""
    return create_app(ServiceSettings.from_env())
