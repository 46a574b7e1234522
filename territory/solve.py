"""Solve the plan block by block, pick the engine, share the time limit, explain failures.

Blocks are pools (independent without a moved-share cap) or the whole plan (with one).
Engines: the PuLP model (reference; HiGHS or CBC) or the highspy arrays path (same model).
"""
from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass

import numpy as np

from territory.config import FAST_PATH_MIN_PAIRS, TerritoryConfig
from territory.errors import TerritoryInfeasibleError
from territory.feasibility import MEASURES, single_measure, worst_rep
from territory.fast import solve_block_highspy
from territory.model import solve_block_pulp
from territory.pools import Instance
from territory.problem import BlockProblem, BlockSolution, block_problem

# Best effort solves at the tolerance it found, nudged up so rounding cannot make it infeasible.
TOLERANCE_NUDGE = 1e-6


@dataclass
class Clock:
    """A shared time budget: each block gets the rest in proportion to its size."""

    limit: float | None
    start: float = dataclasses.field(default_factory=time.perf_counter)

    def remaining(self) -> float | None:
        if self.limit is None:
            return None
        return max(self.limit - (time.perf_counter() - self.start), 1.0)

    def share(self, size: int, remaining_size: int) -> float | None:
        rest = self.remaining()
        if rest is None:
            return None
        return max(rest * size / max(remaining_size, 1), 1.0)


def engine_for(block: BlockProblem, config: TerritoryConfig) -> str:
    if config.solver == "cbc" or config.engine == "pulp":
        return "pulp"
    if config.engine == "highspy":
        return "highspy"
    return "highspy" if block.n_pairs >= FAST_PATH_MIN_PAIRS else "pulp"


def solve_block(block: BlockProblem, config: TerritoryConfig,
                time_limit: float | None) -> BlockSolution:
    if engine_for(block, config) == "highspy":
        return solve_block_highspy(block, time_limit, config.mip_gap,
                                   warm_start=config.warm_start)
    return solve_block_pulp(block, config.solver, time_limit, config.mip_gap)


def solve_blocks(blocks: list[BlockProblem], config: TerritoryConfig,
                 clock: Clock) -> list[BlockSolution]:
    """Solve each block; in parallel (joblib) when ``config.n_jobs`` asks for it."""
    sizes = [max(b.n_pairs, 1) for b in blocks]
    if config.n_jobs != 1 and len(blocks) > 1:
        from joblib import Parallel, delayed

        total = sum(sizes)
        rest = clock.remaining()
        jobs = abs(config.n_jobs)
        limits = [None if rest is None else min(rest, max(rest * s * jobs / total, 1.0))
                  for s in sizes]
        return list(Parallel(n_jobs=config.n_jobs)(
            delayed(solve_block)(b, config, lim) for b, lim in zip(blocks, limits)))
    solutions = []
    remaining = sum(sizes)
    for block, size in zip(blocks, sizes):
        solutions.append(solve_block(block, config, clock.share(size, remaining)))
        remaining -= size
    return solutions


def blocks_for(inst: Instance, coef: np.ndarray, moved: np.ndarray, tolerance: np.ndarray,
               moved_cap: float | None, pools: list[int] | None = None) -> list[BlockProblem]:
    """One block per pool, or a single block when a moved-potential cap couples the pools."""
    pools = list(range(inst.n_pools)) if pools is None else pools
    if moved_cap is not None:
        return [block_problem(inst, coef, moved, tuple(pools), tolerance, moved_cap)]
    return [block_problem(inst, coef, moved, (p,), tolerance) for p in pools]


def minimise_tolerance(inst: Instance, coef: np.ndarray, moved: np.ndarray, pool: int,
                       config: TerritoryConfig, time_limit: float | None) -> BlockSolution:
    """The most balanced plan of one pool: min t with every rep within +/- t of its fair share."""
    block = block_problem(inst, coef, moved, (pool,), np.zeros(inst.n_pools),
                          minimise_tolerance=True)
    return solve_block(block, config, time_limit)


def diagnose(inst: Instance, coef: np.ndarray, moved: np.ndarray, failed: BlockProblem,
             tolerance: np.ndarray, config: TerritoryConfig, clock: Clock) -> list[str]:
    """Explain an infeasible block: which pool, which bound, how far off; or the moved cap."""
    reasons: list[str] = []
    probe = dataclasses.replace(config, time_limit=None)
    for p in failed.pools:
        alone = block_problem(inst, coef, moved, (p,), tolerance)
        if solve_block(alone, probe, clock.remaining()).status != "infeasible":
            continue
        name, tol = inst.pool_names[p], float(tolerance[p])
        broken = [m for m in MEASURES
                  if solve_block(single_measure(alone, m), probe, clock.remaining()).status
                  == "infeasible"]
        if len(broken) == 2:
            what = "potential, nor of workload (each on its own is already infeasible)"
        elif broken:
            other = "workload" if broken[0] == "potential" else "potential"
            what = f"{broken[0]} ({other} on its own would be feasible)"
        else:
            what = "potential and workload together (each on its own is feasible)"
        best = minimise_tolerance(inst, coef, moved, p, probe, clock.remaining())
        text = (f"pool {name}: no assignment keeps every rep within +/-{tol:.0%} of its fair "
                f"share of {what}")
        if best.has_solution:
            rep_id, measure, ratio = worst_rep(
                block_problem(inst, coef, moved, (p,), tolerance), best.choice)
            text += (f"; the smallest tolerance that works is {best.tolerance:.1%} (then rep "
                     f"{rep_id} is at {ratio:.0%} of its fair share of {measure})")
        reasons.append(text)
    if not reasons and failed.moved_cap is not None:
        least = least_moved(inst, moved, tolerance, config, clock)
        total = max(float(inst.potential.sum()), 1e-12)
        reasons.append(
            f"the cap on moved potential ({failed.moved_cap / total:.1%} of total potential, "
            f"{failed.moved_cap:,.1f}) is below the least any balanced plan moves: "
            f"{least / total:.1%} ({least:,.1f})")
    if not reasons:
        reasons.append("the solver reported the plan infeasible but no single pool or bound "
                       "explains it (numerical trouble?); try --best-effort")
    return reasons


def least_moved(inst: Instance, moved: np.ndarray, tolerance: np.ndarray,
                config: TerritoryConfig, clock: Clock) -> float:
    """Least potential any plan within ``tolerance`` must move (pool by pool, no cap)."""
    blocks = blocks_for(inst, moved, moved, tolerance, None)
    solutions = solve_blocks(blocks, dataclasses.replace(config, n_jobs=1), clock)
    return float(sum(s.bound if np.isfinite(s.bound) else s.objective for s in solutions))


def raise_infeasible(reasons: list[str]) -> None:
    raise TerritoryInfeasibleError(
        reasons, hint="widen --balance-tolerance, unlock accounts, add capacity, or use "
                      "--best-effort for the most balanced plan that exists")
