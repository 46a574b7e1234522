"""Shared fixtures.

MLflow: every test session points ``MLFLOW_TRACKING_URI`` at a throw-away store (so no test can
write into the repository's ``models/``), and a test that talks to MLflow declares it with
``@pytest.mark.mlflow`` (or ``pytestmark``): it then gets a store of its own, isolated from every
other test. Tests that never touch MLflow pay nothing for it.
"""
from __future__ import annotations

import os
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")


def pytest_configure(config: pytest.Config) -> None:
    # Before any test imports mlflow: a session-wide fallback store outside the repository.
    import tempfile

    if not os.environ.get("REVOPS_TEST_KEEP_MLFLOW_URI"):
        root = Path(tempfile.mkdtemp(prefix="revops-test-mlflow-"))
        os.environ["MLFLOW_TRACKING_URI"] = f"sqlite:///{root / 'mlflow.db'}"
        os.environ["MLFLOW_ARTIFACT_ROOT"] = str(root / "artifacts")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if item.get_closest_marker("mlflow") is not None and "mlflow_store" not in item.fixturenames:
            item.fixturenames.insert(0, "mlflow_store")


@pytest.fixture
def mlflow_store(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """A fresh MLflow store for this test alone (its folder is yielded)."""
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
