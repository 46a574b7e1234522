"""Solve blocks under one deadline: pick the engine, share the time left, report progress.

Blocks are pools (independent without a moved-share cap) or the whole plan (with one).
Engines: the PuLP model (reference; HiGHS or CBC) or the highspy arrays path (same model).
Every solve of a plan, whatever its phase, takes its time limit from one Deadline, so the whole
plan_territories call ends within ``time_limit`` (plus the time to build models and tables).
"""
from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from typing import Callable

import numpy as np

from territory.config import FAST_PATH_MIN_PAIRS, TerritoryConfig
from territory.errors import TerritoryInfeasibleError
from territory.fast import solve_block_highspy
from territory.feasibility import MEASURES, single_measure, worst_rep
from territory.model import solve_block_pulp
from territory.pools import Instance, PoolMap
from territory.problem import BlockProblem, BlockSolution, block_problem
from territory.scaling import ModelNumbers

# Best effort solves at the tolerance it found, nudged up so rounding cannot make it infeasible.
TOLERANCE_NUDGE = 1e-6

Progress = Callable[[str], None]


def no_progress(message: str) -> None:
    """The default progress callback: says nothing."""


@dataclass
class Deadline:
    """The time left for a whole plan; ``limit`` None means no limit."""

    limit: float | None
    start: float = dataclasses.field(default_factory=time.monotonic)

    def remaining(self) -> float | None:
        if self.limit is None:
            return None
        return max(self.limit - (time.monotonic() - self.start), 0.0)

    def expired(self) -> bool:
        left = self.remaining()
        return left is not None and left <= 0.0

    def at(self) -> float | None:
        """The deadline as a time.monotonic value (None: no limit)."""
        return None if self.limit is None else self.start + self.limit


def engine_for(block: BlockProblem, config: TerritoryConfig) -> str:
    if config.solver == "cbc" or config.engine == "pulp":
        return "pulp"
    if config.engine == "highspy":
        return "highspy"
    return "highspy" if block.n_pairs >= FAST_PATH_MIN_PAIRS else "pulp"


def solve_block(block: BlockProblem, config: TerritoryConfig,
                time_limit: float | None) -> BlockSolution:
    """Solve one block; objective and bound come back in the objective's own unit.

    ``time_limit`` 0 means no time is left: nothing is solved and the status is "no_solution".
    """
    engine = engine_for(block, config)
    if time_limit is not None and time_limit <= 0:
        return BlockSolution(status="no_solution", choice=np.full(block.acc.size, -1, np.int64),
                             objective=float("nan"), bound=float("nan"), seconds=0.0,
                             solver=config.solver, engine=engine)
    if engine == "highspy":
        solution = solve_block_highspy(block, time_limit, config.mip_gap,
                                       warm_start=config.warm_start)
    else:
        solution = solve_block_pulp(block, config.solver, time_limit, config.mip_gap)
    if block.objective_unit == 1.0:
        return solution
    return dataclasses.replace(solution, objective=solution.objective * block.objective_unit,
                               bound=solution.bound * block.objective_unit)


def block_name(inst: Instance, block: BlockProblem) -> str:
    return ", ".join(inst.pool_names[p] for p in block.pools)


def gap(objective: float, bound: float, unit: float = 1.0) -> float:
    """Relative gap (objective - bound) / objective; 0 within rounding, NaN without a bound."""
    if not (np.isfinite(bound) and np.isfinite(objective)):
        return float("nan")
    diff = max(objective - bound, 0.0)
    scale = max(abs(objective), 1e-12 * abs(unit))
    return 0.0 if diff <= 1e-9 * max(scale, abs(bound)) else diff / scale


def describe(inst: Instance, block: BlockProblem, solution: BlockSolution, phase: str = "") -> str:
    """One line of progress: which pool, how big, what the solver said, how long."""
    what = f" ({phase})" if phase else ""
    head = (f"pool {block_name(inst, block)}{what}: {block.acc.size} accounts, "
            f"{block.rep.size} reps")
    tol = float(np.max(block.tolerance)) if block.tolerance.size else 0.0
    if solution.status == "optimal":
        g = gap(solution.objective, solution.bound, block.objective_unit)
        tail = f"solved in {solution.seconds:.1f} s" + (f", gap {g:.1%}" if np.isfinite(g) else "")
    elif solution.status == "feasible":
        g = gap(solution.objective, solution.bound, block.objective_unit)
        tail = (f"time limit reached after {solution.seconds:.1f} s with a plan"
                + (f", gap {g:.1%}" if np.isfinite(g) else ""))
    elif solution.status == "infeasible":
        under = "" if block.moved_cap is None else " under the moved-potential cap"
        tail = f"no plan within +/-{tol:.1%}{under} (proven in {solution.seconds:.1f} s)"
    else:
        tail = f"no plan found before the time limit ({solution.seconds:.1f} s)"
    if block.minimise_tolerance and solution.has_solution:
        tail += f"; smallest tolerance {solution.tolerance:.1%}"
    return f"{head}: {tail}"


def solve_blocks(inst: Instance, blocks: list[BlockProblem], config: TerritoryConfig,
                 deadline: Deadline, progress: Progress = no_progress, phase: str = "",
                 reserve: float = 0.0, executor: PoolMap | None = None) -> list[BlockSolution]:
    """Solve each block with a share of the time left (minus ``reserve`` seconds kept back for
    later phases); in parallel (joblib) when ``config.n_jobs`` asks for it, or all at once
    through ``executor`` (a map-like callable, e.g. on a Dask cluster's workers)."""
    sizes = [max(b.n_pairs, 1) for b in blocks]

    def budget() -> float | None:
        left = deadline.remaining()
        return None if left is None else max(left - reserve, 0.0)

    if executor is not None and len(blocks) > 1:
        total, rest = sum(sizes), budget()
        # every block at once: each may use the time its share of the work would take in turn
        limits = [None if rest is None else min(rest, rest * s * len(blocks) / total) for s in sizes]
        solutions = list(executor(solve_block, blocks, [config] * len(blocks), limits))
        for block, solution in zip(blocks, solutions):
            progress(describe(inst, block, solution, phase))
        return solutions

    if config.n_jobs != 1 and len(blocks) > 1:
        from joblib import Parallel, delayed

        total = sum(sizes)
        rest = budget()
        jobs = len(blocks) if config.n_jobs < 0 else config.n_jobs
        limits = [None if rest is None else min(rest, rest * s * jobs / total) for s in sizes]
        results = Parallel(n_jobs=config.n_jobs, return_as="generator")(
            delayed(solve_block)(b, config, lim) for b, lim in zip(blocks, limits))
        solutions = []
        for block, solution in zip(blocks, results):
            solutions.append(solution)
            progress(describe(inst, block, solution, phase))
        return solutions
    solutions = []
    remaining = sum(sizes)
    for block, size in zip(blocks, sizes):
        rest = budget()
        limit = None if rest is None else rest * size / max(remaining, 1)
        solution = solve_block(block, config, limit)
        solutions.append(solution)
        progress(describe(inst, block, solution, phase))
        remaining -= size
    return solutions


def blocks_for(inst: Instance, coef: np.ndarray, numbers: ModelNumbers, tolerance: np.ndarray,
               moved_cap: float | None, pools: list[int] | None = None) -> list[BlockProblem]:
    """One block per pool, or a single block when a moved-potential cap couples the pools.

    ``moved_cap``: in the solver's unit (ModelNumbers.moved_cap)."""
    pools = list(range(inst.n_pools)) if pools is None else pools
    if moved_cap is not None:
        return [block_problem(inst, coef, numbers, tuple(pools), tolerance, moved_cap)]
    return [block_problem(inst, coef, numbers, (p,), tolerance) for p in pools]


def minimise_tolerance(inst: Instance, coef: np.ndarray, numbers: ModelNumbers, pool: int,
                       config: TerritoryConfig, time_limit: float | None) -> BlockSolution:
    """The most balanced plan of one pool: min t with every rep within +/- t of its fair share."""
    block = block_problem(inst, coef, numbers, (pool,), np.zeros(inst.n_pools),
                          minimise_tolerance=True)
    return solve_block(block, config, time_limit)


def diagnose(inst: Instance, coef: np.ndarray, numbers: ModelNumbers, pools: list[int],
             tolerance: np.ndarray, config: TerritoryConfig, deadline: Deadline) -> list[str]:
    """Explain why each of ``pools`` (each proven infeasible alone) has no plan: which bound,
    how far off. Stops explaining, and says so, when the deadline passes."""
    reasons: list[str] = []
    probe = dataclasses.replace(config, n_jobs=1)
    for p in pools:
        name, tol = inst.pool_names[p], float(tolerance[p])
        text = f"pool {name}: no assignment keeps every rep within +/-{tol:.0%} of its fair share"
        alone = block_problem(inst, coef, numbers, (p,), tolerance)
        verdicts = [solve_block(single_measure(alone, m), probe, deadline.remaining()).status
                    for m in MEASURES]
        if any(v not in ("infeasible", "optimal", "feasible") for v in verdicts):
            reasons.append(f"{text} (the time limit stopped the explanation; raise time_limit "
                           "to learn which bound)")
            continue
        broken = [m for m, v in zip(MEASURES, verdicts) if v == "infeasible"]
        if len(broken) == 2:
            what = "potential, nor of workload (each on its own is already infeasible)"
        elif broken:
            other = "workload" if broken[0] == "potential" else "potential"
            what = f"{broken[0]} ({other} on its own would be feasible)"
        else:
            what = "potential and workload together (each on its own is feasible)"
        text = f"{text} of {what}"
        best = minimise_tolerance(inst, coef, numbers, p, probe, deadline.remaining())
        if best.has_solution:
            rep_id, measure, ratio = worst_rep(alone, best.choice)
            smallest = "the smallest tolerance that works" if best.status == "optimal" else \
                "a tolerance that works (the time limit stopped the search for the smallest)"
            text += (f"; {smallest} is {best.tolerance:.1%} (then rep {rep_id} is at "
                     f"{ratio:.0%} of its fair share of {measure})")
        reasons.append(text)
    return reasons


def raise_infeasible(reasons: list[str]) -> None:
    raise TerritoryInfeasibleError(
        reasons, hint="widen balance_tolerance, unlock accounts, add capacity, or set "
                      "best_effort=True for the most balanced plan that exists")
