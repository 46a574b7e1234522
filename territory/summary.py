"""The headline numbers of a territory plan, typed (what summary.json and MLflow carry)."""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any, Literal, Mapping

Status = Literal["optimal", "time_limit"]

# Fields that differ from run to run on the same inputs (wall-clock seconds).
RUN_TO_RUN = ("solve_seconds", "total_seconds")


@dataclass(frozen=True)
class TerritorySummary:
    """Headline numbers of one plan. Field names are the keys of the plan's summary.json.

    ``status``: "optimal" (every pool solved to within ``mip_gap``) or "time_limit" (the time
    limit stopped a solve: the plan is the best found, ``certified_gap`` says how far from the
    best possible it may be). ``solve_seconds`` and ``total_seconds`` are wall-clock times: they
    vary from run to run on the same inputs (see ``RUN_TO_RUN``); every other field is repeatable.
    """

    status: Status
    time_limited: bool                  # the time limit cut a solve or a best-effort search short
    best_effort_relaxed: bool           # best effort widened the tolerance of some pool
    objective: str                      # disruption | travel | mix
    objective_value: float              # solver objective summed over blocks (tie-break included)
    objective_bound: float              # proven lower bound on it (nan if unknown)
    certified_gap: float                # (value - bound) / value
    worst_deviation_pct: float          # largest |load - fair share| / fair share over reps, in %
    worst_deviation_before_pct: float   # the same for the current owners
    tolerance_requested: float
    tolerance_reached: float            # largest tolerance used in a pool (best effort widens it)
    max_moved_share: float | None       # the cap asked for
    max_moved_share_reached: float | None  # the cap used (best effort raises it), None if no cap
    moved_potential: float              # potential moved off current owners
    moved_share: float                  # ... as a share of total potential
    accounts_moved: int
    travel_cost: float | None           # None unless the objective is travel or mix
    solve_seconds: float                # wall clock of the solver phases (varies run to run)
    total_seconds: float                # wall clock of the whole call (varies run to run)
    solver: str
    engines: tuple[str, ...]
    pools: int
    blocks: int                         # solved pieces: pools, or one block when a cap couples them
    accounts: int
    reps: int
    eligible_pairs: int
    unassigned_owner_count: int         # accounts whose owner is not among the reps
    locked_without_owner_count: int     # locked accounts without a valid owner (lock ignored)
    over_assignment: float
    quota_spread: Mapping[str, Mapping[str, float]]  # segment -> min, max, max_over_min, quota_total
    notes: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values under the summary's keys (lists for tuples, dicts for maps)."""
        out: dict[str, Any] = {}
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if isinstance(value, tuple):
                value = list(value)
            elif isinstance(value, Mapping):
                value = {k: dict(v) if isinstance(v, Mapping) else v for k, v in value.items()}
            out[field.name] = value
        return out

    def metrics(self) -> dict[str, float]:
        """Finite numeric fields as floats (MLflow metrics); flags, text and None are left out."""
        out: dict[str, float] = {}
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                continue
            if math.isfinite(value):
                out[field.name] = float(value)
        return out
