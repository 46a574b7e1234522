"""Dates of a batch: parsed together with the results each gets alone, and one weekday rule
(floor modulo) for a lead created before 1970 on every path."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from scoring.service.app import create_app
from scoring.service.dates import date_table, parse_each
from scoring.service.holder import ModelHolder
from scoring.service.hotpath import LeadValidationError
from scoring.service.served import LeadScorerModel, ModelMeta
from scoring.service.server import ServerThread
from scoring.service.settings import ServiceSettings
from scoring.values import parse_dates
from service_support import as_records

TOKENS = [
    "2025-03-04T10:20:30+02:00", "2025-03-04 10:20:30",          # naive after an offset
    "2025-03-04T10:20:30.1234567", "2025-03-04T10:20:30.1234567-05:00", "2025-03-04T10:20:30.123456789",
    "03/04/2025 10:00", "03/04/2025 10:00 +02:00", "March 4, 2025", "2025-02-30", "soon", "20250304",
    "1969-07-20T20:17:40Z", "1969-07-20 20:17:40.1234567", "2025-03-04T10:20:30 +0200", "2025-03-04",
]


@pytest.mark.parametrize("date_format", ["ISO8601", "mixed"])
def test_parse_each_equals_one_call_per_value(date_format):
    alone = np.array([parse_dates([t], date_format)[0] for t in TOKENS])
    together = parse_dates(TOKENS, date_format)
    if date_format == "ISO8601":
        # Why parse_each exists: pandas carries an offset into the naive stamp after it.
        assert not np.array_equal(together, alone, equal_nan=True)
    np.testing.assert_array_equal(parse_each(TOKENS, date_format), alone)
    np.testing.assert_array_equal(parse_each(TOKENS[::-1], date_format), alone[::-1])


@pytest.mark.parametrize("date_format", ["ISO8601", "mixed"])
def test_date_table_equals_the_one_lead_reading(scorers, date_format):
    records = LeadScorerModel(scorers["logistic_regression"], ModelMeta("m", "1")).records
    values = TOKENS + ["n/a", " ", "x" * 2000, 17, None]
    table = date_table(values, date_format, records.max_chars)
    assert set(table) == set(TOKENS) | {"n/a", " "}  # not text, or too long: for the caller to report
    for value in values:
        alone = records._date(value, date_format)
        with_table = records._date(value, date_format, table)
        assert type(alone) is type(with_table) and (alone == with_table or (
            isinstance(alone, float) and math.isnan(alone) and math.isnan(with_table))), value


def test_a_batch_reads_dates_as_each_lead_alone(scorers, lead_frame):
    model = LeadScorerModel(scorers["gradient_boosting"], ModelMeta("m", "1"))
    leads = as_records(lead_frame.head(40))
    stamps = ["2025-03-04T10:20:30+02:00", "2025-03-04 10:20:30", "2025-03-04T10:20:30.1234567",
              "2025-03-04T10:20:30.1234567-05:00", "1969-07-20T20:17:40Z", "2024-06-01"]
    for i, lead in enumerate(leads):
        lead["last_visit_at"] = stamps[i % len(stamps)]
    batch = model.score(leads)
    assert batch == [model.score([lead])[0] for lead in leads]
    leads[3]["created_at"] = "03/04/2025 10:00"       # not ISO 8601: this model reads ISO only
    leads[7]["last_visit_at"] = "soon"
    with pytest.raises(LeadValidationError) as caught:
        model.score(leads)
    assert caught.value.problems == [("leads[3].created_at", "expected a date, got '03/04/2025 10:00'"),
                                     ("leads[7].last_visit_at", "expected a date, got 'soon'")]


@pytest.mark.slow
def test_a_lead_created_before_1970_scores_alike_on_every_path(scorers, lead_frame, tmp_path):
    scorer = scorers["logistic_regression"]  # its weekday columns move the probability
    frame = lead_frame.head(200).reset_index(drop=True).copy()
    frame.loc[0, "created_at"] = "1969-06-14 10:00:00"     # a Saturday, day -201
    frame.loc[0, "last_visit_at"] = "1969-06-20 10:00:00"  # a Friday
    model = LeadScorerModel(scorer, ModelMeta("lead-scoring", "1"))
    X, _, _ = model.records.encode(as_records(frame.head(1)))
    names = [f.name for f in scorer.encoder_.features_]
    assert [X[0, names.index(f"{c}__weekday")] for c in ("created_at", "last_visit_at")] == [5.0, 4.0]
    # "The file path": the leads written to a file and scored by score_frame, as a batch and
    # alone (a small file takes the encoder's one-cell-at-a-time path).
    frame.to_csv(tmp_path / "leads.csv", index=False)
    read = pd.read_csv(tmp_path / "leads.csv", dtype=object, keep_default_na=False)
    from_file = scorer.score_frame(read)["probability"].tolist()
    from_small_file = scorer.score_frame(read.head(1))["probability"].tolist()
    with ServerThread(create_app(ServiceSettings(), holder=ModelHolder(model))) as server:
        import httpx

        one = httpx.post(f"{server.url}/v1/score", json={"leads": as_records(frame.head(1))}).json()
        batch = httpx.post(f"{server.url}/v1/score", json={"leads": as_records(frame)}, timeout=30).json()
    p_one = one["scores"][0]["probability"]
    p_batch = batch["scores"][0]["probability"]
    assert p_one == p_batch
    assert abs(p_one - from_file[0]) <= 1e-9 and abs(p_one - from_small_file[0]) <= 1e-9
    others = [s["probability"] for s in batch["scores"][1:]]
    assert max(abs(a - b) for a, b in zip(others, from_file[1:])) <= 1e-9
