"""The promotion rules of ``scoring.registry``: a new version becomes champion on its own only
without a leak warning, and with no champion, or reading no column the champion does not (nor as
another kind) and beating it on the same holdout leads."""
from __future__ import annotations

import mlflow
import numpy as np
import pandas as pd
import pytest

from revops.mlflow_setup import configure, ensure_experiment
from scoring import LeadScorer, registry
from scoring.synthetic import make_leads

pytestmark = pytest.mark.mlflow


def _fit(frame: pd.DataFrame, **params) -> LeadScorer:
    return LeadScorer(time_col="created_at", candidates=("logistic_regression",), n_threads=1,
                      random_state=0, **params).fit(frame)


@pytest.fixture(scope="module")
def leads() -> pd.DataFrame:
    return make_leads(2000, seed=8)[0]


def _register(scorer: LeadScorer, frame: pd.DataFrame, **kw) -> dict:
    configure()
    mlflow.set_experiment(experiment_id=ensure_experiment("lead-scoring"))
    with mlflow.start_run():
        return registry.register(scorer, scorer.holdout(frame), **kw)


def test_a_likely_leak_is_never_promoted_on_its_own(leads):
    rng = np.random.default_rng(0)
    leaky = leads.assign(rep_disposition=np.where(leads["is_sql"] == "1", "Qualified", "Disqualified"))
    leaky.loc[leads["is_sql"] == "", "rep_disposition"] = ""
    flip = rng.random(len(leaky)) < 0.01
    leaky.loc[flip, "rep_disposition"] = "Qualified"
    scorer = _fit(leaky)
    assert [leak["column"] for leak in scorer.leaks_] == ["rep_disposition"]
    decision = _register(scorer, leaky)
    assert decision["status"] == "challenger" and decision["blocked_by"] == ["likely leak"]
    assert decision["reason"].startswith("likely leak: rep_disposition AUC 0.9")
    assert decision["reason"].endswith("; no champion yet")
    assert registry.alias_version("champion") is None and registry.alias_version("challenger") == "1"
    # Excluded by name, the same export trains a model that may become champion.
    clean = _fit(leaky, exclude=["rep_disposition"])
    assert clean.leaks_ == [] and _register(clean, leaky)["status"] == "champion"


def test_better_on_the_same_holdout_with_the_champions_columns_is_promoted(leads):
    shuffled = leads.assign(is_sql=np.random.default_rng(1).permutation(leads["is_sql"].to_numpy()))
    assert _register(_fit(shuffled), shuffled)["status"] == "champion"  # the first: no champion yet
    fewer = _fit(leads, exclude=["country"])  # reads a subset of the champion's columns
    decision = registry.decide(fewer, fewer.holdout(leads))
    assert decision["schema"] == {"added": [], "removed": ["country"], "changed": []}
    assert decision["promoted"] and decision["blocked_by"] == []
    assert decision["reason"].startswith("holdout log loss ") and "vs champion v1" in decision["reason"]
    assert decision["champion_log_loss"] > decision["challenger_log_loss"]
    assert decision["reason"].endswith(f"on the same {len(fewer.holdout_ids_)} leads")
    assert registry.alias_version("champion") == "1"  # decide writes nothing


def test_a_column_read_as_another_kind_or_another_label_is_not_promoted(leads):
    assert _register(_fit(leads), leads)["version"] == "1"
    words = leads.assign(pages_viewed=np.where(leads["pages_viewed"] > 4, "many", "few"))
    decision = registry.decide(_fit(words), _fit(words).holdout(words))
    assert decision["blocked_by"] == ["schema differs"] and not decision["promoted"]
    assert decision["reason"] == ("schema differs: +0 / -0 columns, 1 read as another kind "
                                  "(kind: pages_viewed: numeric -> categorical)")
    renamed = leads.rename(columns={"is_sql": "converted"})
    other = _fit(renamed, target="converted")
    decision = registry.decide(other, other.holdout(renamed))
    assert decision["blocked_by"] == ["cannot compare"]
    assert decision["reason"].startswith("cannot compare with champion v1 on this holdout (leads: the label "
                                         "column 'is_sql' this model was trained on is missing")
    # Another model name has its own champion.
    assert registry.decide(other, other.holdout(renamed), model_name="converted")["reason"] == "no champion yet"
    with pytest.raises(ValueError, match="model_name 'a b': a registered model name is"):
        registry.decide(other, other.holdout(renamed), model_name="a b")


def test_a_model_pickled_before_reads_as_before(leads):
    """A champion saved by an earlier version lacks target_, id_col_, ... : they are filled in."""
    scorer = _fit(leads)
    state = {k: v for k, v in scorer.__dict__.items()
             if k not in ("negative", "target_", "id_col_", "time_col_", "exclude_", "leaks_", "label_counts_")}
    old = LeadScorer.__new__(LeadScorer)
    old.__setstate__(state)
    assert (old.target_, old.id_col_, old.negative, old.leaks_) == ("is_sql", "lead_id", None, [])
    assert old.feature_schema() == scorer.feature_schema()
    pd.testing.assert_frame_equal(old.score_frame(leads.head(20)), scorer.score_frame(leads.head(20)))
