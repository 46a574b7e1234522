"""Large batches: answers written as bytes, parts encoded and walked in turn, the same bytes.

The reference is the one-thread path of small batches: the whole batch encoded, decided at once,
answered lead by lead as dicts (``LeadScorerModel._answers``) and dumped by orjson.
"""
from __future__ import annotations


import numpy as np
import orjson
import pytest

from scoring.reasons import format_value
from scoring.service.columns import PLAIN_STAMP, _fixed_width_stamps
from scoring.service.served import (PARALLEL_MIN, PARTS, LeadScorerModel, ValueTexts,
                                    _ColumnsGaveUp)
from scoring.service.trees import HAVE_NUMBA, top_columns

from service_support import FAMILIES, as_records
from test_fast_paths import messy_records


def reference_body(model: LeadScorerModel, leads: list) -> bytes:
    matched, extra = model.records.match_fields(leads)  # reasons read renamed fields' values
    X, flags, ids = model.records.encode_matched(matched, extra)
    z, contributions = model._decide(X)
    return orjson.dumps(model._answers(matched, 0, z, contributions, flags, ids))


def odd_records(records: list[dict]) -> list[dict]:
    """Values whose reason texts differ by type or spelling, renamed and unknown fields."""
    out = []
    for i, rec in enumerate(records):
        rec = dict(rec)
        if i % 5 == 0:
            rec["employees"] = int(rec["employees"]) if isinstance(rec.get("employees"), float) else 7
        if i % 7 == 0:
            rec["employees"] = -0.0 if i % 2 else 0.0        # print "-0" and "0"
        if i % 11 == 0:
            rec["employees"] = "  1,200 "                   # a number as text
        if i % 13 == 0:
            rec["industry"] = "Crypto " * 10                  # unknown and longer than a reason shows
        if i % 17 == 0:
            rec["lead_source"] = None
        if i % 19 == 0 and "lead_source" in rec:
            rec["Lead Source"] = rec.pop("lead_source")       # another spelling: renamed
        if i % 23 == 0:
            rec["favourite_colour"] = "teal"                  # unknown field
        if i % 29 == 0:
            rec["demo_requested"] = True if i % 2 else "No"
        out.append(rec)
    return out


@pytest.mark.parametrize("writer", [True, False], ids=["compiled copy", "joined objects"])
@pytest.mark.parametrize("family", FAMILIES)
def test_answers_as_bytes_equal_answers_lead_by_lead(served, lead_frame, family, writer, monkeypatch):
    # Both ways of putting the pieces together: the compiled copy (scoring.service.writer) and
    # the object array joined by bytes.join, which serves when numba is missing.
    import scoring.service.served as served_module

    if writer and not served_module.HAVE_WRITER:
        pytest.skip("numba not installed: no compiled writer")
    monkeypatch.setattr(served_module, "HAVE_WRITER", writer)
    model = served[family]
    records = as_records(lead_frame.head(400))
    for sent in (messy_records(records, seed=4), odd_records(records), records[:20], records[:1], records[:70]):
        columns: dict = {}
        batch, extra = model.records.match_fields(sent)  # as _scored: renamed fields under their names
        X, flags, ids = model.records.encode_matched(batch, extra, columns=columns)
        z, contributions = model._decide(X)
        expected = orjson.dumps(model._answers(batch, 0, z, contributions, flags, ids))
        for raw in (columns, None):  # the encoder's columns, or read from the leads
            got = model._answer_items(batch, z, contributions, flags, ids, raw)
            assert b"[" + got + b"]" == expected
        # No reason shown (all contributions near zero or not finite), some, or only a later one.
        few = contributions.copy()
        few[::3] = 0.0
        few[1::3, :2] = 1e-12
        few[2::3, 0] = np.inf
        with np.errstate(invalid="ignore"):  # the reference rounds the infinite values too
            expected = orjson.dumps(model._answers(batch, 0, z, few, flags, ids))
        assert b"[" + model._answer_items(batch, z, few, flags, ids, columns) + b"]" == expected
    assert model._answer_items([], z[:0], contributions[:0], [], [], {}) == b""
    # A model of one or no input field: one reason or none per lead.
    for width in (1, 0):
        narrow = contributions[:, :width]
        expected = orjson.dumps(model._answers(batch, 0, z, narrow, flags, ids))
        assert b"[" + model._answer_items(batch, z, narrow, flags, ids, columns) + b"]" == expected


@pytest.mark.parametrize("family", FAMILIES)
def test_a_renamed_field_is_scored_and_shown_as_sent_under_its_name(served, lead_frame, family):
    # "Industry" for industry, "Lead-Source" for lead_source: the same answers, reasons' values
    # included (they once read the leads by the model's names and showed "missing").
    model = served[family]
    records = as_records(lead_frame.head(600))
    renamed = [{("Industry" if k == "industry" else "Lead-Source" if k == "lead_source" else k): v
                for k, v in rec.items()} for rec in records]
    for n in (1, 5, 100, 600):  # lead by lead, as bytes, and in parts on the walker thread
        expected = model.score(records[:n])
        assert model.score(renamed[:n]) == expected
        assert any(r["feature"] in ("industry", "lead_source") and r["value"] != "missing"
                   for answer in expected for r in answer["reasons"]) or n < 5


def test_numbers_as_orjson_writes_them():
    from scoring.service.served import _numbers

    rng = np.random.default_rng(1)
    floats = np.concatenate([rng.random(2000), rng.normal(0, 1e-6, 500), 10.0 ** rng.integers(-30, 30, 500),
                             [0.0, -0.0, 1e-7, 1e21, 1e16, 5e-324, np.nan, np.inf, -np.inf, 0.1, 1 / 3]])
    assert _numbers(floats) == [orjson.dumps(v) for v in floats.tolist()]
    ints = np.array([0, -1, 100, 2**62, -2**62], dtype=np.int64)
    assert _numbers(ints) == [orjson.dumps(v) for v in ints.tolist()]
    assert _numbers(floats[:0]) == []


@pytest.mark.skipif(not HAVE_NUMBA, reason="numba not installed")
def test_parts_walked_in_turn_give_the_one_thread_body(served, lead_frame):
    model = served["gradient_boosting"]
    records = as_records(lead_frame.head(1200))
    odd = odd_records(records)
    float_ids = [{**rec, "lead_id": float(i)} for i, rec in enumerate(records[:600])]
    with pytest.raises(_ColumnsGaveUp):  # 5.0 as an id: the lead-by-lead path
        list(model._encoded_parts(float_ids, {}))
    runs = [(start, stop) for start, stop, *_ in model._encoded_parts(*model.records.match_fields(odd))]
    assert len(runs) == len(PARTS) + 1
    assert [r[0] for r in runs[1:]] == [r[1] for r in runs[:-1]] and runs[-1][1] == len(odd)
    for batch in (records, odd, messy_records(records, seed=6), float_ids, records[:PARALLEL_MIN],
                  odd[:PARALLEL_MIN + 1]):
        assert model.score_json(batch) == reference_body(model, batch)
    # Unknown categories and missing values are flagged in every part.
    answers = model.score(odd)
    assert any("unknown_category:industry" in a["flags"] for a in answers[-300:])
    assert answers[-1]["lead_id"] == odd[-1]["lead_id"]


def test_value_texts_equal_format_value():
    texts = ValueTexts(limit=8)  # a small table: full tables go value by value
    columns = [["SMB", "  Webinar ", "n/a", None, "x" * 60, "SMB"],
               [1, 1.0, True, 0.0, -0.0, 1e300, 10**40, -3, None, 2.5e-7],
               [0.0, -0.0, 0.0, 12.0],
               [True, False, None],
               [5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 5]]
    for _ in range(2):  # second time from the tables
        for column in columns:
            expected = [format_value(v) for v in column]
            assert texts.column(column) == expected
            assert texts.column(tuple(column)) == expected
    assert texts.column([0.0])[0] == "0" and texts.column([-0.0])[0] == "-0"


def test_fixed_width_stamps_agree_with_the_pattern():
    rng = np.random.default_rng(0)
    good = "2026-12-04 15:44:14"
    alphabet = list("0123456789-: T.Zx/é") + ["٣"]  # an Arabic-Indic digit is not [0-9]
    stamps = [good, good.replace(" ", "T"), "1999-01-01T00:00:00", "2199-12-31 23:59:59"]
    for _ in range(3000):
        chars = list(good)
        for _ in range(rng.integers(1, 3)):
            chars[rng.integers(0, 19)] = alphabet[rng.integers(0, len(alphabet))]
        stamps.append("".join(chars))
    for stamp in stamps:
        expected = PLAIN_STAMP.fullmatch(stamp) is not None
        assert _fixed_width_stamps([good, stamp]) == expected, stamp
    assert _fixed_width_stamps([good] * 20)
    assert not _fixed_width_stamps([good, "2026-12-04"])          # other widths: the pattern
    assert not _fixed_width_stamps([good, "2026-12-04 15:44:1"])


@pytest.mark.skipif(not HAVE_NUMBA, reason="numba not installed")
def test_top_columns_equal_a_stable_sort():
    rng = np.random.default_rng(1)
    for _ in range(300):
        n, m = rng.integers(1, 40), rng.integers(1, 20)
        values = rng.normal(size=(n, m)).round(rng.integers(0, 3))  # rounded: equal sizes (ties)
        draw = rng.random((n, m))
        values[draw < 0.05] = np.nan
        values[(draw > 0.05) & (draw < 0.1)] = np.inf * np.sign(rng.normal())
        values[(draw > 0.1) & (draw < 0.15)] = -0.0
        k = int(rng.integers(1, m + 1))
        expected = np.argsort(-np.abs(values), axis=1, kind="stable")[:, :k]
        top, chosen = top_columns(values, k)
        np.testing.assert_array_equal(top, expected)
        np.testing.assert_array_equal(chosen, values[np.arange(n)[:, None], expected])


def test_serving_raises_the_collectors_first_threshold_and_restores_it(fake_server):
    import gc

    from scoring.service.app import YOUNG_OBJECTS

    before = gc.get_threshold()
    server = fake_server()  # the app's lifespan runs in this process
    assert gc.get_threshold() == (YOUNG_OBJECTS, *before[1:])
    server.stop()
    assert gc.get_threshold() == before
