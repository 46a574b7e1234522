"""Where MLflow writes: ``MLFLOW_TRACKING_URI`` wins, else a SQLite store under ``models/`` of the
working directory. Keeping a local SQLite store usable (created once under a lock, reopened when
its file is replaced) is :mod:`scoring.store`'s job; this module re-exports its names.
"""
from __future__ import annotations

import logging
import os
from pathlib import Path

from scoring.store import StoreStatus, ensure_store, open_sqlite, sqlite_path

log = logging.getLogger(__name__)

LEAD_MODEL_NAME = "lead-scoring"
def default_tracking_uri(workdir: str | os.PathLike[str] | None = None) -> str:
    """The embedded store: ``sqlite:///<workdir>/models/mlflow.db``."""
    root = Path(workdir or Path.cwd()).resolve() / "models"
    return f"sqlite:///{root / 'mlflow.db'}"


def resolve_tracking_uri(workdir: str | os.PathLike[str] | None = None) -> str:
    return os.environ.get("MLFLOW_TRACKING_URI") or default_tracking_uri(workdir)


def configure(workdir: str | os.PathLike[str] | None = None) -> str:
    """Point MLflow at the store, create and migrate it if needed; return its URI.

    Same as :func:`open_store`, for callers that only need the URI.
    """
    return open_store(workdir).uri


def open_store(workdir: str | os.PathLike[str] | None = None) -> StoreStatus:
    """Point MLflow at the store and make it usable now, in this process.

    For a SQLite store: the schema is created and migrated once, under a file lock, before any
    parallel work starts; a database file deleted or replaced since this process last opened it
    is opened again (see :func:`ensure_store`). Returns the URI and whether the database was just
    created, which the commands print.
    """
    import mlflow

    # MLflow logs its database migrations at INFO; a user needs to see none of that.
    if not log.isEnabledFor(logging.DEBUG):
        logging.getLogger("mlflow").setLevel(logging.WARNING)
        logging.getLogger("alembic").setLevel(logging.WARNING)
    # Progress bars for artifact downloads would interleave with our own progress output.
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    uri = resolve_tracking_uri(workdir)
    db_path = sqlite_path(uri)
    if db_path is not None:
        db_path.parent.mkdir(parents=True, exist_ok=True)
        # Artifacts beside the database, not in ./mlruns of whatever folder we run from.
        os.environ.setdefault("MLFLOW_ARTIFACT_ROOT", str(db_path.parent.resolve() / "artifacts"))
    mlflow.set_tracking_uri(uri)
    log.debug("MLflow tracking URI: %s", uri)
    if db_path is None:
        return StoreStatus(uri, created=False, reopened=False)
    return open_sqlite(uri, db_path)


def ensure_experiment(name: str) -> str:
    """Create the experiment if needed (artifacts under models/artifacts for the local store)."""
    import mlflow
    from mlflow.exceptions import MlflowException

    experiment = mlflow.get_experiment_by_name(name)
    if experiment is not None:
        return experiment.experiment_id
    artifact_root = os.environ.get("MLFLOW_ARTIFACT_ROOT")
    uri = mlflow.get_tracking_uri()
    location = None
    if artifact_root and uri.startswith("sqlite:///"):
        location = Path(artifact_root).resolve().joinpath(name).as_uri()
    try:
        return mlflow.create_experiment(name, artifact_location=location)
    except MlflowException:
        # Two first trainings at once: the other process created it between our two calls.
        experiment = mlflow.get_experiment_by_name(name)
        if experiment is None:
            raise
        return experiment.experiment_id
