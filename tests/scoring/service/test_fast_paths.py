"""The fast paths equal scikit-learn and the scorer's own code, value for value."""
from __future__ import annotations

import numpy as np
import pytest

from scoring.reasons import group_contributions
from scoring.service.hotpath import LeadValidationError, RecordEncoder, iso_days
from scoring.service.served import LeadScorerModel, ModelMeta
from scoring.service.trees import HAVE_NUMBA, pack_hgb, raw_predict, raw_predict_with_drops, reference_layout
from scoring.values import parse_dates

from service_support import FAMILIES, as_records


def messy_records(records: list[dict], seed: int = 0) -> list[dict]:
    """The same leads as a careless form would send them: placeholders, other spellings, gaps."""
    rng = np.random.default_rng(seed)
    out = []
    for i, rec in enumerate(records):
        rec = dict(rec)
        pick = rng.integers(0, 10)
        if pick == 0:
            rec["employees"] = "n/a"
        elif pick == 1:
            rec["industry"] = "Crypto Mining"          # never seen in training
        elif pick == 2:
            rec["email_opened"] = True                # JSON boolean instead of "Yes"
        elif pick == 3:
            rec["demo_requested"] = 1
        elif pick == 4:
            rec.pop("country")                        # absent field
        elif pick == 5:
            rec["employees"] = str(rec["employees"])  # a number as text
        elif pick == 6:
            # An offset other than UTC would make pandas shift the *naive* stamps of the same
            # batch too (the batch encoder's quirk, reported); offsets are tested in iso_days.
            rec["last_visit_at"] = "2025-03-04T10:20:30+00:00"
        elif pick == 7:
            rec["created_at"] = rec["created_at"].replace(" ", "T") + "Z"
        elif pick == 8:
            rec["lead_source"] = "  Webinar  "
        out.append(rec)
    return out


@pytest.mark.parametrize("family", FAMILIES)
def test_record_encoder_equals_batch_encoder(scorers, lead_frame, family):
    scorer = scorers[family]
    records = messy_records(as_records(lead_frame.head(600)))
    expected = scorer.encoder_.encode_records(records)
    X, flags, ids = RecordEncoder(scorer.encoder_).encode(records)
    np.testing.assert_array_equal(X, expected)
    assert ids == [r["lead_id"] for r in records]
    for rec, lead_flags in zip(records, flags):
        if rec.get("industry") == "Crypto Mining":
            assert "unknown_category:industry" in lead_flags
        if "country" not in rec or rec.get("employees") == "n/a":
            assert any(f.startswith("missing:") for f in lead_flags)


def test_iso_days_equals_pandas():
    stamps = ["2024-01-01", "2024-02-29 23:59:59", "2024-01-01T00:57:02Z", "2026-11-03T14:05:00+05:30",
              "2026-11-03T14:05:00.123456-08:00", "1999-12-31T23:59:59.5", "2030-06-15 12:00"]
    for stamp in stamps:
        assert iso_days(stamp) == parse_dates([stamp], "ISO8601")[0], stamp
    assert np.isnan(iso_days("03/04/2025"))          # not ISO: the caller asks pandas
    assert np.isnan(iso_days("2024-01-01T00:00:00.1234567"))  # beyond microseconds: pandas


def test_validation_names_field_paths(scorers):
    encoder = RecordEncoder(scorers["logistic_regression"].encoder_, max_chars=50)
    with pytest.raises(LeadValidationError) as info:
        encoder.encode([{"lead_id": "a", "employees": "lots"},
                        {"employees": 3},
                        {"lead_id": True, "industry": {"x": 1}, "last_visit_at": "yesterday-ish"},
                        "not a lead",
                        {"lead_id": "b", "lead_source": "x" * 51, "email_opened": "maybe"}])
    assert info.value.problems == [
        ("leads[0].employees", "expected a number, got 'lots'"),
        ("leads[1].lead_id", "required field missing"),
        ("leads[2].lead_id", "expected a string or an integer, got true"),
        ("leads[2].industry", "expected a text category, got an object"),
        ("leads[2].last_visit_at", "expected a date, got 'yesterday-ish'"),
        ("leads[3]", "expected an object (one lead), got 'not a lead'"),
        ("leads[4].lead_source", "string of 51 characters; at most 50"),
        ("leads[4].email_opened", "expected true/false or yes/no, got 'maybe'"),
    ]


@pytest.mark.skipif(not HAVE_NUMBA, reason="numba not installed")
def test_packed_trees_equal_sklearn(scorers, lead_frame):
    scorer = scorers["gradient_boosting"]
    X, _ = scorer.encoder_.transform(lead_frame.head(800))
    rng = np.random.default_rng(3)
    X = X.copy()
    X[rng.random(X.shape) < 0.15] = np.nan                      # missing values
    cat = np.array([f.kind == "cat" for f in scorer.encoder_.features_])
    X[:50][:, cat] = 99.0                                        # codes never seen
    X[50:100][:, cat] = -1.0
    trees = pack_hgb(scorer.model_.model_)
    np.testing.assert_array_equal(raw_predict(trees, X), scorer.model_.decision(X))
    groups = scorer.groups_
    group_of = np.array([groups.index(f.group) for f in scorer.encoder_.features_])
    layout = reference_layout(trees, scorer.reference_row_, group_of, len(groups))
    base, drops = raw_predict_with_drops(trees, X, layout)
    np.testing.assert_array_equal(base, scorer.model_.decision(X))
    scale = scorer.calibrator_.a_
    np.testing.assert_allclose(scale * drops, group_contributions(scorer, X), rtol=0, atol=1e-12)
    # Four leads are walked at once (LANES): batches that end with one, two or three leads, and
    # single leads, give each lead the same floats as the whole batch.
    for n in (797, 798, 799, 1, 2, 3, 5):
        part_base, part_drops = raw_predict_with_drops(trees, X[-n:], layout)
        np.testing.assert_array_equal(part_base, base[-n:])
        np.testing.assert_array_equal(part_drops, drops[-n:])
        np.testing.assert_array_equal(raw_predict(trees, X[-n:]), base[-n:])
    for i in (0, 401, 799):
        one_base, one_drops = raw_predict_with_drops(trees, X[i:i + 1], layout)
        assert one_base[0] == base[i] and np.array_equal(one_drops[0], drops[i])


@pytest.mark.parametrize("family", FAMILIES)
def test_served_model_equals_scorer(scorers, lead_frame, family):
    scorer = scorers[family]
    model = LeadScorerModel(scorer, ModelMeta("lead-scoring", "1"))
    assert model.info()["fast_path"] == ("numpy" if family == "logistic_regression" else "numba trees")
    frame = lead_frame.sample(300, random_state=1)
    records = as_records(frame)
    expected = scorer.score_records(records)
    proba = scorer.predict_proba(frame)
    for batch in (records[:1], records[:5], records):   # one-row and matrix paths
        got = model.score(batch)
        for g, e, p in zip(got, expected, proba):
            assert g["lead_id"] == e["lead_id"]
            assert abs(g["probability"] - p) <= 1e-12
            assert (g["score"], g["tier"]) == (e["score"], e["tier"])
            assert [r["feature"] for r in g["reasons"]] == [r["feature"] for r in e["reasons"]]
            for gr, er in zip(g["reasons"], e["reasons"]):
                assert (gr["value"], gr["direction"]) == (er["value"], er["direction"])
                assert abs(gr["contribution"] - er["contribution"]) <= 1e-4


def test_two_spellings_of_a_field_the_first_is_used_every_run(scorers):
    # Renaming follows the lead's own key order, not a set's (whose order varies with the hash
    # seed from one server process to the next).
    model = LeadScorerModel(scorers["logistic_regression"], ModelMeta("lead-scoring", "1"))
    spellings = ["Lead Source", "lead-source", "LEAD_SOURCE", "Lead_Source", "lead source", "LeadSource",
                 "lead--source", "LEAD SOURCE"]  # a set's order picked the first 1 time in 8
    lead = {"lead_id": 1, **{name: f"value {i}" for i, name in enumerate(spellings)}}
    matched, extra = model.records.match_fields([lead])
    assert matched[0]["lead_source"] == "value 0"
    assert extra == {0: sorted(f"unknown_field:{name}" for name in spellings[1:])}


def test_unknown_and_missing_are_scored_and_flagged(scorers):
    model = LeadScorerModel(scorers["logistic_regression"], ModelMeta("lead-scoring", "1"))
    [answer] = model.score([{"lead_id": 5, "industry": "Crypto Mining", "lead_source": "Webinar"}])
    assert 0 < answer["probability"] < 1
    assert "unknown_category:industry" in answer["flags"]
    assert "missing:employees" in answer["flags"]
    assert "missing:lead_source" not in answer["flags"]


@pytest.mark.parametrize("family", FAMILIES)
def test_column_path_equals_lead_by_lead_path(scorers, lead_frame, family):
    encoder = RecordEncoder(scorers[family].encoder_)
    records = messy_records(as_records(lead_frame.head(300)), seed=5)
    X_columns, flags_columns, ids_columns = encoder.encode(records)          # >= COLUMNS_MIN leads
    singles = [encoder.encode([r]) for r in records]                        # one lead at a time
    np.testing.assert_array_equal(X_columns, np.vstack([s[0] for s in singles]))
    assert flags_columns == [s[1][0] for s in singles]
    assert ids_columns == [s[2][0] for s in singles]
    with pytest.raises(LeadValidationError) as info:                        # one bad value: named
        encoder.encode(records[:40] + [{**records[0], "employees": "many"}])
    assert info.value.problems == [("leads[40].employees", "expected a number, got 'many'")]


def test_plain_date_column_equals_value_by_value():
    from scoring.service.columns import _plain_dates
    from scoring.service.hotpath import iso_days

    stamps = ["2026-12-04 15:44:14", "2024-02-29", "2026-01-01T10:00:00.1234", "1900-01-01T00:00",
              "2199-12-31 23:59:59.999999", "2026-06-30T23:59:59"]
    np.testing.assert_array_equal(_plain_dates(stamps), [iso_days(s) for s in stamps])
    for odd in ("2026-02-30", "2026-01-01 24:00:00", "2026-01-01T10:00:00Z", "2300-01-01", " 2026-01-01",
                "n/a"):
        assert _plain_dates(stamps + [odd]) is None, odd   # left to the value-by-value path
    assert _plain_dates(stamps + [None]) is None


def test_vectorised_rounding_equals_python_round():
    from scoring.service.served import _round4

    rng = np.random.default_rng(0)
    ties = (np.arange(-2000, 2000) + 0.5) / 1e4                  # k.5 / 10^4: the hard cases
    values = np.concatenate([rng.normal(0, 1, 20_000), rng.normal(0, 1e-3, 5_000), ties,
                             np.nextafter(ties, 1), np.nextafter(ties, -1), [0.0, -0.0, 1e-12]])
    got = _round4(values.reshape(-1, 1)).ravel()
    assert got.tolist() == [round(float(v), 4) for v in values]


@pytest.mark.skipif(not HAVE_NUMBA, reason="numba not installed")
def test_large_batch_names_bad_fields_of_both_halves(scorers, lead_frame):
    model = LeadScorerModel(scorers["gradient_boosting"], ModelMeta("lead-scoring", "1"))
    records = as_records(lead_frame.head(300))
    assert len(model.score(records)) == 300                      # the two-half path
    records[10] = {**records[10], "employees": "many"}
    records[290] = {**records[290], "employees": [1]}
    with pytest.raises(LeadValidationError) as info:
        model.score(records)
    assert info.value.problems == [("leads[10].employees", "expected a number, got 'many'"),
                                   ("leads[290].employees", "expected a number, got an array")]
