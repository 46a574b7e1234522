"""The HTTP contract over a real socket: status codes and bodies, auth, limits, bad input."""
from __future__ import annotations

import json

import pytest

from scoring.service.settings import ServiceSettings

pytestmark = pytest.mark.slow  # every test talks to a live server

KEY = "s3cret-key"


def test_score_answers_in_order_with_model_version(fake_server, client_for):
    client = client_for(fake_server())
    leads = [{"lead_id": "b", "employees": 900}, {"lead_id": 3}, {"lead_id": "a", "employees": 10, "x": [1]}]
    r = client.post("/v1/score", json={"leads": leads})
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json"
    assert r.json() == {"model": {"name": "lead-scoring", "version": "7"}, "scores": [
        {"lead_id": "b", "probability": 0.9, "score": 90, "tier": "A", "reasons": [], "flags": []},
        {"lead_id": 3, "probability": 0.5, "score": 50, "tier": "A", "reasons": [],
         "flags": ["missing:employees"]},
        {"lead_id": "a", "probability": 0.01, "score": 1, "tier": "D", "reasons": [], "flags": []}]}


def test_health_ready_model_metrics(fake_server, client_for):
    client = client_for(fake_server())
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json() == {"status": "ready", "model": {"name": "lead-scoring", "version": "7"}}
    info = client.get("/v1/model").json()
    assert (info["version"], info["alias"], info["last_reload_error"]) == ("7", "champion", None)
    assert info["schema"]["features"] == [{"name": "employees", "type": "numeric"}]
    client.post("/v1/score", json={"leads": [{"lead_id": "a"}]})
    client.post("/v1/score", content=b"{")
    text = client.get("/metrics").text
    assert 'revops_http_requests_total{route="/v1/score",method="POST",status="200"} 1' in text
    assert 'revops_http_requests_total{route="/v1/score",method="POST",status="400"} 1' in text
    assert 'revops_model_info{name="lead-scoring",version="7"} 1' in text
    assert 'revops_http_request_duration_seconds_count{route="/v1/score"} 2' in text
    assert "revops_leads_scored_total 1" in text


def test_not_ready_without_model(fake_server, client_for):
    from scoring.service.app import create_app
    from scoring.service.holder import ModelHolder
    from scoring.service.server import ServerThread

    class NoModelYet:
        uri = "models:/lead-scoring@champion"

        def current_version(self):
            return None

        def load(self, version):  # pragma: no cover - never called
            raise AssertionError

    with ServerThread(create_app(ServiceSettings(poll_seconds=60), source=NoModelYet(),
                                 holder=ModelHolder())) as server:
        client = client_for(server)
        assert client.get("/healthz").status_code == 200
        r = client.get("/readyz")
        assert r.status_code == 503
        assert r.json()["error"] == "not_ready"
        r = client.post("/v1/score", json={"leads": [{"lead_id": "a"}]})
        assert r.status_code == 503 and r.headers["retry-after"] == "5"
        assert r.json()["message"] == ("no model is loaded yet: models:/lead-scoring@champion does not "
                                       "name a model version yet")


@pytest.mark.parametrize("path,method", [("/v1/score", "POST"), ("/readyz", "GET"), ("/v1/model", "GET"),
                                         ("/metrics", "GET"), ("/openapi.json", "GET"), ("/docs", "GET")])
def test_api_key_required_except_healthz(fake_server, client_for, path, method):
    server = fake_server(ServiceSettings(api_key=KEY))
    anonymous = client_for(server)
    body = {"leads": [{"lead_id": "a"}]} if method == "POST" else None
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {KEY}"},
                    {"Authorization": KEY}):
        r = anonymous.request(method, path, json=body, headers=headers)
        assert r.status_code == 401, headers
        assert r.headers["www-authenticate"] == "Bearer"
        assert r.json() == {"error": "unauthorized", "problems": [],
                            "message": "missing or wrong API key: send 'Authorization: Bearer <key>'"}
    assert anonymous.get("/healthz").status_code == 200
    authorised = client_for(server, headers={"Authorization": f"Bearer {KEY}"})
    assert authorised.request(method, path, json=body).status_code == 200


def test_openapi_documents_auth_when_key_set(fake_server, client_for):
    client = client_for(fake_server(ServiceSettings(api_key=KEY)), headers={"Authorization": f"Bearer {KEY}"})
    doc = client.get("/openapi.json").json()
    assert doc["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    assert doc["paths"]["/v1/score"]["post"]["security"] == [{"bearer": []}]
    assert "security" not in doc["paths"]["/healthz"]["get"]


def test_limits_are_413(fake_server, client_for):
    client = client_for(fake_server(ServiceSettings(max_batch=3, max_body_bytes=2048)))
    r = client.post("/v1/score", json={"leads": [{"lead_id": i} for i in range(4)]})
    assert r.status_code == 413
    assert r.json() == {"error": "batch_too_large", "message": "batch of 4 leads; at most 3 per request",
                        "problems": [{"path": "leads", "problem": "at most 3 leads"}]}
    big = json.dumps({"leads": [{"lead_id": "a", "pad": "x" * 3000}]}).encode()
    r = client.post("/v1/score", content=big, headers={"content-type": "application/json"})
    assert r.status_code == 413
    assert r.json()["message"] == f"request body of {len(big)} bytes; at most 2048"

    def chunks():  # no Content-Length: counted while streaming
        for _ in range(10):
            yield b" " * 500

    r = client.post("/v1/score", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413
    assert r.json()["message"] == "request body larger than 2048 bytes"


BAD_INPUT = [
    (b"{", 400, "invalid_json", None),
    (b"", 400, "invalid_json", None),
    (b"\xff\xfe{}", 400, "invalid_json", None),
    (b'{"leads": [{"lead_id": "a", "x": "\\ud800"}]}', 400, "invalid_json", None),
    (b"[" * 5000 + b"]" * 5000, 400, "invalid_json", None),
    (b"[]", 422, "invalid_request", [{"path": "body", "problem": "expected {\"leads\": [...]}"}]),
    (b'{"lead": {}}', 422, "invalid_request", [{"path": "leads", "problem": "required field missing"}]),
    (b'{"leads": {}}', 422, "invalid_request", [{"path": "leads", "problem": "expected an array of lead objects"}]),
    (b'{"leads": []}', 422, "invalid_request", [{"path": "leads", "problem": "must hold at least one lead"}]),
    (b'{"leads": [{"employees": 3}]}', 422, "invalid_lead",
     [{"path": "leads[0].lead_id", "problem": "required field missing"}]),
]


@pytest.mark.parametrize("body,status,code,problems", BAD_INPUT)
def test_bad_envelopes(fake_server, client_for, body, status, code, problems):
    client = client_for(fake_server())
    r = client.post("/v1/score", content=body, headers={"content-type": "application/json"})
    assert r.status_code == status, r.text
    assert r.json()["error"] == code
    if problems is not None:
        assert r.json()["problems"] == problems


def test_unknown_route_and_method(fake_server, client_for):
    client = client_for(fake_server())
    r = client.get("/nope")
    assert (r.status_code, r.json()["error"]) == (404, "not_found")
    r = client.get("/v1/score")
    assert (r.status_code, r.json()["error"]) == (405, "method_not_allowed")
