"""Shared fixtures: every test talks to its own throw-away MLflow store."""
from __future__ import annotations

import os
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")


@pytest.fixture(autouse=True)
def _isolated_mlflow(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    import mlflow
    from mlflow.tracking import fluent

    store = tmp_path_factory.mktemp("mlflow")
    uri = f"sqlite:///{store / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    monkeypatch.setenv("MLFLOW_ARTIFACT_ROOT", str(store / "artifacts"))
    # mlflow.set_experiment() exports MLFLOW_EXPERIMENT_ID for subprocesses; it names an
    # experiment of another test's store.
    monkeypatch.delenv("MLFLOW_EXPERIMENT_ID", raising=False)
    # MLflow's fluent API keeps the tracking URI and the active experiment in module globals;
    # a previous test's store must not leak into this one.
    while mlflow.active_run() is not None:
        mlflow.end_run()
    mlflow.set_tracking_uri(uri)
    fluent._active_experiment_id = None
    yield store
    while mlflow.active_run() is not None:
        mlflow.end_run()


@pytest.fixture(scope="session")
def sample_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled sample CRM at a small size, generated once per test session."""
    from revops.sample_data import generate

    out = tmp_path_factory.mktemp("sample")
    generate(out, seed=7, n_leads=20_000, n_accounts=600, n_reps=24)
    return out
