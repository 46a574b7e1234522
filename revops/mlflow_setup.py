"""Where MLflow writes: ``MLFLOW_TRACKING_URI`` wins, else a SQLite store under ``models/``."""
from __future__ import annotations

import logging
import os
from pathlib import Path

log = logging.getLogger(__name__)

LEAD_MODEL_NAME = "lead-scoring"


def default_tracking_uri(workdir: str | os.PathLike[str] | None = None) -> str:
    """The embedded store: ``sqlite:///<workdir>/models/mlflow.db``."""
    root = Path(workdir or Path.cwd()).resolve() / "models"
    return f"sqlite:///{root / 'mlflow.db'}"


def resolve_tracking_uri(workdir: str | os.PathLike[str] | None = None) -> str:
    return os.environ.get("MLFLOW_TRACKING_URI") or default_tracking_uri(workdir)


def configure(workdir: str | os.PathLike[str] | None = None) -> str:
    """Point MLflow at the store and create its schema now, in this process.

    A fresh SQLite store migrated by several processes at once fails in MLflow 3, so the
    schema is created here, once, before any parallel work starts.
    """
    import mlflow
    from mlflow.tracking import MlflowClient

    # MLflow logs its database migrations at INFO; a user needs to see none of that.
    if not log.isEnabledFor(logging.DEBUG):
        logging.getLogger("mlflow").setLevel(logging.WARNING)
        logging.getLogger("alembic").setLevel(logging.WARNING)
    # Progress bars for artifact downloads would interleave with our own progress output.
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    uri = resolve_tracking_uri(workdir)
    if uri.startswith("sqlite:///"):
        db_path = Path(uri.removeprefix("sqlite:///"))
        db_path.parent.mkdir(parents=True, exist_ok=True)
        # Artifacts beside the database, not in ./mlruns of whatever folder we run from.
        os.environ.setdefault("MLFLOW_ARTIFACT_ROOT", str(db_path.parent / "artifacts"))
    mlflow.set_tracking_uri(uri)
    if uri.startswith("sqlite:///"):
        MlflowClient(uri).search_experiments(max_results=1)  # runs the migrations once
    log.debug("MLflow tracking URI: %s", uri)
    return uri


def ensure_experiment(name: str) -> str:
    """Create the experiment if needed (artifacts under models/artifacts for the local store)."""
    import mlflow

    experiment = mlflow.get_experiment_by_name(name)
    if experiment is not None:
        return experiment.experiment_id
    artifact_root = os.environ.get("MLFLOW_ARTIFACT_ROOT")
    uri = mlflow.get_tracking_uri()
    location = None
    if artifact_root and uri.startswith("sqlite:///"):
        location = Path(artifact_root).resolve().joinpath(name).as_uri()
    return mlflow.create_experiment(name, artifact_location=location)
