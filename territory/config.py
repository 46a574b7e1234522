"""The knobs of a territory plan: one frozen, validated object shared by the CLI and the plan file.

Constraints are data (pydantic ``Field`` bounds and ``Literal`` choices); an invalid value raises
``pydantic.ValidationError`` (a ``ValueError``) when the object is built. The hub derives CLI
flags, plan-file keys and MLflow parameters from these fields and their descriptions.
"""
from __future__ import annotations

from typing import Annotated, Literal

from pydantic import ConfigDict, Field, model_validator
from pydantic.dataclasses import dataclass

OBJECTIVES = ("disruption", "travel", "mix")
SOLVERS = ("highs", "cbc")
ENGINES = ("auto", "pulp", "highspy")

# From this many eligible pairs in a block, "auto" hands arrays straight to highspy (with the
# LP-rounded warm start): PuLP's per-column Python work costs about a minute per million
# variables, and without a start HiGHS spends seconds per pool in root cuts before its first
# good plan. Smaller blocks use the PuLP model itself.
FAST_PATH_MIN_PAIRS = 5_000


@dataclass(frozen=True, config=ConfigDict(extra="forbid"))
class TerritoryConfig:
    """Everything that shapes a territory plan apart from the data."""

    balance_tolerance: Annotated[float, Field(
        gt=0, lt=1, description="each rep's potential and workload stay within +/- this share of "
        "the rep's fair share of its pool (0.10: +/-10%)")] = 0.10
    objective: Annotated[Literal["disruption", "travel", "mix"], Field(
        description="what the plan minimises: potential moved off current owners (disruption), "
        "travel cost (from the costs table, else km from lat/lon), or a weighted mix")] = "disruption"
    disruption_weight: Annotated[float, Field(
        ge=0, description="weight of the moved share of potential in the 'mix' objective")] = 1.0
    travel_weight: Annotated[float, Field(
        ge=0, description="weight of the relative travel cost in the 'mix' objective")] = 1.0
    max_moved_share: Annotated[float | None, Field(
        ge=0, le=1, description="cap on the potential moved off current owners, as a share of "
        "total potential; None: no cap")] = None
    over_assignment: Annotated[float, Field(
        ge=0, description="quotas of a segment add up to its target x (1 + this)")] = 0.10
    quota_period: Annotated[str | None, Field(
        min_length=1, description="target period the quotas are set for (e.g. 2027Q1); None: "
        "every period of the targets table summed")] = None
    solver: Annotated[Literal["highs", "cbc"], Field(
        description="MILP solver: HiGHS (through PuLP or highspy) or CBC (through PuLP)")] = "highs"
    engine: Annotated[Literal["auto", "pulp", "highspy"], Field(
        description="how the model reaches HiGHS: the readable PuLP model, numpy arrays straight "
        "to highspy (same model, faster to build), or auto (arrays for large pools)")] = "auto"
    time_limit: Annotated[float | None, Field(
        gt=0, description="seconds for the whole solve, every pool and phase included; at the "
        "limit the best plan found is returned (status 'time_limit'); None: no limit")] = 600.0
    mip_gap: Annotated[float, Field(
        ge=0, le=1, description="relative optimality gap at which a solve stops (0.005: within "
        "0.5% of the best possible plan); a gap also makes runs repeatable")] = 0.005
    best_effort: Annotated[bool, Field(
        description="when no plan meets balance_tolerance (or max_moved_share), return the most "
        "balanced plan instead of an error, and say which tolerance (cap) it reached")] = True
    tie_break: Annotated[bool, Field(
        description="add a tiny fixed perturbation per (account, rep) so that equally good "
        "plans are told apart the same way on every run")] = True
    warm_start: Annotated[bool, Field(
        description="the highspy engine first hands HiGHS a plan rounded from the LP relaxation "
        "(a hint: same model and bound; it only finds a good plan sooner)")] = True
    healthy_attainment: Annotated[tuple[Annotated[float, Field(ge=0, le=1)],
                                        Annotated[float, Field(ge=0, le=1)]], Field(
        description="the healthy share of reps at or above quota, low,high (the plan warns when "
        "the share it expects falls outside)")] = (0.50, 0.75)
    n_jobs: Annotated[int, Field(
        ge=-1, description="pools solved at once in worker processes (joblib); 1: one after the "
        "other in this process; -1: one per CPU")] = 1
    backend: Annotated[Literal["local", "dask"], Field(
        description="where pools are solved: on this machine (local, n_jobs processes) or on "
        "the workers of a Dask cluster at scheduler (dask, every pool at once)")] = "local"
    scheduler: Annotated[str | None, Field(
        min_length=1, description="Dask scheduler address, e.g. tcp://10.0.0.5:8786 (backend "
        "dask only)")] = None

    @model_validator(mode="after")
    def _rules_across_fields(self) -> "TerritoryConfig":
        if self.objective == "mix" and self.disruption_weight + self.travel_weight <= 0:
            raise ValueError(
                "the 'mix' objective needs disruption_weight + travel_weight > 0; got "
                f"{self.disruption_weight!r} and {self.travel_weight!r}")
        if self.n_jobs == 0:
            raise ValueError("n_jobs must be 1 or more, or -1 for one job per CPU; got 0")
        if self.backend == "dask" and self.scheduler is None:
            raise ValueError("backend 'dask' needs a scheduler address, e.g. "
                             "scheduler='tcp://127.0.0.1:8786'")
        if self.backend != "dask" and self.scheduler is not None:
            raise ValueError(f"scheduler {self.scheduler!r} is only used with backend='dask'; "
                             f"got backend={self.backend!r}")
        return self
