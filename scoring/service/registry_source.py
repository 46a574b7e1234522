"""Models from the MLflow registry: read an alias, load a version with its registry facts."""
from __future__ import annotations

import datetime as dt
import os

from scoring.errors import ScoringInputError
from scoring.service.served import LeadScorerModel, ModelMeta


def _iso(millis: int | None) -> str | None:
    if not millis:
        return None
    return dt.datetime.fromtimestamp(millis / 1000, dt.timezone.utc).isoformat(timespec="seconds")


def parse_model_uri(uri: str) -> tuple[str | None, str | None, str | None]:
    """(name, alias, version) of ``models:/name@alias`` or ``models:/name/version``; else Nones."""
    if not uri.startswith("models:/"):
        return None, None, None
    body = uri.removeprefix("models:/").strip("/")
    if "@" in body:
        name, alias = body.split("@", 1)
        return name, alias, None
    name, _, version = body.partition("/")
    return name, None, version or None


class RegistrySource:
    """``current_version`` follows the alias in ``uri``; ``load`` builds a LeadScorerModel."""

    def __init__(self, uri: str, max_chars: int = 1000):
        self.uri = uri
        self.max_chars = max_chars
        self.generation = 0  # how many times the store was found replaced and reopened
        self.name, self.alias, self.version = parse_model_uri(uri)
        if self.name is None and not (uri.startswith("runs:/") or os.path.exists(uri)):
            raise ScoringInputError(
                f"model_uri {uri!r} is not a model URI. Expected models:/NAME@ALIAS (followed), "
                "models:/NAME/VERSION, runs:/RUN_ID/PATH or a local model folder.")

    def _client(self):
        from mlflow.tracking import MlflowClient

        from scoring.store import ensure_store

        # A long-running service: the store's file may have been deleted or replaced meanwhile
        # (make clean); one stat when it was not. Version numbers start again in a new store, so
        # the follower reloads on a new generation even when the number looks the same.
        if ensure_store().reopened:
            self.generation += 1
        return MlflowClient()

    def current_version(self) -> str | None:
        if self.alias is None:
            return self.version or self.uri
        from mlflow.exceptions import MlflowException

        try:
            return str(self._client().get_model_version_by_alias(self.name, self.alias).version)
        except MlflowException as exc:
            if "RESOURCE_DOES_NOT_EXIST" in str(getattr(exc, "error_code", "")) or "not found" in str(exc).lower():
                return None
            raise

    def load(self, version: str) -> LeadScorerModel:
        from scoring.registry import load

        if self.name is None:  # a run or a folder: no registry facts
            model = LeadScorerModel(load(self.uri), ModelMeta("lead-scoring", str(version), uri=self.uri),
                                    self.max_chars)
            model.warm_up()
            return model
        client = self._client()
        mv = client.get_model_version(self.name, version)
        trained_at = None
        if mv.run_id:
            try:
                trained_at = _iso(client.get_run(mv.run_id).info.start_time)
            except Exception:  # noqa: BLE001 - the run may have been deleted; the model still loads
                trained_at = None
        meta = ModelMeta(self.name, str(version), alias=self.alias, uri=f"models:/{self.name}/{version}",
                         run_id=mv.run_id, trained_at=trained_at or _iso(mv.creation_timestamp),
                         tags=dict(mv.tags or {}))
        model = LeadScorerModel(load(meta.uri), meta, self.max_chars)
        model.warm_up()
        return model
