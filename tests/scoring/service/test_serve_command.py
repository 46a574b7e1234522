"""``revops score serve`` (via add_serve_parser): defaults, and a real process on a free port."""
from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time

import httpx
import mlflow
import pytest

from scoring import registry
from scoring.service.server import free_port
from service_support import as_records

pytestmark = pytest.mark.mlflow

RUNNER = """
import argparse, sys
from revops.commands.serve import add_serve_parser
parser = argparse.ArgumentParser(prog="revops score")
add_serve_parser(parser.add_subparsers(dest="action"))
args = parser.parse_args(sys.argv[1:])
sys.exit(args.func(args))
"""


def _parse(argv):
    from revops.commands.serve import add_serve_parser, settings_from_args

    parser = argparse.ArgumentParser()
    add_serve_parser(parser.add_subparsers(dest="action"))
    return settings_from_args(parser.parse_args(["serve", *argv]))


def test_defaults_bind_loopback_and_follow_champion(monkeypatch):
    monkeypatch.delenv("REVOPS_API_KEY", raising=False)
    settings = _parse([])
    assert (settings.host, settings.port, settings.model_uri, settings.api_key) == (
        "127.0.0.1", 8000, "models:/lead-scoring@champion", None)
    monkeypatch.setenv("REVOPS_API_KEY", "k1")
    settings = _parse(["--max-batch", "50", "--poll-seconds", "0.5"])
    assert (settings.api_key, settings.max_batch, settings.poll_seconds) == ("k1", 50, 0.5)


def test_serve_process_scores_with_key(scorers, lead_frame, tmp_path):
    from revops.mlflow_setup import configure

    configure()
    with mlflow.start_run():
        version = registry.register(scorers["logistic_regression"], lead_frame.tail(300))["version"]
    port = free_port()
    env = {**os.environ, "REVOPS_API_KEY": "k2"}
    proc = subprocess.Popen([sys.executable, "-c", RUNNER, "serve", "--port", str(port), "--quiet"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(f"{url}/healthz").status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None, proc.stderr.read().decode()
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.2)
        auth = {"Authorization": "Bearer k2"}
        assert httpx.get(f"{url}/readyz").status_code == 401
        assert httpx.get(f"{url}/readyz", headers=auth).json()["model"]["version"] == version
        r = httpx.post(f"{url}/v1/score", headers=auth, json={"leads": as_records(lead_frame.head(3))})
        assert r.status_code == 200
        expected = scorers["logistic_regression"].predict_proba(lead_frame.head(3))
        got = [s["probability"] for s in r.json()["scores"]]
        assert max(abs(g - e) for g, e in zip(got, expected)) <= 1e-6
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
    assert proc.returncode == 0
