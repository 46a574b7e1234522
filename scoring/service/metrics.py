"""Prometheus metrics for the endpoint: requests by route and status, latency, leads scored and
routed (by rule), reloads of the model and the territory plan, connections closed, the model.

A request whose client left before it was read counts as status 499; connections the server
closed itself (scoring.service.protocol: header deadline, oversized head, shed when over
``max_connections``) are counted by reason.

prometheus_client, with one registry per app (no globals: every app and every test has its own
counters). With several uvicorn workers each worker is a process with its own counters, and a
scrape reaches one of them; ``revops score serve`` then sets ``PROMETHEUS_MULTIPROC_DIR`` before
the workers start (scoring.service.server), every worker writes its values to files there, and
``/metrics`` adds up the files of all workers (prometheus_client's multiprocess mode), so every
scrape counts every request.
"""
from __future__ import annotations

import os
import threading
import time

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
ROUTE_RULES = ("account_owner", "round_robin", "unassigned")


class Metrics:
    """Counters and a latency histogram; ``render`` gives the Prometheus text format.

    ``multiprocess`` (default: ``PROMETHEUS_MULTIPROC_DIR`` is set) renders the sum over every
    process writing to that folder instead of this process's values alone.
    """

    def __init__(self, multiprocess: bool | None = None) -> None:
        self.multiprocess = bool(os.environ.get(MULTIPROC_ENV)) if multiprocess is None else multiprocess
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter("revops_http_requests", "HTTP requests by route, method and status.",
                                ("route", "method", "status"), registry=r)
        self.duration = Histogram("revops_http_request_duration_seconds", "Time to answer, by route.",
                                  ("route",), buckets=BUCKETS, registry=r)
        self.leads = Counter("revops_leads_scored", "Leads scored.", registry=r)
        self.routed = Counter("revops_leads_routed", "Leads routed by POST /v1/route, by rule.", ("rule",),
                              registry=r)
        self.reloads = Counter("revops_model_reloads", "Champion reloads by result.", ("result",), registry=r)
        self.plan_reloads = Counter("revops_plan_reloads", "Territory plan reloads by result.", ("result",),
                                    registry=r)
        self.closed = Counter("revops_connections_closed", "Connections the server closed, by reason.",
                              ("reason",), registry=r)
        # "max" over workers: 1 while any worker serves that version.
        self.model_info = Gauge("revops_model_info", "The model being served (value 1).", ("name", "version"),
                                registry=r, multiprocess_mode="max")
        self.uptime = Gauge("revops_uptime_seconds", "Seconds since the service started.", registry=r,
                            multiprocess_mode="max")
        self.started = time.time()
        # The files of the multiprocess mode give labels sorted by name; the text keeps these.
        self._label_order = {m._name: m._labelnames for m in (
            self.requests, self.duration, self.routed, self.reloads, self.plan_reloads, self.closed, self.model_info)}
        self._lock = threading.Lock()
        self._model: tuple[str, str] | None = None
        # Labelled children looked up once: .labels() takes a lock and builds a key every call.
        self._request_children: dict[tuple[str, str, int], tuple] = {}
        for result in ("success", "failure"):
            self.reloads.labels(result)
        for rule in ROUTE_RULES:
            self.routed.labels(rule)

    def observe(self, route: str, method: str, status: int, seconds: float) -> None:
        key = (route, method, status)
        children = self._request_children.get(key)
        if children is None:
            children = self._request_children[key] = (self.requests.labels(route, method, str(status)),
                                                       self.duration.labels(route))
        children[0].inc()
        children[1].observe(seconds)

    def count_leads(self, n: int) -> None:
        self.leads.inc(n)

    def count_routed(self, rule: str, n: int = 1) -> None:
        self.routed.labels(rule).inc(n)

    def count_reload(self, ok: bool) -> None:
        self.reloads.labels("success" if ok else "failure").inc()

    def count_plan_reload(self, ok: bool) -> None:
        self.plan_reloads.labels("success" if ok else "failure").inc()

    def count_closed(self, reason: str) -> None:
        self.closed.labels(reason).inc()

    def set_model(self, model: tuple[str, str] | None) -> None:
        """The model this process serves now (the previous one drops to 0)."""
        with self._lock:
            if model == self._model:
                return
            if self._model is not None:
                self.model_info.labels(*self._model).set(0)
            if model is not None:
                self.model_info.labels(*model).set(1)
            self._model = model

    def render(self, model: tuple[str, str] | None) -> str:
        self.set_model(model)
        self.uptime.set(time.time() - self.started)
        if self.multiprocess:
            from prometheus_client import multiprocess

            # The files' families come in no fixed order.
            return exposition(sorted(multiprocess.MultiProcessCollector(None).collect(), key=lambda f: f.name),
                              self._label_order)
        return exposition(self.registry.collect(), self._label_order)


def _value(v: float) -> str:
    if v == float("inf"):
        return "+Inf"
    return str(int(v)) if float(v).is_integer() else repr(float(v))


def exposition(families, label_order: dict[str, tuple[str, ...]] | None = None) -> str:
    """The Prometheus text format (0.0.4) of metric families, with the labels in the order
    declared (prometheus_client's own writer sorts them by name), whole numbers without '.0', and
    no ``_created`` series; a model no longer served (0) is left out."""
    lines = []
    for family in families:
        kind = family.type
        name = family.name + ("_total" if kind == "counter" else "")
        lines.append(f"# HELP {name} {family.documentation}")
        lines.append(f"# TYPE {name} {kind}")
        samples = [s for s in family.samples if not s.name.endswith("_created")]
        if kind == "histogram":  # buckets, sum and count per series, le last among the labels
            samples.sort(key=lambda s: tuple(v for k, v in s.labels.items() if k != "le"))
        else:
            samples.sort(key=lambda s: tuple(s.labels.values()))
        for sample in samples:
            if family.name == "revops_model_info" and sample.value == 0:
                continue
            labels = sample.labels
            order = (label_order or {}).get(family.name)
            if order:
                labels = {**{k: labels[k] for k in order if k in labels}, **labels}
            if "le" in labels:
                labels = {**{k: v for k, v in labels.items() if k != "le"}, "le": labels["le"]}
            text = ",".join(f'{k}="{_label(v)}"' for k, v in labels.items())
            lines.append(f"{sample.name}{{{text}}} {_value(sample.value)}" if text
                         else f"{sample.name} {_value(sample.value)}")
    return "\n".join(lines) + "\n"


def _label(value: str) -> str:
    return str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


class MetricsMiddleware:
    """Pure ASGI middleware (no per-request task or body copy): times every HTTP request."""

    def __init__(self, app, metrics: Metrics, routes: frozenset[str]):
        self.app = app
        self.metrics = metrics
        self.routes = routes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def send_wrapper(message):
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            path = scope.get("path", "")
            route = path if path in self.routes else "other"
            self.metrics.observe(route, scope.get("method", ""), status, time.perf_counter() - start)
