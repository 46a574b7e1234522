"""Connection guards uvicorn lacks: a deadline for request headers, a cap on their size, and a
connection budget that sheds idle connections first.

uvicorn's ``timeout_keep_alive`` only runs between requests and is reset by every byte, so a
client that connects and sends half a header (or nothing) holds its socket and file descriptor
for ever (uvicorn issue #157: request-start and request-complete timeouts were never added), and
its ``limit_concurrency`` counts those stalled sockets too: once they fill it, every real request
is a 503 until they leave. The classes here wrap uvicorn's two HTTP/1.1 protocols with the same
rules:

- headers: from the connection's first moment (or a request's first byte on a kept-alive
  connection), the headers must be complete within ``header_timeout`` seconds and
  ``max_header_bytes`` bytes, else 408 / 431 and the connection is closed; the same deadline
  bounds the rest of a body nobody reads (an answer was given before the body ended);
- budget: when a new connection makes more than ``max_connections``, the connections idle the
  longest (waiting for their headers, or kept alive between requests) are closed to make room.
  Connections with a request in progress are never shed; when every other connection has one,
  uvicorn's own limit (``limit_concurrency`` = ``max_connections`` + 1) answers the new request
  503 and closes it.

The body of ``POST /v1/score`` has its own deadline in the app (an answer, 408, is possible
there). Counts of closed connections go to the app's metrics when the app shares them through
its lifespan state (key ``METRICS_STATE_KEY``).
"""
from __future__ import annotations

import heapq
import logging
from dataclasses import dataclass
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
except ImportError:  # pragma: no cover - httptools comes with uvicorn[standard]
    HttpToolsProtocol = None

log = logging.getLogger("scoring.service")

METRICS_STATE_KEY = "revops_metrics"
_STATUS_TEXT = {408: b"Request Timeout", 431: b"Request Header Fields Too Large"}


@dataclass(frozen=True)
class ConnectionLimits:
    """What one worker process allows per connection (see the module docstring)."""

    header_timeout: float
    max_header_bytes: int
    max_connections: int


class GuardMixin:
    """The guards, over the attributes both uvicorn protocols share (``cycle``, ``connections``,
    ``transport``, ``loop``): put it before the protocol class in the bases."""

    def __init__(self, *args: Any, limits: ConnectionLimits, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.limits = limits
        self._header_timer = None
        self._header_bytes = 0
        self._idle_since = 0.0

    # ------------------------------------------------------------- state
    def _phase(self) -> str:
        """'headers' (waiting for a request), 'busy' (a request is being answered) or 'drain'
        (answered, but the rest of its body is still arriving)."""
        cycle = self.cycle
        if cycle is None:
            return "headers"
        if not cycle.response_complete:
            return "busy"
        return "drain" if cycle.more_body else "headers"

    def _count(self, reason: str) -> None:
        metrics = self.app_state.get(METRICS_STATE_KEY) if isinstance(self.app_state, dict) else None
        if metrics is not None:
            metrics.count_closed(reason)

    # --------------------------------------------------------- protocol
    def connection_made(self, transport) -> None:
        super().connection_made(transport)
        self._idle_since = self.loop.time()
        self._arm()
        if len(self.connections) > self.limits.max_connections:
            self._shed()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.transport.is_closing():
            return
        phase = self._phase()
        if phase == "busy":  # the headers are complete: the request runs without our deadline
            self._disarm()
            return
        # A request began (or an unread body drips on): the deadline runs from its first byte.
        # A whole request in one chunk, the common case, never arms it.
        if self._header_timer is None:
            self._arm()
        if phase == "headers":
            # Counted after parsing: the chunk that ends the headers may carry body bytes.
            self._header_bytes += len(data)
            if self._header_bytes > self.limits.max_header_bytes:
                self._refuse(431, "header_too_large")

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._idle_since = self.loop.time()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    # ------------------------------------------------------------ guards
    def _arm(self) -> None:
        self._header_bytes = 0
        self._header_timer = self.loop.call_later(self.limits.header_timeout, self._header_timeout)

    def _disarm(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _header_timeout(self) -> None:
        self._header_timer = None
        if self.transport.is_closing():
            return
        phase = self._phase()
        if phase == "busy":  # pragma: no cover - disarmed when the headers completed
            return
        if phase == "headers" and self._header_bytes:
            self._refuse(408, "header_timeout")
        else:  # nothing sent at all, or an unread body still dripping in: no answer is due
            self._count("header_timeout" if phase == "headers" else "body_timeout")
            self.transport.close()

    def _refuse(self, status: int, reason: str) -> None:
        self._disarm()
        self._count(reason)
        log.debug("closing a connection from %s: %s", self.client, reason)
        self.transport.write(b"HTTP/1.1 %d %s\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                             % (status, _STATUS_TEXT[status]))
        self.transport.close()

    def _shed(self) -> None:
        """Close the connections idle the longest so that at most ``max_connections`` stay."""
        live = [c for c in self.connections if not c.transport.is_closing()]
        excess = len(live) - self.limits.max_connections
        if excess <= 0:
            return
        idle = (c for c in live if c is not self and isinstance(c, GuardMixin) and c._phase() != "busy")
        for victim in heapq.nsmallest(excess, idle, key=lambda c: c._idle_since):
            victim._disarm()
            victim._count("shed")
            victim.transport.close()
            # Out of the count now, not when the loop reports the close: uvicorn's limit may
            # count connections before then, and would refuse the newcomer.
            self.connections.discard(victim)
        log.debug("over %d connections: shed up to %d idle ones", self.limits.max_connections, excess)


class GuardedH11Protocol(GuardMixin, H11Protocol):
    """uvicorn's h11 protocol with the guards."""


if HttpToolsProtocol is not None:
    class GuardedHttpToolsProtocol(GuardMixin, HttpToolsProtocol):
        """uvicorn's httptools protocol with the guards."""
else:  # pragma: no cover
    GuardedHttpToolsProtocol = None
