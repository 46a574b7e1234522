"""The MLflow edge of scoring: log, register, choose the champion, promote, roll back, load.

The model is logged as an MLflow pyfunc whose artifact is the joblib file of the fitted
:class:`~scoring.model.LeadScorer` (MLflow 3's default skops format would need every custom
class listed as trusted). The logged model carries the code it runs (this package and the leaf
packages it imports, as ``code_paths``), pinned requirements of everything that code imports when
the model loads, a signature and an input example: ``mlflow.pyfunc.load_model`` works in an
environment holding only the model's ``requirements.txt``.

Any binary outcome gets its own registered model (``model_name``: ``lead-scoring`` by default, a
``renewal`` or an opportunity-win model beside it); each has its own ``champion`` and
``challenger`` aliases and history.

Promotion rules (:func:`decide`): every new version becomes ``challenger``. It becomes
``champion`` on its own only when it raised no leak warning, and either there is no champion, or
it reads no column the champion does not read (and none as another kind), and its holdout log
loss beats the champion's on the very same holdout leads. Otherwise it stays challenger with the
reason (``likely leak: disposition AUC 1.00``, ``schema differs: +3 / -2 columns``), also kept
as version tags; a person promotes it with :func:`promote`.

Champion history lives in model-version tags: the version that becomes champion gets
``previous_champion`` = the version it replaced, which is what ``rollback`` follows.
"""
from __future__ import annotations

import ast
import logging
import re
import shutil
import sys
import tempfile
import warnings
from importlib import metadata
from pathlib import Path
from typing import Any

import joblib
import mlflow
import pandas as pd
from mlflow.exceptions import MlflowException
from mlflow.models import Model
from mlflow.tracking import MlflowClient

from scoring.config import MODEL_NAME_PATTERN
from scoring.errors import ScoringInputError
from scoring.model import LeadScorer

MODEL_NAME = "lead-scoring"
CHAMPION = "champion"
CHALLENGER = "challenger"
CHAMPION_URI = f"models:/{MODEL_NAME}@{CHAMPION}"
EXAMPLE_ROWS = 3  # leads in the logged input example

# Distributions the model's code imports when it loads and scores (scoring/, parsing/: numpy,
# pandas, scikit-learn and its scipy, joblib, threadpoolctl, pydantic, lazy_loader), and cloudpickle, which
# MLflow uses to store the pyfunc wrapper. mlflow itself is added by MLflow. A test checks this
# list against what loading a model imports, and one loads a model in a fresh virtual
# environment built from it.
MODEL_DISTRIBUTIONS = ("scikit-learn", "scipy", "pandas", "numpy", "joblib", "threadpoolctl",
                       "pydantic", "cloudpickle", "lazy_loader")
_SKIP_CODE = ("__pycache__", "service")  # the HTTP service is not needed to load a model


def model_uri(model_name: str = MODEL_NAME, alias: str = CHAMPION) -> str:
    """``models:/<model_name>@<alias>``."""
    return f"models:/{model_name}@{alias}"


def check_model_name(model_name: str) -> str:
    """The name, or a ScoringInputError saying what a registered model name may hold."""
    if not isinstance(model_name, str) or not re.match(MODEL_NAME_PATTERN, model_name):
        raise ScoringInputError(
            f"model_name {model_name!r}: a registered model name is 1-100 letters, digits, '.', "
            "'_' or '-', starting with a letter or digit (e.g. lead-scoring, renewal).")
    return model_name


class LeadScoringModel(mlflow.pyfunc.PythonModel):
    """pyfunc wrapper: ``predict(frame)`` returns ``LeadScorer.score_frame(frame)``."""

    def load_context(self, context) -> None:
        self.scorer = joblib.load(context.artifacts["scorer"])

    def predict(self, context, model_input: pd.DataFrame, params: dict | None = None) -> pd.DataFrame:
        frame = model_input if isinstance(model_input, pd.DataFrame) else pd.DataFrame(model_input)
        return self.scorer.score_frame(frame)


def model_requirements() -> list[str]:
    """Pinned pip requirements of a logged model: :data:`MODEL_DISTRIBUTIONS` at the versions
    installed here (the versions the model was trained and pickled with)."""
    # Given explicitly: MLflow's inference of requirements starts a subprocess and loads the model.
    return [f"{name}=={metadata.version(name)}" for name in MODEL_DISTRIBUTIONS]


def code_packages() -> list[Path]:
    """This package and the repository's leaf packages it imports (e.g. ``parsing``)."""
    root = Path(__file__).resolve().parent
    found: dict[str, Path] = {"scoring": root}
    todo = [root]
    while todo:
        package = todo.pop()
        for path in package.rglob("*.py"):
            if any(part in _SKIP_CODE for part in path.relative_to(package).parts[:-1]):
                continue
            for name in _top_level_imports(path):
                candidate = root.parent / name
                if name not in found and (candidate / "__init__.py").is_file():
                    found[name] = candidate
                    todo.append(candidate)
    return list(found.values())


def _top_level_imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def _copy_code(tmp: Path) -> list[str]:
    paths = []
    for package in code_packages():
        target = tmp / "code" / package.name
        shutil.copytree(package, target, ignore=lambda folder, names: [
            n for n in names if n == "__pycache__" or (Path(folder) == package and n in _SKIP_CODE)])
        paths.append(str(target))
    return paths


def _signature_and_example(scorer: LeadScorer, example: pd.DataFrame | None):
    """Inputs: the lead id and every column the model reads, by name, of any type (the scorer
    reads text, numbers and dates itself and names what it cannot read; a stricter MLflow schema
    would refuse a CSV's integers where training saw text). Outputs: ``score_frame``'s columns."""
    from mlflow.models import ModelSignature, infer_signature
    from mlflow.types.schema import AnyType, ColSpec, Schema

    columns = list(dict.fromkeys([scorer.id_col_, *scorer.feature_schema()]))
    inputs = Schema([ColSpec(AnyType(), name, required=False) for name in columns])
    if example is None or not set(columns) <= set(example.columns):
        return None, None
    example = example[columns].head(EXAMPLE_ROWS).reset_index(drop=True)
    # JSON-friendly: what a caller posts (missing values as None, text as text).
    example = example.astype(object).where(example.notna(), None)
    with warnings.catch_warnings():  # MLflow's hint about integer columns: scores may be empty
        warnings.simplefilter("ignore", UserWarning)
        inferred = infer_signature(model_output=scorer.score_frame(example)).outputs
    # Every output may be empty: an unreadable lead gets no probability, score or tier.
    outputs = Schema([ColSpec(col.type, col.name, required=False) for col in inferred.inputs])
    return ModelSignature(inputs=inputs, outputs=outputs), example


def log_model(scorer: LeadScorer, name: str = "model", run_id: str | None = None,
              input_example: pd.DataFrame | None = None) -> Any:
    """Log ``scorer`` as a pyfunc model; return MLflow's ModelInfo (``.model_uri`` registers it).

    ``input_example``: leads with the columns the model reads (e.g. its holdout rows); the first
    few are kept as the model's input example, and with them a signature is logged.
    The model is logged in the run ``run_id`` (which may have ended: a plan logs its model in the
    scoring step's run once the whole plan succeeded), else in the active run, else (MLflow 3)
    as a model of the active experiment that no run produced.
    """
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "lead_scorer.joblib"
        joblib.dump(scorer, path, compress=3)
        signature, example = _signature_and_example(scorer, input_example)
        # The cloudpickled wrapper holds no state (the scorer is the joblib artifact), so
        # MLflow's warning about pickled Python objects does not apply; keep it off the console.
        quiet = [logging.getLogger(n) for n in ("mlflow.pyfunc", "mlflow.models.model")]
        levels = [log.level for log in quiet]
        for log in quiet:
            log.setLevel(logging.ERROR)
        kwargs = {"name": name, "python_model": LeadScoringModel(), "artifacts": {"scorer": str(path)},
                  "pip_requirements": model_requirements(), "code_paths": _copy_code(Path(tmp)),
                  "signature": signature, "input_example": example}
        try:
            if run_id is None:
                return mlflow.pyfunc.log_model(**kwargs)
            # mlflow.pyfunc.log_model only knows the active run; Model.log takes any run.
            return Model.log(artifact_path=None, flavor=mlflow.pyfunc, run_id=run_id, **kwargs)
        finally:
            for log, level in zip(quiet, levels):
                log.setLevel(level)


def _client() -> MlflowClient:
    return MlflowClient()


def alias_version(alias: str, client: MlflowClient | None = None, *,
                  model_name: str = MODEL_NAME) -> str | None:
    """The version number behind ``<model_name>@alias``, or None when the alias is not set."""
    client = client or _client()
    try:
        return str(client.get_model_version_by_alias(model_name, alias).version)
    except MlflowException:
        return None


def _schema_change(new: dict[str, str], old: dict[str, str]) -> dict[str, list[str]]:
    return {"added": [c for c in new if c not in old], "removed": [c for c in old if c not in new],
            "changed": [f"{c}: {old[c]} -> {new[c]}" for c in new if c in old and new[c] != old[c]]}


def _schema_text(change: dict[str, list[str]]) -> str:
    text = f"schema differs: +{len(change['added'])} / -{len(change['removed'])} columns"
    if change["changed"]:
        text += f", {len(change['changed'])} read as another kind"
    details = [f"{what} {', '.join(change[key][:8])}{', ...' if len(change[key]) > 8 else ''}"
               for key, what in (("added", "new:"), ("removed", "gone:"), ("changed", "kind:"))
               if change[key]]
    return f"{text} ({'; '.join(details)})"


def decide(scorer: LeadScorer, holdout: pd.DataFrame, client: MlflowClient | None = None, *,
           model_name: str = MODEL_NAME) -> dict:
    """Whether ``scorer`` would become champion of ``model_name`` now, and why (writes nothing).

    ``holdout``: the leads ``scorer`` was tested on, with their labels (``scorer.holdout(frame)``);
    the champion is scored on the very same rows. Returns ``promoted`` (bool), ``status``
    (``champion`` / ``challenger``), ``reason`` (one line), ``blocked_by`` (``likely leak``,
    ``schema differs``, ``cannot compare``), ``leaks``, ``schema`` (added / removed / changed
    columns against the champion's), ``champion_before``, ``challenger_log_loss`` and
    ``champion_log_loss``.
    """
    check_model_name(model_name)
    client = client or _client()
    leaks = [dict(leak) for leak in getattr(scorer, "leaks_", [])]
    decision: dict[str, Any] = {
        "model_name": model_name, "challenger_log_loss": float(scorer.metrics_["log_loss"]),
        "champion_before": None, "champion_log_loss": None, "leaks": leaks, "schema": None,
        "blocked_by": []}
    reasons = []
    if leaks:
        decision["blocked_by"].append("likely leak")
        reasons.append("likely leak: " + ", ".join(f"{leak['column']} AUC {leak['auc']:.2f}" for leak in leaks))
    current = alias_version(CHAMPION, client, model_name=model_name)
    better = current is None
    if current is None:
        reasons.append("no champion yet")
    else:
        decision["champion_before"] = current
        try:
            champion = load(f"models:/{model_name}/{current}")
        except ValueError as exc:  # its artifacts are gone, or it was saved by other code
            champion, change = None, None
            decision["blocked_by"].append("cannot compare")
            reasons.append(f"cannot compare: champion v{current} does not load ({exc})")
        else:
            change = _schema_change(scorer.feature_schema(), champion.feature_schema())
            decision["schema"] = change
        if champion is None:
            pass
        elif change["added"] or change["changed"]:
            # The champion's callers (the lead router) send the champion's columns; a model that
            # needs others cannot answer them, so it cannot replace the champion on its own.
            decision["blocked_by"].append("schema differs")
            reasons.append(_schema_text(change))
        else:
            try:
                champion_metrics = champion.evaluate(holdout)
            except ValueError as exc:  # the label values, or a column, differ from the champion's
                decision["blocked_by"].append("cannot compare")
                reasons.append(f"cannot compare with champion v{current} on this holdout ({exc})")
            else:
                decision["champion_log_loss"] = float(champion_metrics["log_loss"])
                better = scorer.metrics_["log_loss"] < champion_metrics["log_loss"]
                reasons.append(f"holdout log loss {scorer.metrics_['log_loss']:.4f} vs champion "
                               f"v{current} {champion_metrics['log_loss']:.4f} on the same "
                               f"{len(holdout)} leads")
    promoted = bool(better and not decision["blocked_by"])
    decision.update(promoted=promoted, status=CHAMPION if promoted else CHALLENGER,
                    reason="; ".join(reasons))
    return decision


def register(scorer: LeadScorer, holdout: pd.DataFrame, client: MlflowClient | None = None, *,
             run_id: str | None = None, model_uri: str | None = None,
             model_name: str = MODEL_NAME) -> dict:
    """Register ``scorer`` as a new version of ``model_name``, alias it ``challenger``, and make
    it ``champion`` when :func:`decide` says so. Returns :func:`decide`'s answer with
    ``version`` and ``model_uri``.

    Which model becomes the version: ``model_uri``, a model already logged with
    :func:`log_model` (nothing is logged again); else ``scorer`` logged now in the run
    ``run_id`` (ended or not); else logged in the active run (see :func:`log_model`).
    The decision is kept as version tags: ``champion_decision`` (the reason), ``decision``
    (champion / challenger), ``blocked_by``, ``leak_columns``, ``schema_added``, ``schema_removed``.
    """
    if run_id is not None and model_uri is not None:
        raise ValueError("register: give run_id (log the model in that run) or model_uri (a model "
                         "logged already), not both.")
    check_model_name(model_name)
    client = client or _client()
    decision = decide(scorer, holdout, client, model_name=model_name)
    if model_uri is None:
        model_uri = log_model(scorer, run_id=run_id, input_example=holdout).model_uri
    version = str(mlflow.register_model(model_uri, model_name).version)
    client.set_registered_model_alias(model_name, CHALLENGER, version)
    tags = {f"holdout_{key}": f"{scorer.metrics_[key]:.6f}" for key in ("roc_auc", "log_loss", "ece")}
    tags.update(model_family=scorer.model_name_, decision=decision["status"],
                champion_decision=decision["reason"][:500])
    if decision["blocked_by"]:
        tags["blocked_by"] = ",".join(decision["blocked_by"])
    if decision["leaks"]:
        tags["leak_columns"] = ",".join(leak["column"] for leak in decision["leaks"])[:500]
    for key in ("added", "removed"):
        if decision["schema"] and decision["schema"][key]:
            tags[f"schema_{key}"] = ",".join(decision["schema"][key])[:500]
    for key, value in tags.items():
        client.set_model_version_tag(model_name, version, key, value)
    if decision["promoted"]:
        promote(version, client=client, model_name=model_name)
    return {**decision, "version": version, "model_uri": f"models:/{model_name}/{version}"}


def _check_version(version: str, client: MlflowClient, model_name: str) -> str:
    version = str(version).lstrip("v")
    try:
        client.get_model_version(model_name, version)
    except MlflowException:
        raise ScoringInputError(
            f"model registry: '{model_name}' has no version {version!r}. Known versions: "
            f"{', '.join(_versions(client, model_name)) or 'none'}.") from None
    return version


def _versions(client: MlflowClient, model_name: str = MODEL_NAME) -> list[str]:
    try:
        found = client.search_model_versions(f"name='{model_name}'")
    except MlflowException:
        return []
    return sorted((str(v.version) for v in found), key=int)


def promote(version: str | int, client: MlflowClient | None = None, *,
            model_name: str = MODEL_NAME) -> dict:
    """Make ``version`` the champion of ``model_name``; remember the version it replaces for
    ``rollback``. A person's decision: no rule is checked (see :func:`decide` for the rules)."""
    client = client or _client()
    version = _check_version(str(version), client, model_name)
    previous = alias_version(CHAMPION, client, model_name=model_name)
    if previous == version:
        return {"model_name": model_name, "champion": version, "previous": previous, "changed": False}
    client.set_registered_model_alias(model_name, CHAMPION, version)
    if previous is not None:
        client.set_model_version_tag(model_name, version, "previous_champion", previous)
    history = _history(client, model_name) + [version]
    client.set_registered_model_tag(model_name, "champion_history", ",".join(history[-50:]))
    return {"model_name": model_name, "champion": version, "previous": previous, "changed": True}


def rollback(client: MlflowClient | None = None, *, model_name: str = MODEL_NAME) -> dict:
    """Give the champion alias of ``model_name`` back to the version it replaced."""
    client = client or _client()
    current = alias_version(CHAMPION, client, model_name=model_name)
    if current is None:
        raise ScoringInputError(f"model registry: '{model_name}' has no champion; nothing to roll back. "
                                f"Known versions: {', '.join(_versions(client, model_name)) or 'none'}.")
    tags = client.get_model_version(model_name, current).tags
    previous = tags.get("previous_champion")
    if not previous:
        raise ScoringInputError(
            f"model registry: champion v{current} of '{model_name}' replaced no earlier champion; "
            "nothing to roll back to. Hint: promote a version by hand.")
    client.set_registered_model_alias(model_name, CHAMPION, previous)
    client.set_model_version_tag(model_name, current, "rolled_back", "true")
    history = _history(client, model_name) + [previous]
    client.set_registered_model_tag(model_name, "champion_history", ",".join(history[-50:]))
    return {"model_name": model_name, "champion": previous, "rolled_back": current}


def _history(client: MlflowClient, model_name: str = MODEL_NAME) -> list[str]:
    try:
        tags = client.get_registered_model(model_name).tags
    except MlflowException:
        return []
    text = tags.get("champion_history", "")
    return [v for v in text.split(",") if v]


def load(uri: str = CHAMPION_URI) -> LeadScorer:
    """The fitted LeadScorer behind an MLflow model URI (``models:/lead-scoring@champion``,
    ``models:/renewal/3``, ``runs:/...``)."""
    # MLflow puts the model's code folder first on sys.path for good; this process runs its own
    # copy of the code already, and a long-running service would pile up stale folders.
    path = list(sys.path)
    try:
        model = mlflow.pyfunc.load_model(uri)
    except MlflowException as exc:
        raise ScoringInputError(
            f"model registry: cannot load {uri} ({str(exc).splitlines()[0][:200]}). Hint: train and register a "
            "model first, or set model_uri to one that exists.") from None
    finally:
        sys.path[:] = path
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
