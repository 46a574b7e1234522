"""Request and response models (pydantic): the documented contract of the endpoint.

The feature fields of a lead depend on the model being served, so ``Lead`` here only fixes
``lead_id``; :func:`scoring.service.openapi.build_openapi` replaces its schema with the served
model's fields (types, known categories) every time ``/openapi.json`` is asked for.
"""
from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class Lead(BaseModel):
    model_config = ConfigDict(extra="allow")
    lead_id: str | int = Field(description="echoed in the answer")


class ScoreRequest(BaseModel):
    leads: list[Lead] = Field(min_length=1, description="one lead or a batch, answered in order")


class Reason(BaseModel):
    feature: str
    value: str
    direction: Literal["+", "-"]
    contribution: float = Field(description="effect on the calibrated log-odds")


class LeadScore(BaseModel):
    lead_id: str | int
    probability: float = Field(ge=0, le=1, description="calibrated P(SQL)")
    score: int = Field(ge=0, le=100)
    tier: Literal["A", "B", "C", "D"]
    reasons: list[Reason]
    flags: list[str] = Field(description="missing:FIELD, unknown_category:FIELD")


class ModelRef(BaseModel):
    name: str
    version: str


class ScoreResponse(BaseModel):
    model: ModelRef
    scores: list[LeadScore]


class LeadRoute(LeadScore):
    rep_id: str | None = Field(description="the owner; null when nobody is eligible (rule 'unassigned')")
    pool: str = Field(description="segment/region of the territory rules, e.g. 'SMB/EMEA'")
    rule: Literal["account_owner", "round_robin", "unassigned"]
    unassigned_reason: str | None = None


class PlanRef(BaseModel):
    version: str


class RouteResponse(BaseModel):
    model: ModelRef
    plan: PlanRef
    routes: list[LeadRoute]


class Problem(BaseModel):
    path: str = Field(description="e.g. leads[3].employees")
    problem: str


class ErrorResponse(BaseModel):
    error: str
    message: str
    problems: list[Problem]


class Health(BaseModel):
    status: str


class Ready(BaseModel):
    status: str
    model: ModelRef | None = None
    plan: PlanRef | None = Field(default=None, description="with a territory plan: the one loaded")


class ModelInfo(BaseModel):
    model_config = ConfigDict(extra="allow")
    name: str
    version: str
    alias: str | None = None
    trained_at: str | None = None
    holdout_metrics: dict[str, Any] = {}
    schema_: dict[str, Any] = Field(default_factory=dict, alias="schema")
    last_reload_error: dict[str, Any] | None = None


ERRORS = {status: {"model": ErrorResponse, "description": text} for status, text in {
    400: "the body is not JSON", 401: "missing or wrong API key", 404: "no such rep in the territory plan",
    408: "the body did not arrive in time (the connection is closed)",
    413: "body or batch too large", 422: "a field is invalid (the path says which)",
    503: "no model loaded yet"}.items()}
