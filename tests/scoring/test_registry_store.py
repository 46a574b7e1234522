"""The local SQLite store survives two first trainings at once and a database deleted or
replaced under a running process; ``register`` logs into a given run or takes a logged model."""
from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import joblib
import mlflow
import pytest
from mlflow.tracking import MlflowClient

from revops.mlflow_setup import StoreStatus, configure, ensure_experiment, ensure_store, open_store
from scoring import LeadScorer, ScoringConfig
from scoring import registry
from scoring.synthetic import make_leads

pytestmark = pytest.mark.mlflow

REPO = Path(__file__).resolve().parents[2]

CHILD = """
import json, pathlib, sys, time
store, model_path, holdout_path, me = sys.argv[1:5]
import joblib, mlflow, pandas as pd
from revops.mlflow_setup import ensure_experiment, open_store
from scoring import registry
scorer, holdout = joblib.load(model_path), pd.read_pickle(holdout_path)
pathlib.Path(store, f"ready-{me}").touch()
while not pathlib.Path(store, "go").exists():  # both open the fresh store at the same moment
    time.sleep(0.002)
status = open_store()
mlflow.set_experiment(experiment_id=ensure_experiment("lead-scoring"))
with mlflow.start_run():
    decision = registry.register(scorer, holdout)
print(json.dumps({"created": status.created, "version": decision["version"]}))
"""


@pytest.fixture(scope="module")
def trained():
    leads, _ = make_leads(800, seed=4)
    config = ScoringConfig(candidates=("logistic_regression",), threads=1)
    scorer = LeadScorer.from_config(config, random_state=0).fit(leads)
    return scorer, leads[leads["lead_id"].isin(scorer.holdout_ids_)]


def _db() -> Path:
    return Path(mlflow.get_tracking_uri().removeprefix("sqlite:///"))


def _register(scorer, holdout) -> dict:
    mlflow.set_experiment(experiment_id=ensure_experiment("lead-scoring"))
    with mlflow.start_run():
        return registry.register(scorer, holdout)


def test_two_first_trainings_at_once_on_a_fresh_store(trained, tmp_path):
    scorer, holdout = trained
    store = tmp_path / "store"
    store.mkdir()
    joblib.dump(scorer, tmp_path / "scorer.joblib")
    holdout.to_pickle(tmp_path / "holdout.pkl")
    env = {k: v for k, v in os.environ.items() if k != "MLFLOW_EXPERIMENT_ID"}
    env.update(MLFLOW_TRACKING_URI=f"sqlite:///{store / 'mlflow.db'}",
               MLFLOW_ARTIFACT_ROOT=str(store / "artifacts"), PYTHONPATH=str(REPO))
    children = [subprocess.Popen([sys.executable, "-c", CHILD, str(store), str(tmp_path / "scorer.joblib"),
                                  str(tmp_path / "holdout.pkl"), str(k)], cwd=REPO, env=env,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                for k in range(2)]
    deadline = time.monotonic() + 300
    while not all((store / f"ready-{k}").exists() for k in range(2)):
        assert all(c.poll() is None for c in children), [c.communicate() for c in children]
        assert time.monotonic() < deadline
        time.sleep(0.01)
    (store / "go").touch()
    results = []
    for child in children:
        out, err = child.communicate(timeout=300)
        assert child.returncode == 0, err[-3000:]
        results.append(json.loads(out.strip().splitlines()[-1]))
    assert sorted(r["created"] for r in results) == [False, True]  # one created it, one waited
    assert sorted(r["version"] for r in results) == ["1", "2"]


def test_store_deleted_between_two_trainings_in_one_process(trained):
    scorer, holdout = trained
    first = open_store()
    assert first == StoreStatus(mlflow.get_tracking_uri(), created=True, reopened=False)
    assert _register(scorer, holdout)["version"] == "1"
    assert open_store() == StoreStatus(first.uri, created=False, reopened=False)

    _db().unlink()
    assert configure() == first.uri
    decision = _register(scorer, holdout)
    assert decision["version"] == "1" and decision["reason"] == "no champion yet"  # a new, empty store
    assert registry.alias_version("champion") == "1"


def test_service_reopens_a_store_replaced_under_it(trained, tmp_path):
    scorer, holdout = trained
    uri = configure()
    _register(scorer, holdout)
    assert ensure_store() == StoreStatus(uri, created=False, reopened=False)  # unchanged: nothing to do

    # Replaced (a restored backup: another inode, same content): the old engine would still read
    # and write the unlinked file.
    shutil.copy(_db(), tmp_path / "backup.db")
    os.replace(tmp_path / "backup.db", _db())
    assert ensure_store() == StoreStatus(uri, created=False, reopened=True)
    assert _register(scorer, holdout)["version"] == "2"
    with sqlite3.connect(_db()) as db:  # what another process reads in the file now
        assert db.execute("SELECT version FROM registered_model_aliases WHERE alias = 'challenger'"
                          ).fetchall() == [(2,)]

    # Deleted while the service runs: the store comes back empty, then a training registers v1.
    _db().unlink()
    assert ensure_store() == StoreStatus(uri, created=True, reopened=True)
    assert registry.alias_version("champion") is None
    assert _register(scorer, holdout)["version"] == "1"


def test_register_logs_into_a_finished_run_or_takes_a_logged_model(trained):
    scorer, holdout = trained
    configure()
    mlflow.set_experiment(experiment_id=ensure_experiment("lead-scoring"))
    client = MlflowClient()
    with mlflow.start_run() as run:
        pass  # the plan's scoring step: its run ends long before the plan has succeeded
    assert mlflow.active_run() is None
    decision = registry.register(scorer, holdout, run_id=run.info.run_id)
    version = client.get_model_version("lead-scoring", decision["version"])
    assert version.run_id == run.info.run_id
    assert client.get_run(run.info.run_id).info.status == "FINISHED"

    with mlflow.start_run() as second:
        info = registry.log_model(scorer)
    decision = registry.register(scorer, holdout, model_uri=info.model_uri)
    assert decision["version"] == "2"
    assert client.get_model_version("lead-scoring", "2").run_id == second.info.run_id
    experiment = run.info.experiment_id
    assert len(client.search_logged_models(experiment_ids=[experiment])) == 2  # nothing logged twice
    with pytest.raises(ValueError, match="run_id .* or model_uri .*not both"):
        registry.register(scorer, holdout, run_id=run.info.run_id, model_uri=info.model_uri)
