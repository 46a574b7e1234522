"""A real LeadScorer over HTTP: same numbers as predict, and every kind of bad field is a 422."""
from __future__ import annotations

import pytest

from scoring.service.app import create_app
from scoring.service.holder import ModelHolder
from scoring.service.served import LeadScorerModel, ModelMeta
from scoring.service.server import ServerThread
from scoring.service.settings import ServiceSettings
from service_support import as_records

pytestmark = pytest.mark.slow  # a live server; no MLflow


@pytest.fixture(scope="module")
def served(scorers):
    model = LeadScorerModel(scorers["logistic_regression"], ModelMeta("lead-scoring", "4", alias="champion"),
                            max_chars=100)
    with ServerThread(create_app(ServiceSettings(max_string_chars=100), holder=ModelHolder(model))) as server:
        yield server


def test_probabilities_equal_predict(served, client_for, scorers, lead_frame):
    frame = lead_frame.tail(200)
    expected = scorers["logistic_regression"].predict_proba(frame)
    client = client_for(served)
    r = client.post("/v1/score", json={"leads": as_records(frame)})
    assert r.status_code == 200
    body = r.json()
    assert body["model"] == {"name": "lead-scoring", "version": "4"}
    assert [s["lead_id"] for s in body["scores"]] == frame["lead_id"].tolist()
    for s, p in zip(body["scores"], expected):
        assert abs(s["probability"] - p) <= 1e-6
    one = client.post("/v1/score", json={"leads": as_records(frame.head(1))}).json()["scores"][0]
    assert abs(one["probability"] - expected[0]) <= 1e-6


@pytest.mark.parametrize("lead,path,problem", [
    ({"lead_id": "a", "employees": "12 apples"}, "leads[0].employees", "expected a number, got '12 apples'"),
    ({"lead_id": "a", "employees": "inf"}, "leads[0].employees", "expected a finite number, got 'inf'"),
    ({"lead_id": "a", "employees": [1]}, "leads[0].employees", "expected a number, got an array"),
    ({"lead_id": "a", "industry": "x" * 101}, "leads[0].industry", "string of 101 characters; at most 100"),
    ({"lead_id": "", "employees": 3}, "leads[0].lead_id", "must not be empty"),
    ({"lead_id": 1.5}, "leads[0].lead_id", "expected a string or an integer, got 1.5"),
    ({"lead_id": "a", "created_at": "not a date"}, "leads[0].created_at", "expected a date, got 'not a date'"),
    ({"lead_id": "a", "demo_requested": 2}, "leads[0].demo_requested", "expected true/false or yes/no, got 2"),
])
def test_bad_fields_are_422_with_path(served, client_for, lead, path, problem):
    r = client_for(served).post("/v1/score", json={"leads": [lead]})
    assert r.status_code == 422, r.text
    assert r.json()["problems"] == [{"path": path, "problem": problem}]


def test_placeholders_are_missing_not_errors(served, client_for):
    # As in a CRM export read by 'revops score predict': "NaN", "n/a", "" mean "not filled in".
    r = client_for(served).post("/v1/score", json={"leads": [
        {"lead_id": "a", "employees": "NaN", "industry": "n/a", "created_at": ""}]})
    assert r.status_code == 200
    flags = r.json()["scores"][0]["flags"]
    assert {"missing:employees", "missing:industry", "missing:created_at"} <= set(flags)


@pytest.mark.parametrize("literal", [b"NaN", b"Infinity", b"-Infinity", b"1e999"])
def test_non_finite_numbers_are_422(served, client_for, literal):
    body = b'{"leads": [{"lead_id": "a", "employees": ' + literal + b"}]}"
    r = client_for(served).post("/v1/score", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 422, r.text
    assert r.json()["problems"][0]["path"] == "leads[0].employees"


def test_model_info_has_schema_and_metrics(served, client_for, scorers):
    info = client_for(served).get("/v1/model").json()
    assert (info["name"], info["version"], info["alias"], info["family"]) == (
        "lead-scoring", "4", "champion", "logistic_regression")
    assert info["holdout_metrics"]["roc_auc"] == pytest.approx(scorers["logistic_regression"].metrics_["roc_auc"])
    features = {f["name"]: f for f in info["schema"]["features"]}
    assert features["employees"]["type"] == "numeric"
    assert "Webinar" in features["lead_source"]["known_categories"]
    assert features["created_at"]["type"] == "date"


def test_openapi_describes_the_model_fields(served, client_for):
    doc = client_for(served).get("/openapi.json").json()
    lead = doc["components"]["schemas"]["Lead"]
    assert lead["required"] == ["lead_id"]
    assert {"employees", "lead_source", "created_at", "email_opened"} <= set(lead["properties"])
    request = doc["paths"]["/v1/score"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert request == {"$ref": "#/components/schemas/ScoreRequest"}
    assert doc["components"]["schemas"]["ScoreRequest"]["properties"]["leads"]["minItems"] == 1
