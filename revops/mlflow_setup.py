"""Where MLflow writes (``MLFLOW_TRACKING_URI`` wins, else a SQLite store under ``models/``), and
keeping a local SQLite store usable.

Two things break a SQLite store that MLflow alone does not handle:

* Several processes opening a *fresh* store at once each run MLflow's schema migrations, which
  then collide ("no such column", "table ... already exists", "duplicate column"). The store is
  therefore created and migrated under a file lock beside the database (``mlflow.db.lock``),
  by the first process; the others wait, then find it ready.
* A long-running process (the scoring service) keeps MLflow's cached SQLAlchemy engine on the
  database file it first opened. When that file is deleted or replaced, the engine writes to the
  unlinked file ("attempt to write a readonly database", "disk I/O error"). :func:`ensure_store`
  compares the file's device and inode with those seen when this process opened it and, when they
  differ, drops MLflow's cached stores and engines and opens (creating if needed) the store again.
"""
from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from typing import NamedTuple

log = logging.getLogger(__name__)

LEAD_MODEL_NAME = "lead-scoring"
LOCK_TIMEOUT = 120.0  # seconds to wait for another process creating or migrating the store

# SQLite files this process opened (absolute path -> (device, inode) then). Process state by
# nature: MLflow's own store and engine caches, which this mirrors, are per process too.
_OPENED: dict[Path, tuple[int, int]] = {}
_OPENED_LOCK = threading.Lock()


class StoreStatus(NamedTuple):
    """The store in use, as the commands report it on stderr."""

    uri: str
    created: bool    # the SQLite database did not exist (or was empty) and was created just now
    reopened: bool   # its file had been deleted or replaced under this process and was opened again


def default_tracking_uri(workdir: str | os.PathLike[str] | None = None) -> str:
    """The embedded store: ``sqlite:///<workdir>/models/mlflow.db``."""
    root = Path(workdir or Path.cwd()).resolve() / "models"
    return f"sqlite:///{root / 'mlflow.db'}"


def resolve_tracking_uri(workdir: str | os.PathLike[str] | None = None) -> str:
    return os.environ.get("MLFLOW_TRACKING_URI") or default_tracking_uri(workdir)


def sqlite_path(uri: str) -> Path | None:
    """The database file of a ``sqlite:///`` URI (relative to the working directory when the URI
    is), or None for any other store (a server, PostgreSQL, an in-memory database)."""
    if not uri.startswith("sqlite:///"):
        return None
    path = uri.removeprefix("sqlite:///").split("?", 1)[0]
    if not path or path == ":memory:":
        return None
    return Path(path)


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
    return _open_sqlite(uri, db_path)


def ensure_store() -> StoreStatus:
    """Keep the current store usable in a long-running process; call it before each use.

    Costs one ``stat`` when the SQLite database is the file this process opened. When that file
    was deleted or replaced (another inode), MLflow's cached stores and engines are dropped and
    the store is opened again, created and migrated if needed (``reopened`` is then True).
    Other stores (a tracking server, PostgreSQL) are left to MLflow.
    """
    import mlflow

    uri = mlflow.get_tracking_uri()
    db_path = sqlite_path(uri)
    if db_path is None:
        return StoreStatus(uri, created=False, reopened=False)
    key = db_path.resolve()
    with _OPENED_LOCK:
        known = _OPENED.get(key)
    if known is not None and known == _identity(db_path):
        return StoreStatus(uri, created=False, reopened=False)
    return _open_sqlite(uri, db_path)


def _identity(path: Path) -> tuple[int, int] | None:
    """(device, inode) of the database file; None when it is absent or empty (never created)."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return (st.st_dev, st.st_ino) if st.st_size > 0 else None


def _open_sqlite(uri: str, db_path: Path) -> StoreStatus:
    from filelock import FileLock, Timeout

    lock = FileLock(f"{db_path}.lock", timeout=LOCK_TIMEOUT)
    try:
        lock.acquire()
    except Timeout:
        raise RuntimeError(
            f"MLflow store {db_path}: another process has been creating or migrating it for "
            f"{LOCK_TIMEOUT:.0f} s (lock {lock.lock_file}). If no revops process is running, the "
            "lock is stale: delete that file.") from None
    except OSError as exc:
        # A read-only folder (e.g. a service container): no lock file can be made, and nothing
        # can be migrated there either; open the store as it is.
        log.debug("no lock for %s (%s); opening without it", db_path, exc)
        return _open_locked(uri, db_path)
    try:
        return _open_locked(uri, db_path)
    finally:
        lock.release()


def _open_locked(uri: str, db_path: Path) -> StoreStatus:
    from mlflow.tracking import MlflowClient

    key = db_path.resolve()
    before = _identity(db_path)
    with _OPENED_LOCK:
        seen, known = key in _OPENED, _OPENED.get(key)
    reopened = seen and known != before
    # Cached engines for a database that is gone, or is another file now, point at a dead inode.
    if reopened or before is None:
        _forget_stores(key)
        if reopened:
            _forget_experiment()
    created = before is None
    try:
        client = MlflowClient(uri)
        client.search_experiments(max_results=1)        # tracking store: creates and migrates
        client.search_registered_models(max_results=1)  # registry store on the same database
    except Exception:
        if created:
            # A half-migrated database fails every later run ("table ... already exists"); one
            # that this call created holds nothing yet, so the next run may start it afresh.
            _forget_stores(key)
            db_path.unlink(missing_ok=True)
        raise
    with _OPENED_LOCK:
        _OPENED[key] = _identity(db_path)
    if reopened:
        log.info("MLflow store %s was deleted or replaced while this process used it; reopened%s",
                 db_path, " (created anew)" if created else "")
    return StoreStatus(uri, created=created, reopened=reopened)


def _forget_stores(db_path: Path) -> None:
    """Drop MLflow's cached stores and SQLAlchemy engines of one SQLite database.

    MLflow (3.x) caches one store object per URI in its store registries (``lru_cache`` on
    ``_get_store_with_resolved_uri``, tracking and model registry) and one engine per URI in
    ``SqlAlchemyStore._engine_map`` (a class attribute, tracking and model registry); the stores
    hold the engines, the engines hold open connections to the file.
    """
    from mlflow.store.model_registry.sqlalchemy_store import SqlAlchemyStore as RegistrySqlStore
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore as TrackingSqlStore
    from mlflow.tracking._model_registry import utils as registry_utils
    from mlflow.tracking._tracking_service import utils as tracking_utils

    tracking_utils._tracking_store_registry._get_store_with_resolved_uri.cache_clear()
    registry_utils._get_store_registry()._get_store_with_resolved_uri.cache_clear()
    for store_cls in (TrackingSqlStore, RegistrySqlStore):
        with store_cls._engine_map_lock:
            stale = [u for u in store_cls._engine_map
                     if (p := sqlite_path(u)) is not None and p.resolve() == db_path]
            engines = [store_cls._engine_map.pop(u) for u in stale]
        for engine in engines:
            engine.dispose()


def _forget_experiment() -> None:
    # mlflow.set_experiment() remembers an experiment id (module state and MLFLOW_EXPERIMENT_ID);
    # it names an experiment of the database that is gone.
    from mlflow.tracking import fluent

    fluent._active_experiment_id = None
    os.environ.pop("MLFLOW_EXPERIMENT_ID", None)


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
