"""LeadScorerModel.score_body: a batch body read into columns (scoring.service.scan) and
answered. It either gives up (None: the router parses the body with orjson and calls
score_json) or returns the very bytes score_json gives for the parsed leads; over HTTP, both
paths answer alike. The reader itself, against orjson: test_body_reader.
"""
from __future__ import annotations

import numpy as np
import orjson
import pytest

from scoring.service.app import create_app
from scoring.service.holder import ModelHolder
from scoring.service.hotpath import LeadValidationError
from scoring.service.routers.score import INLINE_BODY_BYTES
from scoring.service import scan
from scoring.service.scan import MAX_NESTING
from scoring.service.served import BYTES_MIN, LeadScorerModel
from scoring.service.server import ServerThread
from scoring.service.settings import ServiceSettings

from service_support import FAMILIES, as_records
from test_batch_answers import odd_records
from test_body_reader import DEPTH_LIMIT, deep
from test_fast_paths import messy_records

# Without numba score_body always gives up: nothing here would be tested, so say so rather than pass.
pytestmark = pytest.mark.skipif(scan.numba is None, reason="numba not installed: score_body always gives up")


def same_answers(model: LeadScorerModel, body: bytes, max_batch: int = 5000) -> tuple[bytes, int] | None:
    """score_body of ``body``; when it answers, the answer is score_json's of the parsed leads."""
    got = model.score_body(body, max_batch)
    leads = orjson.loads(body)["leads"]
    try:
        expected = model.score_json(leads)
    except LeadValidationError:
        assert got is None  # leads the slow path rejects are never answered by the fast one
        return None
    if got is not None:
        assert got[1] == len(leads)
        assert got[0] == expected
    return got


@pytest.mark.parametrize("family", FAMILIES)
def test_score_body_equals_score_json_on_the_sample(served, lead_frame, family):
    model = served[family]
    records = as_records(lead_frame.head(1200))
    for n in (BYTES_MIN, 300, 1200):
        body = orjson.dumps({"leads": records[:n]})
        assert same_answers(model, body) is not None
        assert same_answers(model, orjson.dumps({"leads": records[:n]}, option=orjson.OPT_INDENT_2)) is not None
    # Fewer than BYTES_MIN leads: left to score_json (answered lead by lead as dicts).
    assert model.score_body(orjson.dumps({"leads": records[:BYTES_MIN - 1]}), 5000) is None
    # max_batch: exactly as many leads is read, one more is left to the caller (which says 413).
    body = orjson.dumps({"leads": records[:300]})
    assert model.score_body(body, 300) is not None
    assert model.score_body(body, 299) is None


@pytest.mark.parametrize("family", FAMILIES)
def test_score_body_equals_score_json_on_messy_and_odd_leads(served, lead_frame, family):
    model = served[family]
    records = as_records(lead_frame.head(700))
    for seed in (1, 2):
        assert same_answers(model, orjson.dumps({"leads": messy_records(records, seed=seed)})) is not None
    odd = odd_records(records)
    # A field under another spelling ("Lead Source" for lead_source) is read as that field;
    # unknown fields ("favourite_colour") are read past and flagged, as score_json does.
    assert any("Lead Source" in rec for rec in odd) and any("favourite_colour" in rec for rec in odd)
    assert same_answers(model, orjson.dumps({"leads": odd})) is not None
    plain = []
    for rec in odd:
        rec = dict(rec)
        if "Lead Source" in rec:
            rec["lead_source"] = rec.pop("Lead Source")
        plain.append(rec)
    assert model.score_body(orjson.dumps({"leads": plain}), 5000) == model.score_body(orjson.dumps({"leads": odd}), 5000)
    # Spellings of every kind of field, two spellings in a lead (the first counts), a spelling
    # beside the field itself (flagged), a spelling whose value the field rejects (a 422 there).
    spelled = []
    for i, rec in enumerate(plain):
        rec = {("Employees" if k == "employees" else "Created At" if k == "created_at" else
                "Demo-Requested" if k == "demo_requested" else k): v for k, v in rec.items()}
        if i % 3 == 0:
            rec["INDUSTRY"] = "Retail"
        if i % 4 == 0:
            rec["Region"] = "EMEA"
        spelled.append(rec)
    assert same_answers(model, orjson.dumps({"leads": spelled})) is not None
    rejected = [{**rec, "Industry": ["a list"]} if "industry" not in rec else rec for rec in spelled]
    rejected[7] = {k: v for k, v in rejected[7].items() if k != "industry"} | {"Industry": ["a list"]}
    assert same_answers(model, orjson.dumps({"leads": rejected})) is None
    # More unknown fields, of every kind, some leads carrying the spelling of a model field
    # beside the field itself (flagged, not renamed), one an escaped key.
    rng = np.random.default_rng(5)
    extra = [dict(rec) for rec in plain]
    for i, rec in enumerate(extra):
        for name, value in (("email", f"x{i}@example.com"), ("Owner Notes", ["a", {"b": None}]),
                            ("score_2024", 1.5 * i), ("Lead Source", "Webinar"), ("ok", True)):
            if rng.random() < 0.4 and (name != "Lead Source" or "lead_source" in rec):
                rec[name] = value
    body = orjson.dumps({"leads": extra}).replace(b'"email"', b'"e\\u006dail"')
    answered = same_answers(model, body)
    assert answered is not None
    assert any(f.startswith("unknown_field:Lead Source") for a in orjson.loads(answered[0]) for f in a["flags"])


# Values per field kind, read by both paths (and a few that score_json rejects).
POOL = {
    "numeric": [0, -0.0, 0.0, 1e5, 12, 3.5, 2**53 + 1, 2**63, 1e-7, 123456789.125, "1,200", " 42 ", "3.5e2",
                "n/a", "", "unknown", None, -1e299],
    "boolean": [True, False, 0, 1, "Yes", "no", "y", "n", "True", "", None, "1", "0"],
    "categorical": ["Zürich", "北京", "😀", "Healthcaré", "  Webinar ", "n/a", 7, 2.5, -0.0, True, False, None,
                    "x" * 70, "Retail\n", 'quo"te', "back\\slash", "Software", "tab\there", "Paid Search"],
    "date": ["2025-03-04T10:20:30Z", "2025-03-04T10:20:30+02:00", "2025-03-04", "2025-03-04 10:20",
             "2025-03-04T10:20:30.123", "", "n/a", None, "1969-07-20T20:17:40Z", "2024-02-29 12:00:00",
             "2025-03-04T10:20:30+00:00", "2025-03-04T10:20:30.123456Z"],
}
OTHER_NOTES = [{"a": [1, "é", None]}, [], 12, 2**64 - 1, 1e-300, None, True, "line\nbreak", "北京 \"quoted\""]
REJECTED = {"numeric": ["lots", True, [1]], "boolean": ["maybe", 2, {"a": 1}], "categorical": [{"a": 1}, "x" * 1001],
            "date": ["soon", 20250304, "03/04/2025 10:20"]}


def mutated(model: LeadScorerModel, records: list[dict], rng: np.random.Generator, rate: float,
            pool: dict) -> list[dict]:
    out = []
    for rec in records:
        rec = dict(rec)
        for rule in model.records.rules:
            if rng.random() < rate:
                values = pool[rule.kind]
                rec[rule.name] = values[rng.integers(len(values))]
            elif rng.random() < 0.02:
                rec.pop(rule.name, None)
        if rng.random() < rate:  # a known field the model does not use: checked, never read
            rec["notes"] = OTHER_NOTES[rng.integers(len(OTHER_NOTES))]
        out.append(rec)
    return out


def escaped(body: bytes) -> bytes:
    """The same JSON with some texts written with escapes (\\u, \\/) instead of raw."""
    body = body.replace(b'"Webinar"', b'"Web\\u0069nar"', 40).replace(b'"Retail"', b'"Ret\\/ail"', 30)
    body = body.replace("é".encode(), b"\\u00e9").replace(b'"Healthcare"', b'"Health\\u0063are"', 25)
    return body.replace(b'"Yes"', b'"\\u0059es"', 20).replace(b'"2024-01-', b'"2024\\u002d01-', 15)


@pytest.mark.filterwarnings("ignore:overflow encountered in exp:RuntimeWarning")  # -1e299 employees
@pytest.mark.parametrize("family", FAMILIES)
def test_score_body_equals_score_json_on_every_kind_of_value(served, lead_frame, family):
    model = served[family]
    records = as_records(lead_frame.head(400))
    answered = 0
    for seed in range(4):
        rng = np.random.default_rng(seed)
        leads = mutated(model, records, rng, 0.3, POOL)
        body = orjson.dumps({"leads": leads})
        assert escaped(body) != body  # the escapes are there to read
        for variant in (body, escaped(body)):
            answered += same_answers(model, variant) is not None
    assert answered == 8  # none of these values needs the slow path
    # Nulls everywhere, a field null in every lead, and every input absent.
    nulls = [{**rec, **{rule.name: None for rule in model.records.rules}} for rec in records]
    assert same_answers(model, orjson.dumps({"leads": nulls})) is not None
    bare = [{"lead_id": rec["lead_id"]} for rec in records]
    assert same_answers(model, orjson.dumps({"leads": bare})) is not None
    # Values score_json rejects: score_body never answers them.
    for seed in range(2):
        rng = np.random.default_rng(100 + seed)
        pool = {kind: POOL[kind] + REJECTED[kind] * 3 for kind in POOL}
        leads = mutated(model, records, rng, 0.3, pool)
        with pytest.raises(LeadValidationError):
            model.score_json(leads)
        assert same_answers(model, orjson.dumps({"leads": leads})) is None


@pytest.mark.parametrize("family", FAMILIES)
def test_score_body_gives_up_on_ids_it_does_not_write_as_sent(served, lead_frame, family):
    model = served[family]
    records = as_records(lead_frame.head(100))
    cases = {
        "integer ids": [{**rec, "lead_id": i} for i, rec in enumerate(records)],
        "float ids": [{**rec, "lead_id": float(i)} for i, rec in enumerate(records)],
        "non-ASCII id": [{**rec, "lead_id": "Zürich-1"} if i == 50 else rec for i, rec in enumerate(records)],
        "empty id": [{**rec, "lead_id": ""} if i == 50 else rec for i, rec in enumerate(records)],
        "missing id": [{k: v for k, v in rec.items() if k != "lead_id" or i != 50} for i, rec in enumerate(records)],
        "too long id": [{**rec, "lead_id": "x" * 257} if i == 50 else rec for i, rec in enumerate(records)],
    }
    for name, leads in cases.items():
        body = orjson.dumps({"leads": leads})
        assert model.score_body(body, 5000) is None, name
        same_answers(model, body)
    escaped_id = orjson.dumps({"leads": records}).replace(b'"lead_id":"L', b'"lead_id":"\\u004c', 1)
    assert model.score_body(escaped_id, 5000) is None
    same_answers(model, escaped_id)


def deep_notes(records: list[dict], depth: int) -> bytes:
    """The leads' body with the first lead's "notes" (a field the model does not use) nested
    ``depth`` deep (written by hand: orjson.dumps nests at most 255 deep)."""
    body = orjson.dumps({"leads": [{**records[0], "notes": "DEEP"}, *records[1:]]})
    return body.replace(b'"DEEP"', deep(depth), 1)


def test_score_body_reads_a_deep_value_orjson_reads(served, lead_frame):
    model = served["gradient_boosting"]
    records = as_records(lead_frame.head(BYTES_MIN))
    assert same_answers(model, deep_notes(records, MAX_NESTING)) is not None
    # Deeper: left to orjson, which reads it (the router then answers by score_json).
    body = deep_notes(records, DEPTH_LIMIT - 3)
    orjson.loads(body)
    assert model.score_body(body, 5000) is None


def test_score_body_does_not_answer_a_body_orjson_rejects(served, lead_frame):
    # Over HTTP this would be a 200 from the fast path where the usual parse answers 400.
    body = deep_notes(as_records(lead_frame.head(BYTES_MIN)), DEPTH_LIMIT - 2)
    with pytest.raises(orjson.JSONDecodeError, match="depth limit"):
        orjson.loads(body)
    assert served["gradient_boosting"].score_body(body, 5000) is None


# -------------------------------------------------------------- the HTTP path
@pytest.mark.slow
def test_http_fast_and_slow_paths_answer_alike(served, lead_frame, client_for):
    # A server of its own: the session's real_server takes at most 20 leads per request, and
    # only bodies over INLINE_BODY_BYTES (16 kB) reach _parse_and_answer (the body reader).
    model = served["gradient_boosting"]
    records = as_records(lead_frame.head(1000))
    fast_body = orjson.dumps({"leads": records})
    unknown_leads = [dict(rec) for rec in records]
    unknown_leads[500]["favourite_colour"] = "teal"  # an unknown field: read past and flagged
    unknown_body = orjson.dumps({"leads": unknown_leads})
    # A key twice in one lead (orjson keeps the last value): the reader gives up.
    slow_body = orjson.dumps({"leads": records}).replace(
        b'"lead_id":' + orjson.dumps(records[500]["lead_id"]) + b",",
        b'"lead_id":"twice","lead_id":' + orjson.dumps(records[500]["lead_id"]) + b",", 1)
    answered = []
    own = model.score_body

    def recording(body: bytes, max_batch: int):
        got = own(body, max_batch)
        answered.append(got is not None)
        return got

    model.score_body = recording  # the instance's: seen by the router, dropped below
    try:
        with ServerThread(create_app(ServiceSettings(), holder=ModelHolder(model))) as server:
            client = client_for(server)
            headers = {"content-type": "application/json"}
            fast = client.post("/v1/score", content=fast_body, headers=headers)
            unknown = client.post("/v1/score", content=unknown_body, headers=headers)
            slow = client.post("/v1/score", content=slow_body, headers=headers)
            too_many = client.post("/v1/score", content=orjson.dumps({"leads": records + records[:1]}),
                                   headers=headers)
    finally:
        del model.score_body
    for response in (fast, unknown, slow):
        assert response.status_code == 200, response.text[:300]
    assert too_many.status_code == 413
    assert len(fast_body) > INLINE_BODY_BYTES
    assert answered == [True, True, False, False]
    envelope = b'{"model":{"name":"lead-scoring","version":"1"},"scores":'
    assert fast.content == envelope + model.score_json(records) + b"}"
    assert unknown.content == envelope + model.score_json(unknown_leads) + b"}"
    fast_scores, unknown_scores = fast.json()["scores"], unknown.json()["scores"]
    assert unknown_scores[500]["flags"] == ["unknown_field:favourite_colour", *fast_scores[500]["flags"]]
    unknown_scores[500]["flags"] = fast_scores[500]["flags"]
    assert unknown_scores == fast_scores
    assert slow.json()["scores"] == fast_scores
