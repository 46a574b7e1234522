"""Slow and vanishing clients over real sockets: header and body deadlines, header size, the
connection budget, client disconnects, and batches kept off the event loop."""
from __future__ import annotations

import logging
import re
import socket
import threading
import time

import httpx
import pytest

from scoring.service.settings import ServiceSettings
from service_support import FakeModel

pytestmark = pytest.mark.slow

HEAD = b"POST /v1/score HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"


def _connect(server, payload: bytes = b"") -> socket.socket:
    sock = socket.create_connection((server.host, server.port), timeout=10)
    if payload:
        sock.sendall(payload)
    return sock


def _read_until_closed(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection (the socket's timeout bounds it)."""
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data


def _metric(client: httpx.Client, pattern: str) -> int:
    text = client.get("/metrics").text
    found = re.search(re.escape(pattern) + r" (\d+)", text)
    return int(found.group(1)) if found else 0


def _wait_for(check, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.05)


def test_header_deadline_closes_stalled_but_not_kept_alive(fake_server, client_for):
    server = fake_server(ServiceSettings(header_timeout_seconds=0.5, keep_alive_seconds=30))
    client = client_for(server)
    started = time.monotonic()
    partial = _connect(server, HEAD)              # half a request, then silence
    silent = _connect(server)                     # nothing at all
    assert _read_until_closed(partial).startswith(b"HTTP/1.1 408 Request Timeout\r\n")
    assert _read_until_closed(silent) == b""      # nothing asked, nothing answered
    assert 0.4 < time.monotonic() - started < 5
    # A kept-alive connection idle for longer than the header deadline is still served: the
    # deadline runs only while a request's head is arriving.
    assert client.post("/v1/score", json={"leads": [{"lead_id": 1}]}).status_code == 200
    time.sleep(1.0)
    assert client.post("/v1/score", json={"leads": [{"lead_id": 2}]}).status_code == 200
    assert _metric(client, 'revops_connections_closed_total{reason="header_timeout"}') == 2


def test_oversized_head_is_431(fake_server, client_for):
    server = fake_server(ServiceSettings(max_header_bytes=2048))
    sock = _connect(server, HEAD + b"X-Pad: " + b"a" * 3000 + b"\r\n")
    assert _read_until_closed(sock).startswith(b"HTTP/1.1 431 Request Header Fields Too Large\r\n")
    client = client_for(server)
    assert client.get("/healthz", headers={"X-Pad": "a" * 1500}).status_code == 200
    assert _metric(client, 'revops_connections_closed_total{reason="header_too_large"}') == 1


def test_body_deadline_is_408_and_closes(fake_server, client_for):
    server = fake_server(ServiceSettings(body_timeout_seconds=0.5))
    sock = _connect(server, HEAD + b"Content-Length: 100\r\n\r\n" + b'{"leads": [')
    answer = _read_until_closed(sock)
    assert answer.startswith(b"HTTP/1.1 408 Request Timeout\r\n")
    assert b"connection: close" in answer.lower()
    assert answer.endswith(b'{"error":"body_timeout","message":"the request body was not complete '
                           b'within 0.5 seconds (11 bytes arrived)","problems":[]}')
    client = client_for(server)
    assert _metric(client, 'revops_http_requests_total{route="/v1/score",method="POST",status="408"}') == 1


def test_mid_body_disconnect_is_499_with_no_traceback(fake_server, client_for):
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    handler = Keep(level=logging.DEBUG)
    loggers = [logging.getLogger(name) for name in ("uvicorn.error", "scoring.service")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)
    try:
        server = fake_server()
        client = client_for(server)
        for _ in range(20):
            sock = _connect(server, HEAD + b"Content-Length: 5000\r\n\r\n" + b'{"leads": [' + b" " * 500)
            sock.close()
        pattern = 'revops_http_requests_total{route="/v1/score",method="POST",status="499"}'
        _wait_for(lambda: _metric(client, pattern) == 20)
        text = client.get("/metrics").text
    finally:
        for logger, level in zip(loggers, levels):
            logger.removeHandler(handler)
            logger.setLevel(level)
    assert 'status="500"' not in text
    assert [r for r in records if r.exc_info or r.levelno >= logging.WARNING] == []
    assert len([r for r in records if "client left" in r.getMessage()]) == 20  # one line each, DEBUG


def test_busy_connections_are_never_shed_and_the_extra_request_is_503(fake_server, client_for):
    server = fake_server(ServiceSettings(max_connections=2, body_timeout_seconds=30))
    busy = [_connect(server, HEAD + b"Content-Length: 40\r\n\r\n" + b'{"leads": [') for _ in range(2)]
    time.sleep(0.3)  # both requests are being read by the app
    with httpx.Client(base_url=server.url, timeout=10) as extra:
        assert extra.get("/healthz").status_code == 503  # uvicorn's limit: no idle one to shed
    rest = b'{"lead_id": "a"}]}'.ljust(29)
    for sock in busy:
        sock.sendall(rest)
        answer = sock.recv(65536)
        assert answer.startswith(b"HTTP/1.1 200 OK"), answer
    # Now idle (kept alive): a new client sheds the idlest and is served.
    client = client_for(server)
    assert client.get("/healthz").status_code == 200
    assert _metric(client, 'revops_connections_closed_total{reason="shed"}') >= 1
    for sock in busy:
        sock.close()


class BlockingModel(FakeModel):
    """Batches wait for ``release``: a batch scored on the event loop would stop every answer."""

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()
        self.batch_started = threading.Event()
        self.threads: list[str] = []

    def score(self, leads):
        self.threads.append(threading.current_thread().name)
        if len(leads) > 1:
            self.batch_started.set()
            assert self.release.wait(20)
        return super().score(leads)


def test_a_batch_is_scored_off_the_event_loop(fake_server, client_for):
    model = BlockingModel()
    server = fake_server(model=model)
    answers = []
    batch = threading.Thread(target=lambda: answers.append(httpx.post(
        f"{server.url}/v1/score", json={"leads": [{"lead_id": i} for i in range(50)]}, timeout=30)))
    batch.start()
    try:
        assert model.batch_started.wait(10)
        client = client_for(server)
        started = time.monotonic()
        assert client.get("/healthz").status_code == 200
        assert client.post("/v1/score", json={"leads": [{"lead_id": "one"}]}).status_code == 200
        assert time.monotonic() - started < 5
    finally:
        model.release.set()
        batch.join(30)
    assert answers[0].status_code == 200 and len(answers[0].json()["scores"]) == 50
    assert model.threads[0] != server.thread.name       # the batch: a worker thread
    assert model.threads[1] == server.thread.name       # one lead: the event loop's thread


RUNNER = """
import sys
sys.path.insert(0, sys.argv[2])
from service_support import FakeModel
from scoring.service.app import create_app
from scoring.service.holder import ModelHolder
from scoring.service.server import serve
from scoring.service.settings import ServiceSettings

settings = ServiceSettings(port=int(sys.argv[1]), header_timeout_seconds=60)
serve(settings, app=create_app(settings, holder=ModelHolder(FakeModel())))
"""


def _low_file_limit() -> None:  # in the server process: the 1,024 descriptors of the issue
    import resource

    resource.setrlimit(resource.RLIMIT_NOFILE, (1024, 1024))


def _raise_own_file_limit(needed: int) -> None:
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        if hard != resource.RLIM_INFINITY and hard < needed:
            pytest.skip(f"this test opens {needed} sockets; the hard open-file limit is {hard}")
        resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))


def test_1100_stalled_connections_on_1024_descriptors_do_not_starve_clients():
    import os
    import signal
    import subprocess
    import sys
    from pathlib import Path

    from scoring.service.server import free_port

    _raise_own_file_limit(1400)
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-c", RUNNER, str(port), str(Path(__file__).parent)],
                            preexec_fn=_low_file_limit, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[3])})
    url = f"http://127.0.0.1:{port}"
    stalled: list[socket.socket] = []
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None, proc.stderr.read().decode()
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.1)
        for _ in range(1100):  # connect, send half a header, wait
            sock = socket.create_connection(("127.0.0.1", port), timeout=10)
            sock.sendall(HEAD)
            stalled.append(sock)
        time.sleep(0.5)
        waits = []
        for i in range(10):  # each on a new connection, as a router's fresh pool would
            started = time.monotonic()
            with httpx.Client(base_url=url, timeout=5) as client:
                assert client.get("/healthz").status_code == 200
                r = client.post("/v1/score", json={"leads": [{"lead_id": i, "employees": 100}]})
                assert r.status_code == 200 and r.json()["scores"][0]["lead_id"] == i
            waits.append(time.monotonic() - started)
        assert max(waits) < 3.0, waits
        with httpx.Client(base_url=url, timeout=5) as client:
            shed = _metric(client, 'revops_connections_closed_total{reason="shed"}')
        # 1,024 descriptors less the reserve leave 896 connections: the rest were shed.
        assert shed >= 1100 - 896
    finally:
        for sock in stalled:
            sock.close()
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    assert "max_connections=1000 does not fit the open-file limit of 1024; serving at most 896" in err.decode()


def test_the_guards_work_on_h11_too():
    """Without httptools uvicorn speaks h11: the same guards, from the same mixin."""
    import functools

    import uvicorn

    from scoring.service.app import create_app
    from scoring.service.holder import ModelHolder
    from scoring.service.protocol import ConnectionLimits, GuardedH11Protocol
    from scoring.service.server import ServerThread

    limits = ConnectionLimits(header_timeout=0.5, max_header_bytes=16_384, max_connections=3)
    server = ServerThread(create_app(ServiceSettings(), holder=ModelHolder(FakeModel())))
    config = uvicorn.Config(server.server.config.app, host=server.host, port=server.port, lifespan="on",
                            log_level="warning", http=functools.partial(GuardedH11Protocol, limits=limits))
    server.server = uvicorn.Server(config)
    server.thread = threading.Thread(target=server.server.run, daemon=True)
    with server:
        assert _read_until_closed(_connect(server, HEAD)).startswith(b"HTTP/1.1 408 ")
        stalled = [_connect(server, HEAD) for _ in range(5)]
        time.sleep(0.2)
        with httpx.Client(base_url=server.url, timeout=5) as client:
            assert client.post("/v1/score", json={"leads": [{"lead_id": 1}]}).status_code == 200
            assert _metric(client, 'revops_connections_closed_total{reason="shed"}') >= 3
        for sock in stalled:
            sock.close()
