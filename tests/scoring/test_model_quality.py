"""The scorer on the sample CRM, which knows each lead's true probability."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from scoring.errors import ScoringInputError
from scoring.metrics import expected_calibration_error
from scoring.model import LeadScorer


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    from revops.io import read_table
    from revops.sample_data import generate

    paths = generate(tmp_path_factory.mktemp("leads"), seed=11, n_leads=50_000, n_accounts=300, n_reps=12)
    leads = read_table(paths["leads"])
    truth = read_table(paths["leads_truth"]).set_index("lead_id")["true_probability"]
    return leads, truth


@pytest.fixture(scope="module")
def fitted(sample):
    leads, _ = sample
    return LeadScorer(time_col="created_at", random_state=0, n_threads=1).fit(leads)


def _oracle_auc(scorer, leads, truth):
    hold = leads[leads["lead_id"].isin(scorer.holdout_ids_)]
    y = hold["is_sql"].astype(float).to_numpy()
    return roc_auc_score(y, truth.loc[hold["lead_id"]].to_numpy()), y


@pytest.mark.parametrize("time_col", ["created_at", None])
def test_close_to_the_oracle_and_calibrated(sample, fitted, time_col):
    leads, truth = sample
    scorer = fitted if time_col else LeadScorer(random_state=0, n_threads=1).fit(leads)
    oracle, y = _oracle_auc(scorer, leads, truth)
    m = scorer.metrics_
    assert m["roc_auc"] >= oracle - 0.01, (m["roc_auc"], oracle)
    assert m["ece"] <= 0.02
    assert len(y) == m["n_holdout"] and m["holdout"] == ("time-ordered" if time_col else "stratified")
    # The metrics are those of the probabilities the scorer gives for the same leads.
    hold = leads[leads["lead_id"].isin(scorer.holdout_ids_)]
    p = scorer.predict_proba(hold)
    assert roc_auc_score(y, p) == pytest.approx(m["roc_auc"], abs=1e-9)
    assert expected_calibration_error(y, p) == pytest.approx(m["ece"], abs=1e-9)


def test_time_ordered_holdout_is_the_newest_closed_leads(sample, fitted):
    leads, _ = sample
    closed = leads[leads["is_sql"].notna()]
    hold = closed["lead_id"].isin(fitted.holdout_ids_)
    assert closed.loc[hold, "created_at"].min() >= closed.loc[~hold, "created_at"].max()
    assert hold.sum() == round(0.2 * len(closed))


def test_metrics_deciles_and_report(fitted):
    m = fitted.metrics_
    for key in ("roc_auc", "pr_auc", "log_loss", "brier", "ece", "top_decile_lift"):
        assert np.isfinite(m[key])
    assert set(fitted.candidates_) == {"logistic_regression", "gradient_boosting"}
    best = min(fitted.candidates_, key=lambda k: fitted.candidates_[k]["log_loss"])
    assert m["model"] == best
    d = fitted.deciles_
    assert list(d["decile"]) == list(range(1, 11)) and d["leads"].sum() == m["n_holdout"]
    assert d["conversion"].iloc[0] > 2 * d["conversion"].iloc[-1]
    report = fitted.feature_report_.set_index("column")
    assert report.loc["form_comment", "kind"] == "text" and not report.loc["form_comment", "used"]
    assert report.loc["account_id", "kind"] == "identifier"
    assert report.loc["demo_requested", "kind"] == "boolean"
    assert report.loc["seniority", "n_missing"] > 0  # "N/A", "-", "unknown" and "" are missing
    assert fitted.warnings_ == []


def test_score_frame_keeps_every_row_and_flags_bad_ones(sample, fitted):
    leads, _ = sample
    batch = leads.head(300).copy()
    batch["employees"] = batch["employees"].astype(object)
    batch.loc[5, "employees"] = "lots"
    batch.loc[6, "industry"] = "Asteroid Mining"   # unseen category: scored as "other"
    batch = batch.drop(columns=["is_sql"]).assign(extra="ignored")
    out = fitted.score_frame(batch)
    assert len(out) == 300 and list(out["lead_id"]) == list(batch["lead_id"])
    assert list(out.columns) == ["lead_id", "probability", "score", "tier", "reason_1", "reason_2",
                                 "reason_3", "scored", "problem"]
    assert not out.loc[5, "scored"] and out.loc[5, "problem"] == "employees='lots' is not a number"
    assert np.isnan(out.loc[5, "probability"]) and out.loc[5, "tier"] == ""
    ok = out.drop(index=5)
    assert ok["scored"].all() and ok["probability"].between(0, 1).all()
    assert (ok["score"] == np.rint(100 * ok["probability"])).all()
    assert set(ok["tier"]) <= set("ABCD")
    assert ok["reason_1"].str.match(r"^[a-z_]+=.+ \([+-]\)$").all()
    records = fitted.score_records(batch.head(10).to_dict(orient="records"))
    np.testing.assert_allclose([r["probability"] for r in records if r["probability"] is not None],
                               out["probability"].head(10).dropna().to_numpy(), rtol=1e-12)
    assert records[5]["problem"] == "employees='lots' cannot be read"


def test_missing_columns_at_predict_time_are_named(sample, fitted):
    leads, _ = sample
    with pytest.raises(ScoringInputError, match=r"lacks: industry, web_visits\."):
        fitted.predict_proba(leads.head(10).drop(columns=["industry", "web_visits"]))


def test_leakage_warning_and_exclude(sample):
    leads, _ = sample
    leads = leads.head(12_000).copy()
    rng = np.random.default_rng(0)
    # read_table hands decimals and gappy columns over as the file's text: the label too
    y = pd.to_numeric(leads["is_sql"]).to_numpy(dtype=float)
    disposition = np.where(y == 1, "Qualified", "Disqualified").astype(object)
    flip = rng.random(len(y)) < 0.01
    disposition[flip] = np.where(y[flip] == 1, "Disqualified", "Qualified")
    disposition[np.isnan(y)] = ""
    leads["rep_disposition"] = disposition
    scorer = LeadScorer(random_state=0, n_threads=1).fit(leads)
    assert len(scorer.warnings_) == 1
    assert scorer.warnings_[0].startswith("column 'rep_disposition' alone predicts 'is_sql' with AUC 0.9")
    assert scorer.warnings_[0].endswith("If so, retrain with 'rep_disposition' in exclude.")
    assert scorer.feature_report_.set_index("column").loc["rep_disposition", "used"]
    clean = LeadScorer(random_state=0, n_threads=1, exclude=["rep_disposition"]).fit(leads)
    assert clean.warnings_ == []
    assert "rep_disposition" not in clean.encoder_.input_columns_


def test_same_seed_same_model(sample):
    leads, _ = sample
    small = leads.head(5000)
    a = LeadScorer(random_state=3, n_threads=1).fit(small).predict_proba(small)
    b = LeadScorer(random_state=3, n_threads=1).fit(small).predict_proba(small)
    np.testing.assert_array_equal(a, b)


def test_open_leads_are_scored_not_trained_on(sample, fitted):
    leads, _ = sample
    open_leads = leads[leads["is_sql"].isna()]
    assert fitted.metrics_["n_open"] == len(open_leads) > 0
    assert not open_leads["lead_id"].isin(fitted.holdout_ids_).any()
    assert np.isfinite(fitted.predict_proba(open_leads)).all()
    closed = int(leads["is_sql"].notna().sum())
    m = fitted.metrics_
    assert m["calibration_rows"] == "3-fold cross-fitting"  # 50k leads is a small export
    assert m["n_train"] + m["n_holdout"] == closed == m["n_calibration"] + m["n_holdout"]


def test_large_exports_calibrate_on_a_split(sample, monkeypatch):
    import scoring.model

    monkeypatch.setattr(scoring.model, "SMALL_DATA", 0)  # take the large-table path on small data
    leads, _ = sample
    small = leads.head(6000)
    scorer = LeadScorer(time_col="created_at", random_state=0, n_threads=1).fit(small)
    m = scorer.metrics_
    assert m["calibration_rows"] == "calibration split"
    assert m["n_train"] + m["n_calibration"] + m["n_holdout"] == int(small["is_sql"].notna().sum())
    assert 0.6 < m["roc_auc"] and m["ece"] < 0.05
