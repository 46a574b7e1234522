"""MLflow runs of the commands and of the plan's steps, in one shape.

A command opens a top-level run in its own experiment; inside the plan, the same logger runs in
the step's nested run. Parameters come from the configuration objects
(:func:`revops.flags.config_as_params`), metrics from the typed results' ``metrics()``.
"""
from __future__ import annotations

import contextlib
import math
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping


def open_store(say: Callable[[str], None] | None = None, *, tracking_uri: str | None = None,
               create: bool = True) -> str:
    """Open the MLflow store and say on stderr which one it is, why that one, and whether it was
    just made: running from another folder must not silently write to a second store.

    ``tracking_uri``: the plan file's ``[mlflow] tracking_uri`` (``MLFLOW_TRACKING_URI`` wins);
    ``create=False``: refuse a local store that does not exist (see
    :func:`revops.mlflow_setup.open_store`)."""
    import sys

    from revops.mlflow_setup import FROM_DEFAULT, choose_store, stores_above
    from revops.mlflow_setup import open_store as open_mlflow_store

    source = choose_store(tracking_uri=tracking_uri)[1]
    status = open_mlflow_store(tracking_uri=tracking_uri, create=create)
    state = "created now" if status.created else (
        "reopened: its file was deleted or replaced" if status.reopened else "existing")
    message = f"MLflow store: {status.uri} ({state}; {source})"
    nearby = stores_above() if status.created and source == FROM_DEFAULT else []
    if nearby:
        message += (f"\nnote: a store exists above this folder, at {nearby[0]}; to use it set "
                    f"MLFLOW_TRACKING_URI=sqlite:///{nearby[0]}")
    if say is not None:
        say(message)
    else:
        print(message, file=sys.stderr)
    return status.uri


@contextlib.contextmanager
def command_run(experiment: str, run_name: str, kind: str, *, quiet: bool = False,
                tracking_uri: str | None = None) -> Iterator[Any]:
    """A top-level run for a command, in ``experiment`` of the configured store."""
    import mlflow

    from revops.mlflow_setup import ensure_experiment

    open_store(say=(lambda _: None) if quiet else None, tracking_uri=tracking_uri)
    experiment_id = ensure_experiment(experiment)
    with mlflow.start_run(experiment_id=experiment_id, run_name=run_name) as run:
        mlflow.set_tags({"revops.kind": kind, **tag_owner()})
        yield run


def log_params(params: Mapping[str, Any]) -> None:
    import mlflow

    mlflow.log_params({k: str(v)[:500] for k, v in params.items()})


def log_metrics(metrics: Mapping[str, Any]) -> None:
    """Log the finite numbers of ``metrics`` (MLflow refuses names with some characters)."""
    import mlflow

    clean = {}
    for key, value in metrics.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            continue
        if not math.isfinite(float(value)):
            continue
        name = "".join(c if c.isalnum() or c in "_-./ " else "_" for c in str(key).replace("%", "pct"))
        clean[name] = float(value)
    if clean:
        mlflow.log_metrics(clean)


def log_folder(folder: Path, artifact_path: str | None = None) -> None:
    import mlflow

    mlflow.log_artifacts(str(folder), artifact_path=artifact_path)


def tag_owner() -> dict[str, str]:
    """Tags that let a later run tell whether this run's process is still alive."""
    import os
    import socket

    return {"revops.pid": str(os.getpid()), "revops.host": socket.gethostname()}


def fail_dead_runs(experiment_id: str) -> int:
    """Mark FAILED the runs of this host left RUNNING by a process that no longer exists
    (a plan killed with ``kill -9`` cannot end its own runs). Returns how many were ended."""
    import socket

    from mlflow.tracking import MlflowClient

    from revops.outputs import _alive

    client = MlflowClient()
    host = socket.gethostname()
    ended = 0
    runs = client.search_runs([experiment_id], filter_string="attributes.status = 'RUNNING'",
                              max_results=500)
    for run in runs:
        tags = run.data.tags
        pid = tags.get("revops.pid")
        if tags.get("revops.host") != host or not (pid or "").isdigit() or _alive(int(pid)):
            continue
        client.set_terminated(run.info.run_id, status="FAILED")
        ended += 1
    return ended
