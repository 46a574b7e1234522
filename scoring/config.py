"""The knobs a user sets to train a lead model, checked once at construction.

The hub derives the ``revops score train`` flags, the ``[scoring]`` keys of the plan file and the
MLflow parameters from this object, so the command and the plan share one set of defaults.
:meth:`scoring.LeadScorer.from_config` builds the estimator from it.
"""
from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BeforeValidator, ConfigDict, Field, field_validator, model_validator
from pydantic.dataclasses import dataclass

CandidateName = Literal["logistic_regression", "gradient_boosting"]
# A registered model's name (lead-scoring, renewal, opportunity-win): what MLflow accepts in a
# models:/NAME@ALIAS URI without quoting.
MODEL_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"
Score = Annotated[float, Field(ge=0, le=100)]


def _label_values(value: object) -> object:
    # One value or several; a plan file may write a label value as a number (positive = 1).
    # Text is comma-separated, as on the command line: "Qualified,Converted".
    if isinstance(value, str):
        value = tuple(part.strip() for part in value.split(","))
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        value = (value,)
    if isinstance(value, (list, tuple)):
        return tuple(str(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v
                     for v in value)
    return value


Labels = tuple[Annotated[str, Field(min_length=1)], ...]


@dataclass(frozen=True, config=ConfigDict(extra="forbid"))
class ScoringConfig:
    """How to train the lead model: which columns mean what, and how tiers are cut."""

    target: Annotated[str, Field(
        min_length=1, description="label column: SQL or not (empty = lead still open)")] = "is_sql"
    # Several values each (a Salesforce Status: Qualified / Unqualified / Working). A value in
    # neither list is an open lead: scored, never trained on, counted.
    positive: Annotated[Labels | None, BeforeValidator(_label_values), Field(
        description="label value(s) that mean SQL; None: 1/true/yes (or the one value "
        "not in negative)")] = None
    negative: Annotated[Labels | None, BeforeValidator(_label_values), Field(
        description="label value(s) that mean not an SQL; values in neither positive nor "
        "negative are open leads; None: 0/false/no (or the one value not in positive)")] = None
    id_column: Annotated[str, Field(
        min_length=1, description="column identifying each lead once")] = "lead_id"
    # The model scores leads created after training, so the honest holdout is the newest leads
    # (a random holdout mixes past and future and flatters the model when conversion drifts).
    # created_at is the canonical column of the leads contract; an export without it must name
    # its creation-date column or say None (a stratified random holdout): a time column that is
    # absent is an error naming time_column, never a silent switch to a random holdout.
    time_column: Annotated[str | None, Field(
        min_length=1, description="lead creation date column: the holdout is then the newest leads; "
        "None: a stratified random holdout")] = "created_at"
    exclude: Annotated[tuple[Annotated[str, Field(min_length=1)], ...], Field(
        description="columns never used as features (e.g. filled in after the outcome)")] = ()
    tier_thresholds: Annotated[tuple[Score, ...] | None, Field(
        min_length=3, max_length=3, description="score cut-offs A,B,C on 0-100, A >= B >= C; None: top 10% A, next 20% B, "
        "next 30% C of the holdout")] = None
    calibration: Annotated[Literal["sigmoid", "isotonic"], Field(
        description="how raw model scores become probabilities")] = "sigmoid"
    candidates: Annotated[tuple[CandidateName, ...], Field(
        min_length=1, description="model families compared on the holdout (the lower log loss "
        "wins)")] = ("logistic_regression", "gradient_boosting")
    threads: Annotated[int | None, Field(
        ge=1, description="CPU threads while training; None: half the CPUs this process may use, "
        "at least 1 (all of them oversubscribe a machine shared with other busy processes)")] = None

    @field_validator("tier_thresholds")
    @classmethod
    def _tiers_decrease(cls, value: tuple[float, ...] | None) -> tuple[float, ...] | None:
        if value is not None and not value[0] >= value[1] >= value[2]:
            raise ValueError(f"tier_thresholds must be A >= B >= C (tier A is the best); got {value!r}")
        return value

    @field_validator("candidates")
    @classmethod
    def _candidates_once(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if len(set(value)) != len(value):
            raise ValueError(f"candidates names a model family twice: {value!r}")
        return value

    @field_validator("positive", "negative", mode="after")
    @classmethod
    def _labels_once(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        # (min_length on an optional field would also be applied to None)
        if value is not None and not value:
            raise ValueError("names no label value; give one or more, or None")
        if value is not None and len({v.strip().lower() for v in value}) != len(value):
            raise ValueError(f"names a label value twice: {value!r}")
        return value

    @model_validator(mode="after")
    def _labels_apart(self) -> "ScoringConfig":
        both = sorted({v.strip().lower() for v in self.positive or ()}
                      & {v.strip().lower() for v in self.negative or ()})
        if both:
            raise ValueError(f"positive and negative both name {', '.join(map(repr, both))}; a label "
                             "value means SQL or not, never both")
        return self

    @model_validator(mode="after")
    def _time_column_kept(self) -> "ScoringConfig":
        if self.time_column is not None and self.time_column in self.exclude:
            # The time column orders the holdout, so the model must be able to read it.
            raise ValueError(f"exclude names '{self.time_column}', the time_column; set "
                             "time_column to None for a random holdout instead")
        return self
