"""Where MLflow writes: ``MLFLOW_TRACKING_URI`` wins; else the plan file's ``[mlflow]
tracking_uri``; else a SQLite store under ``models/`` of the working directory (no server to run
for one analyst; a team sets one of the first two). Keeping a local SQLite store usable (created
once under a lock, reopened when its file is replaced) is :mod:`scoring.store`'s job; this module
re-exports its names.
"""
from __future__ import annotations

import logging
import os
from pathlib import Path

from scoring.store import StoreStatus, ensure_store, open_sqlite, sqlite_path

log = logging.getLogger(__name__)

LEAD_MODEL_NAME = "lead-scoring"
ENV = "MLFLOW_TRACKING_URI"
FROM_ENV = "from MLFLOW_TRACKING_URI"
FROM_PLAN = "from the plan file's [mlflow] tracking_uri"
FROM_DEFAULT = "the default: models/ of the working directory"
# mlflow.set_tracking_uri() also sets MLFLOW_TRACKING_URI (for subprocesses) to the URI: the
# last one this process set, and why, so that a later command in the same process (a notebook,
# the tests) does not take a plan file's or the default store for the user's variable.
_LAST_SET: dict[str, str] = {}


def default_tracking_uri(workdir: str | os.PathLike[str] | None = None) -> str:
    """The embedded store: ``sqlite:///<workdir>/models/mlflow.db``."""
    root = Path(workdir or Path.cwd()).resolve() / "models"
    return f"sqlite:///{root / 'mlflow.db'}"


def choose_store(workdir: str | os.PathLike[str] | None = None,
                 tracking_uri: str | None = None) -> tuple[str, str]:
    """(the store's URI, why that one): ``MLFLOW_TRACKING_URI``, else ``tracking_uri`` (the plan
    file's ``[mlflow]`` setting), else :func:`default_tracking_uri`."""
    env = os.environ.get(ENV)
    if env and (env != _LAST_SET.get("uri") or _LAST_SET.get("source") == FROM_ENV):
        return env, FROM_ENV
    if tracking_uri:
        return tracking_uri, FROM_PLAN
    return default_tracking_uri(workdir), FROM_DEFAULT


def resolve_tracking_uri(workdir: str | os.PathLike[str] | None = None,
                         tracking_uri: str | None = None) -> str:
    return choose_store(workdir, tracking_uri)[0]


def stores_above(workdir: str | os.PathLike[str] | None = None, levels: int = 6) -> list[Path]:
    """Local stores (``models/mlflow.db``) in the parent folders of ``workdir``: the store a user
    probably meant when a command run from a subfolder finds none of its own."""
    here = Path(workdir or Path.cwd()).resolve()
    found = []
    for folder in list(here.parents)[:levels]:
        db = folder / "models" / "mlflow.db"
        if db.is_file() and db.stat().st_size > 0:
            found.append(db)
    return found


def configure(workdir: str | os.PathLike[str] | None = None, *, tracking_uri: str | None = None,
              create: bool = True) -> str:
    """Point MLflow at the store, create and migrate it if needed; return its URI.

    Same as :func:`open_store`, for callers that only need the URI.
    """
    return open_store(workdir, tracking_uri=tracking_uri, create=create).uri


def open_store(workdir: str | os.PathLike[str] | None = None, *, tracking_uri: str | None = None,
               create: bool = True) -> StoreStatus:
    """Point MLflow at the store and make it usable now, in this process.

    Which store: :func:`choose_store`. For a SQLite store: the schema is created and migrated
    once, under a file lock, before any parallel work starts; a database file deleted or replaced
    since this process last opened it is opened again (see :func:`ensure_store`). Returns the URI
    and whether the database was just created, which the commands print. ``create=False`` (a
    command that only reads or moves aliases: predict, promote, rollback): a SQLite database that
    does not exist is a ``ConfigError`` naming the stores found in parent folders, instead of a
    new, empty store.
    """
    import mlflow

    # MLflow logs its database migrations at INFO; a user needs to see none of that.
    if not log.isEnabledFor(logging.DEBUG):
        logging.getLogger("mlflow").setLevel(logging.WARNING)
        logging.getLogger("alembic").setLevel(logging.WARNING)
    # Progress bars for artifact downloads would interleave with our own progress output.
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    uri, source = choose_store(workdir, tracking_uri)
    db_path = sqlite_path(uri)
    if db_path is not None and not create and not (db_path.is_file() and db_path.stat().st_size > 0):
        from revops.errors import ConfigError

        nearby = stores_above(workdir)
        hint = (f"Hint: the store above this folder is {nearby[0]}; use it with "
                f"MLFLOW_TRACKING_URI=sqlite:///{nearby[0]}" if nearby else
                "Hint: run from the folder where the model was trained, or set MLFLOW_TRACKING_URI "
                "(or [mlflow] tracking_uri in the plan file) to its store")
        raise ConfigError(f"MLflow store {uri} ({source}) does not exist: no model was registered "
                          f"there. {hint}.")
    if db_path is not None:
        db_path.parent.mkdir(parents=True, exist_ok=True)
        # Artifacts beside the database, not in ./mlruns of whatever folder we run from.
        os.environ.setdefault("MLFLOW_ARTIFACT_ROOT", str(db_path.parent.resolve() / "artifacts"))
    mlflow.set_tracking_uri(uri)
    _LAST_SET.update(uri=os.environ.get(ENV, uri), source=source)
    log.debug("MLflow tracking URI: %s (%s)", uri, source)
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
