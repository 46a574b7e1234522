"""The MLflow edge of lead scoring: log, register, choose the champion, promote, roll back, load.

The model is logged as an MLflow pyfunc whose artifact is the joblib file of the fitted
:class:`~scoring.model.LeadScorer` (MLflow 3's default skops format would need every custom
class listed as trusted). Champion history lives in model-version tags: the version that becomes
champion gets ``previous_champion`` = the version it replaced, which is what ``rollback`` follows.
"""
from __future__ import annotations

import logging
import tempfile
from pathlib import Path
from typing import Any

import joblib
import mlflow
import numpy as np
import pandas as pd
from mlflow.exceptions import MlflowException
from mlflow.models import Model
from mlflow.tracking import MlflowClient

from scoring.errors import ScoringInputError
from scoring.model import LeadScorer

MODEL_NAME = "lead-scoring"
CHAMPION = "champion"
CHALLENGER = "challenger"
CHAMPION_URI = f"models:/{MODEL_NAME}@{CHAMPION}"


class LeadScoringModel(mlflow.pyfunc.PythonModel):
    """pyfunc wrapper: ``predict(frame)`` returns ``LeadScorer.score_frame(frame)``.

    The DataFrame type hint tells MLflow not to infer or enforce a schema: the scorer checks its
    own input and names what is wrong.
    """

    def load_context(self, context) -> None:
        self.scorer = joblib.load(context.artifacts["scorer"])

    def predict(self, context, model_input: pd.DataFrame, params: dict | None = None) -> pd.DataFrame:
        frame = model_input if isinstance(model_input, pd.DataFrame) else pd.DataFrame(model_input)
        return self.scorer.score_frame(frame)


def _requirements() -> list[str]:
    # Given explicitly: MLflow's inference of requirements starts a subprocess and loads the model.
    import sklearn

    return [f"scikit-learn=={sklearn.__version__}", f"pandas=={pd.__version__}",
            f"numpy=={np.__version__}", f"joblib=={joblib.__version__}"]


def log_model(scorer: LeadScorer, name: str = "model", run_id: str | None = None) -> Any:
    """Log ``scorer`` as a pyfunc model; return MLflow's ModelInfo (``.model_uri`` registers it).

    The model is logged in the run ``run_id`` (which may have ended: a plan logs its model in the
    scoring step's run once the whole plan succeeded), else in the active run, else (MLflow 3)
    as a model of the active experiment that no run produced.
    """
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "lead_scorer.joblib"
        joblib.dump(scorer, path, compress=3)
        # The cloudpickled wrapper holds no state (the scorer is the joblib artifact), so
        # MLflow's warning about pickled Python objects does not apply; keep it off the console.
        pyfunc_log = logging.getLogger("mlflow.pyfunc")
        level = pyfunc_log.level
        pyfunc_log.setLevel(logging.ERROR)
        kwargs = {"name": name, "python_model": LeadScoringModel(), "artifacts": {"scorer": str(path)},
                  "pip_requirements": _requirements()}
        try:
            if run_id is None:
                return mlflow.pyfunc.log_model(**kwargs)
            # mlflow.pyfunc.log_model only knows the active run; Model.log takes any run.
            return Model.log(artifact_path=None, flavor=mlflow.pyfunc, run_id=run_id, **kwargs)
        finally:
            pyfunc_log.setLevel(level)


def _client() -> MlflowClient:
    return MlflowClient()


def alias_version(alias: str, client: MlflowClient | None = None) -> str | None:
    """The version number behind ``lead-scoring@alias``, or None when the alias is not set."""
    client = client or _client()
    try:
        return str(client.get_model_version_by_alias(MODEL_NAME, alias).version)
    except MlflowException:
        return None


def register(scorer: LeadScorer, holdout: pd.DataFrame, client: MlflowClient | None = None, *,
             run_id: str | None = None, model_uri: str | None = None) -> dict:
    """Register ``scorer`` as a new version, alias it ``challenger``, decide the champion.

    Which model becomes the version: ``model_uri``, a model already logged with
    :func:`log_model` (nothing is logged again); else ``scorer`` logged now in the run
    ``run_id`` (ended or not); else logged in the active run (see :func:`log_model`).
    The challenger replaces the champion only when its holdout log loss is lower than the
    champion's on the very same holdout rows (``holdout``: those rows with their labels), or
    when there is no champion, or when the champion cannot score these leads at all.
    """
    if run_id is not None and model_uri is not None:
        raise ValueError("register: give run_id (log the model in that run) or model_uri (a model "
                         "logged already), not both.")
    client = client or _client()
    if model_uri is None:
        model_uri = log_model(scorer, run_id=run_id).model_uri
    version = mlflow.register_model(model_uri, MODEL_NAME).version
    version = str(version)
    client.set_registered_model_alias(MODEL_NAME, CHALLENGER, version)
    for key in ("roc_auc", "log_loss", "ece"):
        client.set_model_version_tag(MODEL_NAME, version, f"holdout_{key}", f"{scorer.metrics_[key]:.6f}")
    client.set_model_version_tag(MODEL_NAME, version, "model_family", scorer.model_name_)
    decision = {"version": version, "model_uri": f"models:/{MODEL_NAME}/{version}",
                "challenger_log_loss": scorer.metrics_["log_loss"], "champion_before": None,
                "champion_log_loss": None}
    current = alias_version(CHAMPION, client)
    if current is None:
        decision.update(promoted=True, reason="no champion yet")
    else:
        decision["champion_before"] = current
        try:
            champion_metrics = load(f"models:/{MODEL_NAME}/{current}").evaluate(holdout)
        except ValueError as exc:  # the champion needs columns these leads lack, ...
            decision.update(promoted=True, reason=f"the champion cannot score this holdout ({exc})")
        else:
            decision["champion_log_loss"] = champion_metrics["log_loss"]
            better = scorer.metrics_["log_loss"] < champion_metrics["log_loss"]
            decision.update(promoted=better, reason=(
                f"holdout log loss {scorer.metrics_['log_loss']:.4f} vs champion v{current} "
                f"{champion_metrics['log_loss']:.4f} on the same {len(holdout)} leads"))
    if decision["promoted"]:
        promote(version, client=client)
    client.set_model_version_tag(MODEL_NAME, version, "champion_decision", decision["reason"][:500])
    return decision


def _check_version(version: str, client: MlflowClient) -> str:
    version = str(version).lstrip("v")
    try:
        client.get_model_version(MODEL_NAME, version)
    except MlflowException:
        raise ScoringInputError(
            f"model registry: '{MODEL_NAME}' has no version {version!r}. Known versions: "
            f"{', '.join(_versions(client)) or 'none'}.") from None
    return version


def _versions(client: MlflowClient) -> list[str]:
    try:
        found = client.search_model_versions(f"name='{MODEL_NAME}'")
    except MlflowException:
        return []
    return sorted((str(v.version) for v in found), key=int)


def promote(version: str | int, client: MlflowClient | None = None) -> dict:
    """Make ``version`` the champion; remember the version it replaces for ``rollback``."""
    client = client or _client()
    version = _check_version(str(version), client)
    previous = alias_version(CHAMPION, client)
    if previous == version:
        return {"champion": version, "previous": previous, "changed": False}
    client.set_registered_model_alias(MODEL_NAME, CHAMPION, version)
    if previous is not None:
        client.set_model_version_tag(MODEL_NAME, version, "previous_champion", previous)
    history = _history(client) + [version]
    client.set_registered_model_tag(MODEL_NAME, "champion_history", ",".join(history[-50:]))
    return {"champion": version, "previous": previous, "changed": True}


def rollback(client: MlflowClient | None = None) -> dict:
    """Give the champion alias back to the version it replaced."""
    client = client or _client()
    current = alias_version(CHAMPION, client)
    if current is None:
        raise ScoringInputError(f"model registry: '{MODEL_NAME}' has no champion; nothing to roll back.")
    tags = client.get_model_version(MODEL_NAME, current).tags
    previous = tags.get("previous_champion")
    if not previous:
        raise ScoringInputError(
            f"model registry: champion v{current} of '{MODEL_NAME}' replaced no earlier champion; "
            "nothing to roll back to. Hint: promote a version by hand.")
    client.set_registered_model_alias(MODEL_NAME, CHAMPION, previous)
    client.set_model_version_tag(MODEL_NAME, current, "rolled_back", "true")
    history = _history(client) + [previous]
    client.set_registered_model_tag(MODEL_NAME, "champion_history", ",".join(history[-50:]))
    return {"champion": previous, "rolled_back": current}


def _history(client: MlflowClient) -> list[str]:
    try:
        tags = client.get_registered_model(MODEL_NAME).tags
    except MlflowException:
        return []
    text = tags.get("champion_history", "")
    return [v for v in text.split(",") if v]


def load(uri: str = CHAMPION_URI) -> LeadScorer:
    """The fitted LeadScorer behind an MLflow model URI (``models:/lead-scoring@champion``, ...)."""
    try:
        model = mlflow.pyfunc.load_model(uri)
    except MlflowException as exc:
        raise ScoringInputError(
            f"model registry: cannot load {uri} ({str(exc).splitlines()[0][:200]}). Hint: train and register a "
            "model first, or set model_uri to one that exists.") from None
    return model.unwrap_python_model().scorer


def resolve(uri: str = CHAMPION_URI) -> dict:
    """Name and version behind a ``models:/name@alias`` or ``models:/name/version`` URI."""
    client = _client()
    body = uri.removeprefix("models:/")
    if "@" in body:
        name, alias = body.split("@", 1)
        try:
            mv = client.get_model_version_by_alias(name, alias)
        except MlflowException:
            return {"name": name, "version": None}
        return {"name": name, "version": str(mv.version), "run_id": mv.run_id}
    name, _, version = body.partition("/")
    return {"name": name, "version": version or None}
