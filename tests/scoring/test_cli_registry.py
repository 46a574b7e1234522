"""`revops score ...` end to end against a throw-away MLflow store (see tests/conftest.py)."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from revops.cli import main
from scoring.synthetic import make_leads

pytestmark = pytest.mark.mlflow


@pytest.fixture(scope="module")
def leads_csv(tmp_path_factory):
    frame, _ = make_leads(6000, seed=21)
    path = tmp_path_factory.mktemp("leads") / "leads.csv"
    frame.to_csv(path, index=False)
    return path


def _registry():
    from mlflow.tracking import MlflowClient

    from scoring import registry

    return MlflowClient(), registry


def test_train_predict_promote_rollback(leads_csv, tmp_path, capsys):
    out = tmp_path / "run1"
    assert main(["score", "train", "--leads", str(leads_csv), "--time", "created_at", "--out", str(out),
                 "--threads", "1", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["registry"]["version"] == "1" and summary["registry"]["promoted"]
    for name in ("metrics.json", "roc.png", "calibration.png", "lift.png", "feature_importance.png",
                 "feature_report.csv", "deciles.csv", "lead_scores_holdout.csv"):
        assert (out / name).is_file(), name
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["metrics"]["holdout"] == "time-ordered" and len(metrics["deciles"]) == 10
    client, registry = _registry()
    assert registry.alias_version("champion") == "1" == registry.alias_version("challenger")
    run = client.get_run(summary["registry"]["run_id"])
    assert run.data.metrics["holdout_roc_auc"] == pytest.approx(metrics["metrics"]["roc_auc"])

    # A weaker model (its strongest columns excluded) stays challenger.
    assert main(["score", "train", "--leads", str(leads_csv), "--time", "created_at", "--quiet", "--threads", "1",
                 "--exclude", "demo_requested,lead_source,employees", "--out", str(tmp_path / "run2")]) == 0
    assert registry.alias_version("challenger") == "2" and registry.alias_version("champion") == "1"
    tags = client.get_model_version("lead-scoring", "2").tags
    assert "vs champion v1" in tags["champion_decision"]

    scores = tmp_path / "scores.csv"
    frame = pd.read_csv(leads_csv).head(500)
    frame["pages_viewed"] = frame["pages_viewed"].astype(object)
    frame.loc[3, "pages_viewed"] = "many"
    new = tmp_path / "new.csv"
    frame.to_csv(new, index=False)
    capsys.readouterr()
    assert main(["score", "predict", "--leads", str(new), "--out", str(scores), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result == {**result, "leads": 500, "scored": 499, "not_scored": 1, "version": "1"}
    table = pd.read_csv(scores, keep_default_na=False)
    assert list(table["lead_id"]) == list(frame["lead_id"])
    assert table.loc[3, "problem"] == "pages_viewed='many' is not a number"
    assert not table.loc[3, "scored"] and table.loc[3, "probability"] == ""
    assert table.drop(index=3)["scored"].all()

    assert main(["score", "promote", "2"]) == 0
    assert registry.alias_version("champion") == "2"
    assert main(["score", "rollback"]) == 0
    assert registry.alias_version("champion") == "1"
    assert client.get_model_version("lead-scoring", "2").tags["rolled_back"] == "true"
    capsys.readouterr()
    assert main(["score", "rollback"]) == 2
    assert "nothing to roll back to" in capsys.readouterr().err
    assert main(["score", "promote", "9"]) == 2
    assert "has no version '9'. Known versions: 1, 2" in capsys.readouterr().err


def test_bad_input_registers_nothing(leads_csv, tmp_path, capsys):
    frame = pd.read_csv(leads_csv, dtype={"is_sql": str}, keep_default_na=False)
    frame["is_sql"] = np.where(np.arange(len(frame)) % 5 == 0, "maybe", frame["is_sql"])
    bad = tmp_path / "bad.csv"
    frame.to_csv(bad, index=False)
    assert main(["score", "train", "--leads", str(bad), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "\nerror: leads: label column 'is_sql' must have exactly two values" in err
    assert "'maybe' (1200 rows)" in err
    assert not (tmp_path / "out").exists()
    from revops.mlflow_setup import configure

    configure()  # this test's store: the failed command stopped before touching MLflow
    _, registry = _registry()
    assert registry.alias_version("challenger") is None and registry._versions(registry._client()) == []


def test_predict_with_missing_columns_and_without_champion(leads_csv, tmp_path, capsys):
    # No store yet: predict refuses rather than create an empty one.
    assert main(["score", "predict", "--leads", str(leads_csv), "--out", str(tmp_path / "s.csv")]) == 2
    err = capsys.readouterr().err
    assert "(from MLFLOW_TRACKING_URI) does not exist: no model was registered there." in err
    from revops.mlflow_setup import configure

    configure()  # an empty store: no champion
    assert main(["score", "predict", "--leads", str(leads_csv), "--out", str(tmp_path / "s.csv")]) == 2
    assert "cannot load models:/lead-scoring@champion" in capsys.readouterr().err
    assert main(["score", "train", "--leads", str(leads_csv), "--quiet", "--threads", "1", "--out", str(tmp_path / "o")]) == 0
    lacking = tmp_path / "lacking.csv"
    pd.read_csv(leads_csv).drop(columns=["industry"]).to_csv(lacking, index=False)
    assert main(["score", "predict", "--leads", str(lacking), "--out", str(tmp_path / "s.csv")]) == 2
    assert "the model needs columns that the file lacks: industry." in capsys.readouterr().err
    assert not (tmp_path / "s.csv").exists()
