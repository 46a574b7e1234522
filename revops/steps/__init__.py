"""The steps of the quarterly plan, one module each, wired by :mod:`revops.plan`.

A step module exposes ``TITLE``, ``REQUIRES`` (tables it cannot run without) and
``run(ctx: StepContext) -> StepOutcome``. A step whose tables are missing is skipped with a note.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from revops.config import PlanConfig
from revops.inputs import InputBundle
from revops.progress import Progress
from revops.report import Section


@dataclass
class StepContext:
    bundle: InputBundle
    config: PlanConfig
    out_dir: Path  # this step's folder inside the (temporary) plan folder
    as_of: pd.Timestamp
    plan_period: pd.Period  # the quarter being planned
    progress: Progress
    results: dict[str, "StepOutcome"] = field(default_factory=dict)  # earlier steps


@dataclass
class StepOutcome:
    summary: dict[str, Any] = field(default_factory=dict)  # headline numbers for summary.json
    section: Section | None = None
    data: dict[str, Any] = field(default_factory=dict)  # frames handed to later steps
    notes: list[str] = field(default_factory=list)
    status: str = "ok"  # ok | skipped


def load_step(name: str):
    """The step module, or None while the step is not built yet."""
    try:
        return importlib.import_module(f"revops.steps.{name}")
    except ModuleNotFoundError as exc:
        if exc.name == f"revops.steps.{name}":
            return None
        raise
