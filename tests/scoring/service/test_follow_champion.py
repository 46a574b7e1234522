"""Following models:/lead-scoring@champion: live swap under load, and a failed load that is survived."""
from __future__ import annotations

import threading
import time

import httpx
import mlflow

from scoring import registry
from scoring.service.app import create_app
from scoring.service.holder import ModelHolder
from scoring.service.server import ServerThread
from scoring.service.settings import ServiceSettings
from service_support import FakeModel, as_records
import pytest

pytestmark = [pytest.mark.slow, pytest.mark.mlflow]


def _hammer(url: str, lead: dict, stop: threading.Event, seen: list) -> None:
    with httpx.Client(base_url=url, timeout=30) as client:
        while not stop.is_set():
            try:
                r = client.post("/v1/score", json={"leads": [lead]})
                seen.append((r.status_code, r.json()["model"]["version"] if r.status_code == 200 else r.text))
            except httpx.HTTPError as exc:  # a dropped connection is a failure too
                seen.append((0, repr(exc)))


def test_alias_moves_while_requests_run(scorers, lead_frame):
    from revops.mlflow_setup import configure, ensure_experiment

    configure()
    mlflow.set_experiment(experiment_id=ensure_experiment("lead-scoring"))  # not Default: its artifacts go to ./mlruns
    holdout = lead_frame.tail(400)
    with mlflow.start_run():
        first = registry.register(scorers["logistic_regression"], holdout)
    with mlflow.start_run():
        second = registry.register(scorers["gradient_boosting"], holdout)
    registry.promote(first["version"])
    settings = ServiceSettings(poll_seconds=0.2)
    lead = as_records(lead_frame.head(1))[0]
    with ServerThread(create_app(settings)) as server:
        assert httpx.get(f"{server.url}/v1/model").json()["version"] == first["version"]
        stop = threading.Event()
        seen: list[list] = [[], []]
        threads = [threading.Thread(target=_hammer, args=(server.url, lead, stop, s)) for s in seen]
        for t in threads:
            t.start()
        time.sleep(1.0)
        registry.promote(second["version"])
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not all(s and s[-1][1] == second["version"] for s in seen):
            time.sleep(0.2)
        time.sleep(0.5)
        stop.set()
        for t in threads:
            t.join()
        info = httpx.get(f"{server.url}/v1/model").json()
    assert info["version"] == second["version"] and info["last_reload_error"] is None
    for answers in seen:
        assert answers and all(status == 200 for status, _ in answers), answers[:3]
        versions = [v for _, v in answers]
        switch = versions.index(second["version"])
        assert switch > 0, "answers from the first champion were expected before the move"
        # Once the new version answers, the old one never does again (an atomic swap).
        assert set(versions[:switch]) == {first["version"]}
        assert set(versions[switch:]) == {second["version"]}


class FlakySource:
    """Version 1 loads; version 2 fails to load; the alias points wherever the test says."""

    uri = "models:/lead-scoring@champion"

    def __init__(self):
        self.version = "1"

    def current_version(self):
        return self.version

    def load(self, version):
        if version == "2":
            raise OSError("artifact store unreachable: model.pkl")
        return FakeModel(version=version)


def test_failed_reload_keeps_serving_and_says_so(client_for, caplog):
    source = FlakySource()
    with ServerThread(create_app(ServiceSettings(poll_seconds=0.1), source=source, holder=ModelHolder())) as server:
        client = client_for(server)
        assert client.get("/v1/model").json()["version"] == "1"
        source.version = "2"
        deadline = time.monotonic() + 10
        while client.get("/v1/model").json()["last_reload_error"] is None and time.monotonic() < deadline:
            time.sleep(0.05)
        info = client.get("/v1/model").json()
        r = client.post("/v1/score", json={"leads": [{"lead_id": "a", "employees": 10}]})
        metrics = client.get("/metrics").text
    assert info["version"] == "1"
    error = info["last_reload_error"]
    assert (error["version"], error["error"], error["still_serving"]) == (
        "2", "artifact store unreachable: model.pkl", "1")
    assert r.status_code == 200 and r.json()["model"]["version"] == "1"
    assert 'revops_model_reloads_total{result="failure"} 1' in metrics  # not retried every poll
    assert any("model reload failed (version 2)" in rec.getMessage() for rec in caplog.records)
