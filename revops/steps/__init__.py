"""The steps of the quarterly plan, one module each, listed in :data:`revops.plan.PLAN_STEPS`.

A step module exposes ``STEP = Step(name, title, requires, run)``; ``run(ctx) -> StepOutcome``
reads earlier results from the typed :class:`PlanState` and records its own there. A step whose
tables are missing is skipped with a note. Steps compute with the engines and write with
:mod:`revops.artifacts`, the same writers the commands use.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import pandas as pd

from revops.config import PlanConfig
from revops.inputs import InputBundle
from revops.progress import Progress
from revops.report import Section

if TYPE_CHECKING:  # the engines' result types, imported only for the annotations
    from forecasting.api import ForecastResult
    from forecasting.combine import QuarterForecast
    from forecasting.pipeline import PipelineForecast
    from scoring.model import LeadScorer
    from territory import TerritoryPlan


@dataclass
class PendingModel:
    """A lead model trained by the plan, registered only once the whole plan has succeeded."""

    scorer: "LeadScorer"
    holdout: pd.DataFrame
    run_id: str  # the scoring step's MLflow run, where the model is logged


@dataclass
class PlanState:
    """What the steps hand to each other, typed (a later step reads, never writes, these)."""

    open_lead_scores: pd.DataFrame | None = None  # lead_id, probability of the still-open leads
    pending_model: PendingModel | None = None
    pending_renewal: PendingModel | None = None  # the renewal model (revenue step), registered at the end
    scoring_model: dict[str, Any] = field(default_factory=dict)  # how the leads were scored
    forecast: "ForecastResult | None" = None
    pipeline: "PipelineForecast | None" = None
    quarter: "QuarterForecast | None" = None  # the plan quarter's one forecast (both views combined)
    annual_run_rate: pd.Series | None = None  # a year of forecast bookings per segment
    funnel_totals: pd.DataFrame | None = None
    headcount: pd.DataFrame | None = None
    territory: "TerritoryPlan | None" = None


@dataclass
class StepContext:
    bundle: InputBundle
    config: PlanConfig
    out_dir: Path  # this step's folder inside the (temporary) plan folder
    as_of: pd.Timestamp
    plan_period: pd.Period  # the quarter being planned
    progress: Progress
    state: PlanState


@dataclass
class StepOutcome:
    summary: dict[str, Any] = field(default_factory=dict)  # headline numbers for summary.json
    section: Section | None = None
    notes: list[str] = field(default_factory=list)
    status: str = "ok"  # ok | skipped
    metrics: dict[str, float] = field(default_factory=dict)  # for MLflow (may vary run to run)


@dataclass(frozen=True)
class Step:
    name: str
    title: str
    requires: tuple[str, ...]  # tables it cannot run without
    run: Callable[[StepContext], StepOutcome]
