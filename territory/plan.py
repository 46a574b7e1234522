"""plan_territories: accounts + reps (+ costs, targets) -> a balanced, least-disruptive plan."""
from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import pandas as pd

from territory.config import TerritoryConfig
from territory.feasibility import invalid_locks
from territory.inputs import Inputs, check_inputs
from territory.objective import pair_costs
from territory.pools import PoolMap, build_instance, cluster_map
from territory.quotas import quota_spread, quotas, segment_targets
from territory.report import (assignments_frame, move_reasons, rep_frame,
                              worst_deviation_pct)
from territory.scaling import model_numbers
from territory.search import search_plan
from territory.solve import Deadline, gap, no_progress, raise_infeasible
from territory.summary import TerritorySummary


@dataclass
class TerritoryPlan:
    """A solved plan: who gets which account, how balanced, what moved, quotas, solver facts."""

    assignments: pd.DataFrame
    rep_summary: pd.DataFrame
    pool_summary: pd.DataFrame
    summary: TerritorySummary
    config: TerritoryConfig
    notes: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        return self.summary.status

    @property
    def gap(self) -> float:
        return self.summary.certified_gap


def plan_territories(accounts: pd.DataFrame, reps: pd.DataFrame, costs: pd.DataFrame | None = None,
                     targets: pd.DataFrame | None = None, config: TerritoryConfig | None = None,
                     progress: Callable[[str], None] | None = None,
                     executor: PoolMap | None = None, **overrides: Any) -> TerritoryPlan:
    """Assign every account to one eligible rep, balanced within each pool; set quotas.

    ``config`` (or keyword overrides of its fields, e.g. ``balance_tolerance=0.15``) holds the
    knobs; ``config.time_limit`` bounds the whole call, every pool and phase included.
    ``progress`` receives a short line per pool and phase (e.g. "pool Enterprise/West: 120
    accounts, 6 reps: solved in 1.2 s, gap 0.3%"); the solvers themselves never print.

    Raises TerritoryInputError for bad tables or numbers the solver cannot resolve,
    TerritoryInfeasibleError (naming the pool and bound) when no plan exists and ``best_effort``
    is off, and TerritoryTimeLimitError when the time limit leaves some pool without any plan.
    A KeyboardInterrupt stops the solver at once and propagates.

    ``executor``: a map-like callable (``executor(func, *lists)`` -> results in order) that
    solves independent pools, e.g. on a cluster; None: ``config.n_jobs`` on this machine, or,
    with ``config.backend == "dask"``, the workers of the cluster at ``config.scheduler``.
    The plan is the same wherever the pools are solved.
    """
    config = dataclasses.replace(config or TerritoryConfig(), **overrides)
    started = time.perf_counter()
    inputs = check_inputs(accounts, reps, costs, targets)
    if executor is None and config.backend == "dask":
        with cluster_map(config.scheduler) as pool_map:
            return plan_from_inputs(inputs, config, started, progress, pool_map)
    return plan_from_inputs(inputs, config, started, progress, executor)


def plan_from_inputs(inputs: Inputs, config: TerritoryConfig, started: float | None = None,
                     progress: Callable[[str], None] | None = None,
                     executor: PoolMap | None = None) -> TerritoryPlan:
    started = time.perf_counter() if started is None else started
    say = progress or no_progress
    deadline = Deadline(config.time_limit)
    inst = build_instance(inputs)
    fatal = invalid_locks(inst)
    if fatal:
        raise_infeasible(fatal)
    coef, moved, travel = pair_costs(inst, config, inputs.costs)
    numbers = model_numbers(inst, moved, config.balance_tolerance)
    say(f"{len(inst.accounts)} accounts, {len(inst.reps)} reps in {inst.n_pools} pool(s); "
        + ("no time limit" if config.time_limit is None else f"time limit {config.time_limit:g} s"))
    solve_start = time.perf_counter()
    outcome = search_plan(inst, coef, moved, numbers, config, deadline, say, executor)
    solve_seconds = time.perf_counter() - solve_start
    blocks, solutions, tolerance, cap = (outcome.blocks, outcome.solutions, outcome.tolerance,
                                         outcome.cap)

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
    unit = float(sum(b.objective_unit for b in blocks))
    total = float(inst.potential.sum())
    moved_potential = float(moved[chosen_pair].sum()) if chosen_pair.size else 0.0
    optimal = all(s.status == "optimal" for s in solutions) and not outcome.time_limited
    relaxed = bool(np.any(tolerance > config.balance_tolerance))
    pool_summary = pd.DataFrame([{
        "pool": ", ".join(inst.pool_names[p] for p in b.pools),
        "accounts": int(b.acc.size), "reps": int(b.rep.size), "pairs": b.n_pairs,
        "tolerance_pct": 100.0 * float(max(tolerance[p] for p in b.pools)),
        "status": s.status, "objective": s.objective, "bound": s.bound,
        "gap": gap(s.objective, s.bound, b.objective_unit), "seconds": s.seconds, "engine": s.engine,
    } for b, s in zip(blocks, solutions)])
    notes = []
    if inputs.unknown_owner_accounts:
        notes.append(f"{len(inputs.unknown_owner_accounts)} account(s) name an owner that is not "
                     f"among the reps and were treated as unassigned, e.g. "
                     f"{', '.join(inputs.unknown_owner_accounts[:5])}")
    if inputs.locked_without_owner:
        notes.append(f"{len(inputs.locked_without_owner)} locked account(s) have no valid owner; "
                     "their lock was ignored")
    if numbers.hidden_accounts:
        notes.append(f"{len(numbers.hidden_accounts)} account(s) have a potential or workload "
                     "below what the solver resolves (1e-9 of their pool's mean fair share), "
                     f"e.g. {', '.join(numbers.hidden_accounts[:3])}; the solver saw them as 0 "
                     "and the upper bounds were lowered by their total, so every rule still holds")
    if relaxed:
        notes.append(f"best effort: tolerance widened to {tolerance.max():.2%} in "
                     f"{int(np.sum(tolerance > config.balance_tolerance))} pool(s)")
    notes += outcome.notes
    if not optimal:
        notes.append("the time limit stopped the solver: the plan is the best found, within "
                     f"{gap(objective, bound, unit):.1%} of the best possible"
                     if np.isfinite(gap(objective, bound, unit)) else
                     "the time limit stopped the solver: the plan is the best found")
    say(f"plan {'optimal' if optimal else 'stopped at the time limit'}: "
        f"{int(assignments['moved'].sum())} accounts moved, solver time {solve_seconds:.1f} s")
    summary = TerritorySummary(
        status="optimal" if optimal else "time_limit",
        time_limited=not optimal,
        best_effort_relaxed=relaxed,
        objective=config.objective,
        objective_value=objective,
        objective_bound=bound,
        certified_gap=gap(objective, bound, unit),
        worst_deviation_pct=worst_deviation_pct(rep_summary),
        worst_deviation_before_pct=worst_deviation_pct(rep_summary, before=True),
        tolerance_requested=config.balance_tolerance,
        tolerance_reached=float(tolerance.max()) if tolerance.size else config.balance_tolerance,
        max_moved_share=config.max_moved_share,
        max_moved_share_reached=None if cap is None else cap / max(total, 1e-300),
        moved_potential=moved_potential,
        moved_share=moved_potential / total if total > 0 else 0.0,
        accounts_moved=int(assignments["moved"].sum()),
        travel_cost=float(travel[chosen_pair].sum()) if travel is not None else None,
        solve_seconds=solve_seconds,
        total_seconds=time.perf_counter() - started,
        solver=config.solver,
        engines=tuple(sorted({s.engine for s in solutions})),
        pools=int(inst.n_pools),
        blocks=len(blocks),
        accounts=int(len(inst.accounts)),
        reps=int(len(inst.reps)),
        eligible_pairs=int(inst.pair_acc.size),
        unassigned_owner_count=len(inputs.unknown_owner_accounts),
        locked_without_owner_count=len(inputs.locked_without_owner),
        over_assignment=config.over_assignment,
        quota_spread=spread,
        notes=tuple(notes),
    )
    return TerritoryPlan(assignments=assignments, rep_summary=rep_summary,
                         pool_summary=pool_summary, summary=summary, config=config, notes=notes)
