"""``revops score serve`` (via add_serve_parser): defaults, and a real process on a free port."""
from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import mlflow
import pytest

from scoring import registry
from scoring.service.server import free_port
from service_support import as_records


RUNNER = """
import argparse, sys
from revops.commands.serve import add_serve_parser
parser = argparse.ArgumentParser(prog="revops score")
add_serve_parser(parser.add_subparsers(dest="action"))
args = parser.parse_args(sys.argv[1:])
sys.exit(args.func(args))
"""


def wait_until_up(proc: subprocess.Popen, url: str, seconds: float = 90) -> None:
    """Wait for the served process to answer /healthz (it may be loading its model)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            if httpx.get(f"{url}/healthz").status_code == 200:
                return
        except httpx.HTTPError:
            pass
        assert proc.poll() is None, proc.stderr.read().decode()
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.2)


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


def test_connection_flags_reach_the_settings_and_uvicorn(monkeypatch):
    from scoring.service.server import uvicorn_options

    monkeypatch.delenv("REVOPS_API_KEY", raising=False)
    defaults = _parse([])
    assert (defaults.header_timeout_seconds, defaults.body_timeout_seconds, defaults.keep_alive_seconds,
            defaults.max_connections, defaults.max_header_bytes, defaults.batch_threads) == (
        10.0, 30.0, 30, 1000, 16_384, 2)
    settings = _parse(["--header-timeout-seconds", "2.5", "--body-timeout-seconds", "7", "--keep-alive-seconds",
                       "9", "--max-connections", "50", "--max-header-bytes", "4096", "--batch-threads", "3"])
    assert (settings.header_timeout_seconds, settings.body_timeout_seconds, settings.keep_alive_seconds,
            settings.max_connections, settings.max_header_bytes, settings.batch_threads) == (2.5, 7.0, 9, 50, 4096, 3)
    options = uvicorn_options(settings)
    assert (options["timeout_keep_alive"], options["limit_concurrency"], options["h11_max_incomplete_event_size"]) == (
        9, 51, 4096)
    assert options["http"].keywords["limits"].header_timeout == 2.5


def test_bad_flag_values_name_the_flag(monkeypatch):
    from revops.errors import ConfigError

    monkeypatch.delenv("REVOPS_API_KEY", raising=False)
    with pytest.raises(ConfigError) as caught:
        _parse(["--max-connections", "0", "--header-timeout-seconds", "-1", "--model", ""])
    assert str(caught.value) == (
        "command line: 3 problem(s) with the settings:\n"
        "  --model: String should have at least 1 character; got ''\n"
        "  --header-timeout-seconds: Input should be greater than 0; got -1.0\n"
        "  --max-connections: Input should be greater than or equal to 1; got 0")


def test_every_setting_is_described():
    from scoring.service.settings import ServiceSettings

    assert [n for n, f in ServiceSettings.__pydantic_fields__.items() if not f.description] == []
    assert "api_key" not in repr(ServiceSettings(api_key="s3cret"))


def test_connection_budget_fits_the_open_file_limit():
    from scoring.service.server import RESERVED_FDS, connection_budget
    from scoring.service.settings import ServiceSettings

    settings = ServiceSettings(max_connections=1000)
    assert connection_budget(settings, 1024) == 1024 - RESERVED_FDS == 896
    assert connection_budget(settings, 1_048_576) == 1000


def test_open_file_limit_is_raised_to_the_hard_limit():
    import resource

    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard <= 512:
        pytest.skip(f"needs a finite hard open-file limit above 512, not {hard}")
    code = ("import resource; from scoring.service.server import raise_open_file_limit; "
            "resource.setrlimit(resource.RLIMIT_NOFILE, (512, resource.getrlimit(resource.RLIMIT_NOFILE)[1])); "
            "print(raise_open_file_limit(), *resource.getrlimit(resource.RLIMIT_NOFILE))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == [str(hard)] * 3


@pytest.mark.slow
@pytest.mark.mlflow
def test_serve_process_scores_with_key(scorers, lead_frame, tmp_path):
    from revops.mlflow_setup import configure, ensure_experiment

    configure()
    mlflow.set_experiment(experiment_id=ensure_experiment("lead-scoring"))  # not Default: its artifacts go to ./mlruns
    with mlflow.start_run():
        version = registry.register(scorers["logistic_regression"], lead_frame.tail(300))["version"]
    port = free_port()
    env = {**os.environ, "REVOPS_API_KEY": "k2"}
    proc = subprocess.Popen([sys.executable, "-c", RUNNER, "serve", "--port", str(port), "--quiet"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(proc, url)
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


@pytest.mark.slow
@pytest.mark.mlflow
def test_store_removed_under_a_running_service_then_training_again(scorers, lead_frame, tmp_path):
    """`make clean` removes models/mlflow.db while the service runs: the next training succeeds
    and the service follows the new store's champion."""
    from revops.mlflow_setup import configure, ensure_experiment

    uri = configure()
    mlflow.set_experiment(experiment_id=ensure_experiment("lead-scoring"))  # not Default: its artifacts go to ./mlruns
    db = Path(uri.removeprefix("sqlite:///"))
    with mlflow.start_run():
        registry.register(scorers["logistic_regression"], lead_frame.tail(300))
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-c", RUNNER, "serve", "--port", str(port), "--quiet",
                             "--poll-seconds", "0.5"],
                            env=dict(os.environ), stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path)
    url = f"http://127.0.0.1:{port}"
    leads = tmp_path / "leads.csv"
    lead_frame.to_csv(leads, index=False)
    try:
        wait_until_up(proc, url)
        before = httpx.get(f"{url}/v1/model").json()["trained_at"]
        db.unlink()
        time.sleep(1.5)  # the service polls the (now missing) store at least twice
        env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[3])}
        for attempt in ("first", "second"):
            trained = subprocess.run(
                [sys.executable, "-m", "revops", "score", "train", "--leads", str(leads),
                 "--out", str(tmp_path / attempt), "--candidates", "logistic_regression", "--quiet"],
                env=env, capture_output=True, text=True, cwd=tmp_path, timeout=600)
            assert trained.returncode == 0, trained.stderr
        # The new store's champion is version 1 again, but another model: the service follows it.
        deadline = time.monotonic() + 30
        while (model := httpx.get(f"{url}/v1/model").json())["trained_at"] == before:
            assert time.monotonic() < deadline, model
            time.sleep(0.3)
        assert model["version"] == "1"
        assert httpx.get(f"{url}/healthz").status_code == 200
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
