"""The numpy encoder: frames and dicts give the same rows; unseen values are handled."""
from __future__ import annotations

import pickle

import numpy as np
import pandas as pd

from scoring.encoder import LeadEncoder
from scoring.schema import infer_schema
from scoring.synthetic import make_leads


def _fitted(n: int = 3000):
    frame, _ = make_leads(n, seed=5)
    specs = infer_schema(frame, target="is_sql", id_col="lead_id", time_col="created_at")
    return frame, LeadEncoder(specs, time_col="created_at").fit(frame)


def test_records_and_frame_encode_identically():
    frame, encoder = _fitted()
    X, invalid = encoder.transform(frame.head(200))
    records = frame.head(200).to_dict(orient="records")
    one_by_one = np.vstack([encoder.encode_records([r]) for r in records])  # cell-by-cell path
    batch = encoder.encode_records(records)                                 # vectorised path
    for R in (one_by_one, batch):
        np.testing.assert_array_equal(np.isnan(X), np.isnan(R))
        np.testing.assert_array_equal(np.nan_to_num(X), np.nan_to_num(R))
    assert invalid == {}
    names = [f.name for f in encoder.features_]
    assert "last_visit_at__age_days" in names and "created_at__weekday" in names
    assert "created_at__age_days" not in names  # the time column is the reference, not a trend
    assert "country__frequency" in names        # 80 countries: top levels + frequency


def test_unseen_missing_and_invalid_values():
    frame, encoder = _fitted()
    names = [f.name for f in encoder.features_]
    industry = next(f for f in encoder.features_ if f.name == "industry")
    row = frame.iloc[0].to_dict()
    row.update(industry="Space Mining", employees="N/A", email_opened="maybe", lead_source="")
    X = encoder.encode_records([row])[0]
    assert X[names.index("industry")] == industry.n_levels - 1       # "other"
    assert np.isnan(X[names.index("employees")]) and np.isnan(X[names.index("lead_source")])
    invalid = encoder.invalid_records([row])
    assert list(invalid) == ["email_opened"]


def test_encoder_survives_pickle():
    frame, encoder = _fitted()
    again = pickle.loads(pickle.dumps(encoder))
    np.testing.assert_array_equal(
        np.nan_to_num(again.transform(frame.head(50))[0]), np.nan_to_num(encoder.transform(frame.head(50))[0]))


def test_datetime_column_and_timezones():
    frame = pd.DataFrame({"when": ["2025-03-03T10:30:00Z", "2025-03-04T23:00:00+02:00", "N/A"] * 30})
    specs = infer_schema(frame, target=None, id_col=None)
    encoder = LeadEncoder(specs).fit(frame)
    X, invalid = encoder.transform(frame)
    np.testing.assert_array_equal(encoder.encode_records(frame.head(3).to_dict(orient="records")), X[:3])
    # age_days, weekday (Mon=0), hour: Monday 10:30 UTC; Tuesday 23:00+02 = Tuesday 21:00 UTC.
    assert X[0, 1] == 0 and X[0, 2] == 10 and X[1, 1] == 1 and X[1, 2] == 21
    assert np.isnan(X[2]).all() and invalid == {}


def test_linear_design_dot_equals_matrix_product():
    from scoring.candidates import LinearDesign

    frame, encoder = _fitted()
    X, _ = encoder.transform(frame)
    X[::7, 2] = np.nan  # gaps where training may have had none
    design = LinearDesign().fit(X[:2000], encoder.features_)
    coef = np.random.default_rng(0).normal(size=design.n_columns_)
    np.testing.assert_allclose(design.dot(X, coef), design.transform(X) @ coef, rtol=1e-10, atol=1e-10)


def test_dates_before_1970_encode_and_score_alike_in_any_batch_size():
    """One weekday rule (floor modulo) for the one-lead path and the batch path: days before
    1970 are negative, and a truncating modulo gave another weekday code for a 1-row frame."""
    from scoring.model import LeadScorer

    frame, _ = make_leads(2000, seed=5)
    scorer = LeadScorer(time_col="created_at", candidates=("logistic_regression",), random_state=0,
                        n_threads=1).fit(frame)
    old = frame.head(200).copy()
    created = pd.to_datetime(old["created_at"]) - pd.DateOffset(years=60)  # 1960s, every weekday
    old["created_at"] = created.dt.strftime("%Y-%m-%d %H:%M:%S")
    visits = pd.to_datetime(old["last_visit_at"].replace("", None)) - pd.DateOffset(years=60)
    old["last_visit_at"] = visits.dt.strftime("%Y-%m-%d %H:%M:%S").fillna("")
    assert created.max() < pd.Timestamp("1970-01-01") and created.dt.dayofweek.nunique() == 7

    names = [f.name for f in scorer.encoder_.features_]
    batch, _ = scorer.encoder_.transform(old)
    single = np.vstack([scorer.encoder_.transform(old.iloc[[i]])[0] for i in range(len(old))])
    np.testing.assert_array_equal(np.isnan(batch), np.isnan(single))
    np.testing.assert_array_equal(np.nan_to_num(batch), np.nan_to_num(single))
    np.testing.assert_array_equal(batch[:, names.index("created_at__weekday")], created.dt.dayofweek.to_numpy())

    p_batch = scorer.predict_proba(old)
    p_single = np.array([scorer.predict_proba(old.iloc[[i]])[0] for i in range(len(old))])
    # Same features; only the summation order of a 1-row vs a 200-row product may differ (1e-16).
    np.testing.assert_allclose(p_batch, p_single, rtol=1e-12, atol=0)
    records = [r["probability"] for r in scorer.score_records(old.head(20).to_dict(orient="records"))]
    np.testing.assert_allclose(records, p_batch[:20], rtol=1e-12, atol=0)


def test_on_the_hour_times_encode_their_own_hour():
    """Float days since 1970 put 04:00 at 3.9999999999 hours; the hour must still be 4."""
    import numpy as np
    import pandas as pd

    from scoring.encoder import LeadEncoder
    from scoring.schema import infer_schema

    stamps = pd.date_range("1965-01-01", periods=24 * 400, freq="h")
    frame = pd.DataFrame({"lead_id": [f"L{i}" for i in range(len(stamps))],
                          "created_at": stamps.strftime("%Y-%m-%d %H:%M:%S"),
                          "is_sql": np.arange(len(stamps)) % 2})
    specs = infer_schema(frame, target="is_sql", id_col="lead_id", time_col=None, exclude=())
    encoder = LeadEncoder(specs, None).fit(frame)
    X, _ = encoder.transform(frame)
    names = [f.name for f in encoder.features_]
    hours = X[:, names.index("created_at__hour")]
    assert (hours == stamps.hour.to_numpy()).all()
