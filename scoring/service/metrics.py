"""Prometheus text exposition for the endpoint: requests by route and status, latency, model.

A request whose client left before it was read counts as status 499; connections the server
closed itself (scoring.service.protocol: header deadline, oversized head, shed when over
``max_connections``) are counted by reason.

Small own code instead of prometheus_client: four metric families, one lock, no globals (the
object lives on ``app.state``), so every app and every test has its own counters.
"""
from __future__ import annotations

import threading
import time
from bisect import bisect_left

BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


def _label(value: str) -> str:
    return str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


class Metrics:
    """Counters and a latency histogram; ``render`` gives the Prometheus text format."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: dict[tuple[str, str, int], int] = {}
        self._buckets: dict[str, list[int]] = {}
        self._sums: dict[str, float] = {}
        self._leads = 0
        self._reloads: dict[str, int] = {"success": 0, "failure": 0}
        self._closed: dict[str, int] = {}
        self.started = time.time()

    def observe(self, route: str, method: str, status: int, seconds: float) -> None:
        with self._lock:
            key = (route, method, status)
            self._requests[key] = self._requests.get(key, 0) + 1
            counts = self._buckets.get(route)
            if counts is None:
                counts = self._buckets[route] = [0] * (len(BUCKETS) + 1)
                self._sums[route] = 0.0
            counts[bisect_left(BUCKETS, seconds)] += 1
            self._sums[route] += seconds

    def count_leads(self, n: int) -> None:
        with self._lock:
            self._leads += n

    def count_reload(self, ok: bool) -> None:
        with self._lock:
            self._reloads["success" if ok else "failure"] += 1

    def count_closed(self, reason: str) -> None:
        with self._lock:
            self._closed[reason] = self._closed.get(reason, 0) + 1

    def render(self, model: tuple[str, str] | None) -> str:
        with self._lock:
            lines = ["# HELP revops_http_requests_total HTTP requests by route, method and status.",
                     "# TYPE revops_http_requests_total counter"]
            for (route, method, status), n in sorted(self._requests.items()):
                lines.append(f'revops_http_requests_total{{route="{_label(route)}",method="{method}",'
                             f'status="{status}"}} {n}')
            lines += ["# HELP revops_http_request_duration_seconds Time to answer, by route.",
                      "# TYPE revops_http_request_duration_seconds histogram"]
            for route, counts in sorted(self._buckets.items()):
                cumulative = 0
                for bound, n in zip(BUCKETS + (float("inf"),), counts):
                    cumulative += n
                    le = "+Inf" if bound == float("inf") else repr(bound)
                    lines.append(f'revops_http_request_duration_seconds_bucket{{route="{_label(route)}",'
                                 f'le="{le}"}} {cumulative}')
                lines.append(f'revops_http_request_duration_seconds_sum{{route="{_label(route)}"}} '
                             f'{self._sums[route]:.6f}')
                lines.append(f'revops_http_request_duration_seconds_count{{route="{_label(route)}"}} '
                             f'{cumulative}')
            lines += ["# HELP revops_leads_scored_total Leads scored.",
                      "# TYPE revops_leads_scored_total counter", f"revops_leads_scored_total {self._leads}",
                      "# HELP revops_model_reloads_total Champion reloads by result.",
                      "# TYPE revops_model_reloads_total counter"]
            for result, n in sorted(self._reloads.items()):
                lines.append(f'revops_model_reloads_total{{result="{result}"}} {n}')
            lines += ["# HELP revops_connections_closed_total Connections the server closed, by reason.",
                      "# TYPE revops_connections_closed_total counter"]
            for reason, n in sorted(self._closed.items()):
                lines.append(f'revops_connections_closed_total{{reason="{_label(reason)}"}} {n}')
        lines += ["# HELP revops_model_info The model being served (value 1).",
                  "# TYPE revops_model_info gauge"]
        if model is not None:
            lines.append(f'revops_model_info{{name="{_label(model[0])}",version="{_label(model[1])}"}} 1')
        lines += ["# HELP revops_uptime_seconds Seconds since the service started.",
                  "# TYPE revops_uptime_seconds gauge", f"revops_uptime_seconds {time.time() - self.started:.3f}"]
        return "\n".join(lines) + "\n"


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
