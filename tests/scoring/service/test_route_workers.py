"""``revops score serve`` started from REVOPS_* variables alone, two workers: every /metrics scrape
counts every request of both workers, and both workers share one round-robin sequence."""
from __future__ import annotations

import http.client
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import mlflow
import pytest

from route_support import write_plan
from scoring import registry
from scoring.model import LeadScorer
from scoring.service.server import free_port
from scoring.synthetic import make_leads

REPO = Path(__file__).resolve().parents[3]


@pytest.mark.slow
@pytest.mark.mlflow
def test_env_only_two_workers_metrics_add_up(tmp_path):
    from revops.mlflow_setup import configure, ensure_experiment

    configure()
    mlflow.set_experiment(experiment_id=ensure_experiment("lead-scoring"))  # not Default: its artifacts go to ./mlruns
    frame, _ = make_leads(1500, seed=3)
    scorer = LeadScorer(time_col="created_at", candidates=("logistic_regression",), random_state=0).fit(frame)
    with mlflow.start_run():
        registry.register(scorer, frame.tail(200))  # the first version becomes champion
    owners = write_plan(tmp_path / "plan", n_accounts=12)
    # (The workers read the batch reader from numba's cache: conftest.compiled_batch_reader.)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("REVOPS_") and k != "PROMETHEUS_MULTIPROC_DIR"}
    env.update({"PYTHONPATH": str(REPO), "REVOPS_PORT": str(port), "REVOPS_WORKERS": "2",
                "REVOPS_TERRITORY_PLAN": str(tmp_path / "plan"), "REVOPS_ROUTE_STATE": str(tmp_path / "rr.sqlite"),
                "REVOPS_TIER_CAPS": '{"A": 1000}', "REVOPS_LOG_LEVEL": "error",
                "REVOPS_METRICS_DIR": str(tmp_path / "metrics")})
    proc = subprocess.Popen([sys.executable, "-m", "revops", "score", "serve", "--quiet"], env=env, cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(f"{url}/readyz").status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None, proc.stderr.read().decode()
            assert time.monotonic() < deadline, "the service did not become ready"
            time.sleep(0.3)
        # Ready means one worker is; each worker counts its own first load, so 2 means both.
        while 'revops_model_reloads_total{result="success"} 2\n' not in _request(port, "GET", "/metrics")[1]:
            assert time.monotonic() < deadline, "the second worker did not load the model"
            time.sleep(0.3)
        account = next(iter(owners))
        status, body = _request(port, "POST", "/v1/route", {"leads": [{"lead_id": "acct", "account_id": account}]})
        assert json.loads(body)["routes"][0]["rep_id"] == owners[account]
        reps: list[str] = []

        def send(i: int) -> str:
            status, body = _request(port, "POST", "/v1/route",
                                    {"leads": [{"lead_id": f"W{i}", "segment": "SMB", "region": "AMER"}]})
            assert status == 200, body
            return json.loads(body)["routes"][0]["rep_id"]

        # Eight clients at once, a new connection per request (plain http.client: an httpx client
        # costs ~0.1 s to make): uvicorn's workers share the listening socket, and rounds of 40
        # go until both workers have answered some (each worker writes its own counter file).
        with ThreadPoolExecutor(8) as pool:
            while True:
                reps += pool.map(send, range(len(reps), len(reps) + 40))
                per_worker = [_route_requests(p) for p in sorted((tmp_path / "metrics").glob("counter_*.db"))]
                if min(per_worker) > 0 or len(reps) >= 400:
                    break
        sent = len(reps)
        # A request is counted just after its answer is sent: let the last ones land.
        settle = time.monotonic() + 5
        while sum(per_worker) != sent + 1 and time.monotonic() < settle:
            time.sleep(0.05)
            per_worker = [_route_requests(p) for p in sorted((tmp_path / "metrics").glob("counter_*.db"))]
        assert len(per_worker) == 2 and min(per_worker) > 0 and sum(per_worker) == sent + 1, per_worker
        for _ in range(12):
            text = _request(port, "GET", "/metrics")[1]
            assert f'revops_http_requests_total{{route="/v1/route",method="POST",status="200"}} {sent + 1}\n' in text, text
            assert f'revops_leads_routed_total{{rule="round_robin"}} {sent}\n' in text
            assert 'revops_leads_routed_total{rule="account_owner"} 1\n' in text
            assert re.search(r'revops_model_info\{name="lead-scoring",version="1"\} 1\n', text)
        # One shared sequence across the two workers: SMB/AMER weights R4 250 : R5 1000 exactly
        # (rounds of 40 are whole periods of 5).
        assert Counter(reps) == {"R5": sent * 4 // 5, "R4": sent // 5}
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
    assert proc.returncode == 0, proc.stderr.read().decode()


def _request(port: int, method: str, path: str, payload: dict | None = None) -> tuple[int, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(method, path, json.dumps(payload) if payload is not None else None,
                     {"Content-Type": "application/json"})
        response = conn.getresponse()
        return response.status, response.read().decode()
    finally:
        conn.close()


def _route_requests(path: Path) -> int:
    """POST /v1/route requests counted in one worker's multiprocess file."""
    from prometheus_client.mmap_dict import MmapedDict

    total = 0
    for key, value, *_ in MmapedDict.read_all_values_from_file(str(path)):
        _, name, labels, *_ = json.loads(key)
        if name == "revops_http_requests_total" and labels.get("route") == "/v1/route":
            total += int(value)
    return total
