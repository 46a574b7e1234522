"""plan_territories: accounts + reps (+ costs, targets) -> a balanced, least-disruptive plan."""
from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from territory.config import TerritoryConfig
from territory.errors import TerritoryInputError
from territory.feasibility import invalid_locks, precheck
from territory.inputs import Inputs, check_inputs
from territory.objective import pair_costs
from territory.pools import Instance, build_instance
from territory.problem import BlockProblem, BlockSolution
from territory.quotas import quota_spread, quotas, segment_targets
from territory.report import (assignments_frame, move_reasons, rep_frame,
                              worst_deviation_pct)
from territory.solve import (TOLERANCE_NUDGE, Clock, blocks_for, diagnose, least_moved,
                             minimise_tolerance, raise_infeasible, solve_blocks)


@dataclass
class TerritoryPlan:
    """A solved plan: who gets which account, how balanced, what moved, quotas, solver facts."""

    assignments: pd.DataFrame
    rep_summary: pd.DataFrame
    pool_summary: pd.DataFrame
    summary: dict[str, Any]
    config: TerritoryConfig
    notes: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        return str(self.summary["status"])

    @property
    def gap(self) -> float:
        return float(self.summary["certified_gap"])


def _relax_pool(inst: Instance, coef: np.ndarray, moved: np.ndarray, pool: int,
                tolerance: np.ndarray, config: TerritoryConfig, clock: Clock) -> None:
    best = minimise_tolerance(inst, coef, moved, pool, config, clock.remaining())
    if not best.has_solution:
        raise TerritoryInputError(
            f"pool {inst.pool_names[pool]}: no plan found for best effort within the time limit "
            f"({best.status}). Hint: raise --time-limit.")
    tolerance[pool] = max(tolerance[pool], best.tolerance * (1 + TOLERANCE_NUDGE) + TOLERANCE_NUDGE)


def _solve(inst: Instance, coef: np.ndarray, moved: np.ndarray, config: TerritoryConfig,
           clock: Clock) -> tuple[list[BlockProblem], list[BlockSolution], np.ndarray, float | None]:
    """Solve at the requested tolerance; with best effort, relax only what must be relaxed."""
    tolerance = np.full(inst.n_pools, config.balance_tolerance)
    total = float(inst.potential.sum())
    cap = None if config.max_moved_share is None else config.max_moved_share * total
    early = precheck(inst, tolerance)
    if early and not config.best_effort:
        raise_infeasible([r for p in sorted(early) for r in early[p]])
    for p in sorted(early):
        _relax_pool(inst, coef, moved, p, tolerance, config, clock)
    blocks = blocks_for(inst, coef, moved, tolerance, cap)
    solutions = solve_blocks(blocks, config, clock)
    failed = [b for b, s in zip(blocks, solutions) if s.status == "infeasible"]
    if failed and not config.best_effort:
        raise_infeasible([r for b in failed
                          for r in diagnose(inst, coef, moved, b, tolerance, config, clock)])
    if failed:
        # Pools infeasible on their own get the smallest tolerance they can reach ...
        pools = [p for b in failed for p in b.pools]
        alone = solve_blocks(blocks_for(inst, coef, moved, tolerance, None, pools), config, clock)
        for p, s in zip(pools, alone):
            if s.status == "infeasible":
                _relax_pool(inst, coef, moved, p, tolerance, config, clock)
        blocks = blocks_for(inst, coef, moved, tolerance, cap)
        solutions = solve_blocks(blocks, config, clock)
        if cap is not None and solutions[0].status == "infeasible":
            # ... and a moved-share cap below what any balanced plan needs becomes that least.
            cap = least_moved(inst, moved, tolerance, config, clock) * (1 + TOLERANCE_NUDGE) + 1e-9
            blocks = blocks_for(inst, coef, moved, tolerance, cap)
            solutions = solve_blocks(blocks, config, clock)
    for b, s in zip(blocks, solutions):
        if not s.has_solution:
            names = ", ".join(inst.pool_names[p] for p in b.pools)
            raise TerritoryInputError(
                f"pool(s) {names}: the solver found no plan ({s.status}) within the time limit. "
                "Hint: raise --time-limit.")
    return blocks, solutions, tolerance, cap


def _gap(objective: float, bound: float) -> float:
    if not np.isfinite(bound):
        return float("nan")
    diff = max(objective - bound, 0.0)
    return 0.0 if diff <= 1e-9 else diff / max(abs(objective), 1e-9)


def plan_territories(accounts: pd.DataFrame, reps: pd.DataFrame, costs: pd.DataFrame | None = None,
                     targets: pd.DataFrame | None = None, config: TerritoryConfig | None = None,
                     **overrides: Any) -> TerritoryPlan:
    """Assign every account to one eligible rep, balanced within each pool; set quotas.

    ``config`` (or keyword overrides such as ``balance_tolerance=0.15``) holds the knobs.
    Raises TerritoryInputError for bad tables and TerritoryInfeasibleError, naming the pool and
    bound, when no plan exists (unless ``best_effort``).
    """
    config = dataclasses.replace(config or TerritoryConfig(), **overrides)
    started = time.perf_counter()
    inputs = check_inputs(accounts, reps, costs, targets)
    return plan_from_inputs(inputs, config, started)


def plan_from_inputs(inputs: Inputs, config: TerritoryConfig,
                     started: float | None = None) -> TerritoryPlan:
    started = time.perf_counter() if started is None else started
    inst = build_instance(inputs)
    fatal = invalid_locks(inst)
    if fatal:
        raise_infeasible(fatal)
    coef, moved, travel = pair_costs(inst, config, inputs.costs)
    clock = Clock(config.time_limit)
    solve_start = time.perf_counter()
    blocks, solutions, tolerance, cap = _solve(inst, coef, moved, config, clock)
    solve_seconds = time.perf_counter() - solve_start

    choice = np.full(len(inst.accounts), -1, np.int64)
    for b, s in zip(blocks, solutions):
        choice[b.acc] = b.rep[s.choice]
    # The chosen pair of each account, for its moved potential and travel cost.
    n_rep = len(inst.reps)
    codes = inst.pair_acc * n_rep + inst.pair_rep
    order = np.argsort(codes, kind="stable")
    chosen_pair = order[np.searchsorted(codes[order], np.arange(len(inst.accounts)) * n_rep + choice)]

    reasons = move_reasons(inst, choice, tolerance, codes, config.objective)
    assignments = assignments_frame(inst, choice, reasons)
    rep_summary = rep_frame(inst, choice, tolerance)
    spread: dict[str, dict[str, float]] = {}
    if inputs.targets is not None:
        seg_targets = segment_targets(inputs.targets, config.quota_period)
        q = quotas(rep_summary, seg_targets, config.over_assignment)
        rep_summary = rep_summary.merge(q, on="rep_id", how="left")
        spread = quota_spread(rep_summary)
    else:
        rep_summary["quota"] = np.nan
        rep_summary["quota_per_potential"] = np.nan

    objective = float(sum(s.objective for s in solutions))
    bound = float(sum(s.bound for s in solutions))
    total = float(inst.potential.sum())
    moved_potential = float(moved[chosen_pair].sum()) if chosen_pair.size else 0.0
    statuses = {s.status for s in solutions}
    relaxed = bool(np.any(tolerance > config.balance_tolerance))
    pool_summary = pd.DataFrame([{
        "pool": ", ".join(inst.pool_names[p] for p in b.pools),
        "accounts": int(b.acc.size), "reps": int(b.rep.size), "pairs": b.n_pairs,
        "tolerance_pct": 100.0 * float(max(tolerance[p] for p in b.pools)),
        "status": s.status, "objective": s.objective, "bound": s.bound,
        "gap": _gap(s.objective, s.bound), "seconds": s.seconds, "engine": s.engine,
    } for b, s in zip(blocks, solutions)])
    notes = []
    if inputs.unknown_owner_accounts:
        notes.append(f"{len(inputs.unknown_owner_accounts)} account(s) name an owner that is not "
                     f"among the reps and were treated as unassigned, e.g. "
                     f"{', '.join(inputs.unknown_owner_accounts[:5])}")
    if inputs.locked_without_owner:
        notes.append(f"{len(inputs.locked_without_owner)} locked account(s) have no valid owner; "
                     "their lock was ignored")
    if relaxed:
        notes.append(f"best effort: tolerance widened to {tolerance.max():.2%} in "
                     f"{int(np.sum(tolerance > config.balance_tolerance))} pool(s)")
    summary = {
        "status": "optimal" if statuses == {"optimal"} else "feasible",
        "time_limited": statuses != {"optimal"},
        "best_effort_relaxed": relaxed,
        "objective": config.objective,
        "objective_value": objective,
        "objective_bound": bound,
        "certified_gap": _gap(objective, bound),
        "worst_deviation_pct": worst_deviation_pct(rep_summary),
        "worst_deviation_before_pct": worst_deviation_pct(rep_summary, before=True),
        "tolerance_requested": config.balance_tolerance,
        "tolerance_reached": float(tolerance.max()) if tolerance.size else config.balance_tolerance,
        "max_moved_share": config.max_moved_share,
        "max_moved_share_reached": None if cap is None else cap / max(total, 1e-12),
        "moved_potential": moved_potential,
        "moved_share": moved_potential / total if total > 0 else 0.0,
        "accounts_moved": int(assignments["moved"].sum()),
        "travel_cost": float(travel[chosen_pair].sum()) if travel is not None else None,
        "solve_seconds": solve_seconds,
        "total_seconds": time.perf_counter() - started,
        "solver": config.solver,
        "engines": sorted({s.engine for s in solutions}),
        "pools": int(inst.n_pools),
        "blocks": len(blocks),
        "accounts": int(len(inst.accounts)),
        "reps": int(len(inst.reps)),
        "eligible_pairs": int(inst.pair_acc.size),
        "unassigned_owner_count": len(inputs.unknown_owner_accounts),
        "locked_without_owner_count": len(inputs.locked_without_owner),
        "over_assignment": config.over_assignment,
        "quota_spread": spread,
        "notes": notes,
    }
    return TerritoryPlan(assignments=assignments, rep_summary=rep_summary,
                         pool_summary=pool_summary, summary=summary, config=config, notes=notes)
