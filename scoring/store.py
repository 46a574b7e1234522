"""Keeping a local SQLite MLflow store usable: created once under a lock, reopened when replaced.

The MLflow edge of scoring (the registry, the scoring service) and the hub's commands all open the
store through here; the hub decides *which* store (``revops.mlflow_setup``).

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


def sqlite_path(uri: str) -> Path | None:
    """The database file of a ``sqlite:///`` URI (relative to the working directory when the URI
    is), or None for any other store (a server, PostgreSQL, an in-memory database)."""
    if not uri.startswith("sqlite:///"):
        return None
    path = uri.removeprefix("sqlite:///").split("?", 1)[0]
    if not path or path == ":memory:":
        return None
    return Path(path)


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
    return open_sqlite(uri, db_path)


def _identity(path: Path) -> tuple[int, int] | None:
    """(device, inode) of the database file; None when it is absent or empty (never created)."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return (st.st_dev, st.st_ino) if st.st_size > 0 else None


def open_sqlite(uri: str, db_path: Path) -> StoreStatus:
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
