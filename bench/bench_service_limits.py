"""The scoring endpoint against slow, heavy and vanishing clients (real HTTP on 127.0.0.1).

    python -m bench.bench_service_limits [--seconds 8] [--server-nofile 1024] [--source DIR]

A server process trains a gradient boosting scorer on ``make_leads(4000, seed=11)`` and serves it
with the default settings, its open-file limit set to ``--server-nofile`` (soft and hard: the
1,024 descriptors of the issue; 0 leaves it alone). ``--source`` runs the server from another
checkout, e.g. the code before the limits were added::

    git archive 1753435 scoring | tar -x -C /tmp/before   # the commit before the change
    python -m bench.bench_service_limits --source /tmp/before

Three measurements, each a bounded loop that ends by itself:

1. dates: a 55 KB body of 1,000 leads whose ``created_at`` is not ISO 8601 (``01/01/2025 10:00``):
   its latency alone, then one-lead latency (one keep-alive client) while four client processes
   send that body in a loop for ``--seconds``;
2. disconnects: 200 clients send headers and 1 KB of a 55 KB body, then close; ``/metrics`` is
   read for status 500 and 499, and the server's log growth is measured;
3. stalled: 1,100 sockets connect and send half a header, then wait; five fresh clients each ask
   ``/healthz`` and score one lead (5 s timeout per request).

Measured on the shared 2-core test machine (other jobs running), server open-file limit 1,024:

    ==========================  ============================  ==========================
    measure                     before (1753435)              after
    ==========================  ============================  ==========================
    1,000 non-ISO dates, alone  0.430 s (422)                 0.013 s (422)
    one lead, 4 heavy clients   p50 1,127 ms, max 1,455 ms    p50 4.8 ms, p99 38 ms, max 84 ms
    200 mid-body disconnects    199 x 500, 1.6 MB of log      200 x 499, 0 bytes of log
    1,100 stalled connections   0 of 10 answered (resets)     10 of 10 answered, max 4 ms
    ==========================  ============================  ==========================
"""
from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SERVER = """
import inspect, json, sys
cfg = json.loads(sys.argv[1])
from scoring.synthetic import make_leads
from scoring.model import LeadScorer
from scoring.service.app import create_app
from scoring.service.holder import ModelHolder
from scoring.service.served import LeadScorerModel, ModelMeta
from scoring.service.settings import ServiceSettings
from scoring.service import server

frame, _ = make_leads(4000, seed=11)
scorer = LeadScorer(time_col="created_at", candidates=("gradient_boosting",), random_state=0).fit(frame)
model = LeadScorerModel(scorer, ModelMeta("lead-scoring", "1"))
model.warm_up()
settings = ServiceSettings(port=cfg["port"])
app = create_app(settings, holder=ModelHolder(model))
if "app" in inspect.signature(server.serve).parameters:
    server.serve(settings, app=app)
else:  # the code before the limits: serve() built its own app from the registry
    import uvicorn
    uvicorn.run(app, host=settings.host, port=settings.port, log_level=settings.log_level,
                access_log=False, timeout_keep_alive=30, **server._fast_options())
"""
HEAD = b"POST /v1/score HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
ONE = json.dumps({"leads": [{"lead_id": "one", "created_at": "2025-03-04T10:00:00", "employees": 40}]}).encode()


def dates_body(n: int = 1000) -> bytes:
    leads = [{"lead_id": f"L{i}", "created_at": f"{1 + i % 12:02d}/{1 + i % 28:02d}/2025 10:{i % 60:02d}"}
             for i in range(n)]
    return json.dumps({"leads": leads}).encode()


def _post(conn: http.client.HTTPConnection, body: bytes) -> tuple[int, float]:
    start = time.perf_counter()
    conn.request("POST", "/v1/score", body, {"Content-Type": "application/json"})
    response = conn.getresponse()
    response.read()
    return response.status, time.perf_counter() - start


def _heavy_client(port: int, body: bytes, seconds: float, out) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    stop_at, n = time.monotonic() + seconds, 0
    while time.monotonic() < stop_at:
        _post(conn, body)
        n += 1
    out.put(n)


def measure_dates(port: int, seconds: float) -> dict:
    body = dates_body()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    alone = [_post(conn, body) for _ in range(5)]
    idle = [_post(conn, ONE)[1] for _ in range(200)]
    out = multiprocessing.Queue()
    heavy = [multiprocessing.Process(target=_heavy_client, args=(port, body, seconds + 1, out)) for _ in range(4)]
    for p in heavy:
        p.start()
    time.sleep(1.0)
    loaded, stop_at = [], time.monotonic() + seconds
    while time.monotonic() < stop_at:
        loaded.append(_post(conn, ONE)[1])
    heavy_requests = sum(out.get(timeout=300) for _ in heavy)
    for p in heavy:
        p.join(60)
    loaded.sort()
    return {"body_bytes": len(body), "status": alone[0][0],
            "alone_s": round(statistics.median(t for _, t in alone), 4),
            "one_lead_idle_p50_ms": round(1e3 * statistics.median(idle), 2),
            "one_lead_under_4_heavy_p50_ms": round(1e3 * statistics.median(loaded), 2),
            "one_lead_under_4_heavy_p99_ms": round(1e3 * loaded[int(0.99 * (len(loaded) - 1))], 2),
            "one_lead_under_4_heavy_max_ms": round(1e3 * loaded[-1], 2),
            "one_lead_requests": len(loaded), "heavy_requests": heavy_requests}


def _metric(port: int, pattern: str) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", "/metrics")
    text = conn.getresponse().read().decode()
    found = re.search(re.escape(pattern) + r" (\d+)", text)
    return int(found.group(1)) if found else 0


def measure_disconnects(port: int, log: Path, clients: int = 200) -> dict:
    before = log.stat().st_size
    for _ in range(clients):
        sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        sock.sendall(HEAD + b"Content-Length: 55000\r\n\r\n" + b'{"leads": [' + b" " * 1000)
        sock.close()
    time.sleep(1.0)
    route = 'revops_http_requests_total{route="/v1/score",method="POST",status="%s"}'
    return {"clients": clients, "status_500": _metric(port, route % 500), "status_499": _metric(port, route % 499),
            "log_bytes": log.stat().st_size - before}


def _timed(port: int, method: str, path: str, body: bytes | None) -> tuple[int | str, float]:
    start = time.perf_counter()
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request(method, path, body, {"Content-Type": "application/json"} if body else {})
        response = conn.getresponse()
        response.read()
        conn.close()
        status: int | str = response.status
    except OSError as exc:
        status = type(exc).__name__
    return status, time.perf_counter() - start


def measure_stalled(port: int, stalled: int = 1100, rounds: int = 5) -> dict:
    sockets = []
    try:
        for _ in range(stalled):
            sock = socket.create_connection(("127.0.0.1", port), timeout=10)
            sock.sendall(HEAD)
            sockets.append(sock)
        time.sleep(0.5)
        results = []
        for _ in range(rounds):
            results.append(_timed(port, "GET", "/healthz", None))
            results.append(_timed(port, "POST", "/v1/score", ONE))
    finally:
        for sock in sockets:
            sock.close()
    ok = [t for status, t in results if status == 200]
    return {"stalled": stalled, "requests": len(results), "answered_200": len(ok),
            "statuses": sorted({str(s) for s, _ in results}),
            "max_s": round(max(t for _, t in results), 3)}


def _raise_own_file_limit(needed: int) -> None:
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < needed:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(needed, hard), hard))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=8.0, help="length of the loaded run (default: 8)")
    parser.add_argument("--server-nofile", type=int, default=1024,
                        help="the server's open-file limit, soft and hard; 0: unchanged (default: 1024)")
    parser.add_argument("--source", type=Path, default=Path(__file__).resolve().parents[1],
                        help="checkout the server runs from (default: this one)")
    args = parser.parse_args(argv)
    _raise_own_file_limit(1500)
    from scoring.service.server import free_port

    port = free_port()

    def limit_files() -> None:
        if args.server_nofile:
            import resource

            resource.setrlimit(resource.RLIMIT_NOFILE, (args.server_nofile, args.server_nofile))

    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "server.log"
        with open(log, "wb") as sink:
            proc = subprocess.Popen([sys.executable, "-c", SERVER, json.dumps({"port": port})],
                                    cwd=args.source, env={**os.environ, "PYTHONPATH": str(args.source)},
                                    stdout=sink, stderr=sink, preexec_fn=limit_files)
        try:
            deadline = time.monotonic() + 300
            while _timed(port, "GET", "/healthz", None)[0] != 200:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"server did not start: {log.read_text()[-2000:]}")
                time.sleep(0.5)
            results = {"source": str(args.source), "server_nofile": args.server_nofile,
                       "dates": measure_dates(port, args.seconds),
                       "disconnects": measure_disconnects(port, log),
                       "stalled": measure_stalled(port)}
        finally:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
    for name, values in results.items():
        print(f"{name}: {values}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
