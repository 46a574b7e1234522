"""One solvable block of the plan: some pools' accounts, reps, pairs and bounds, as arrays.

Without a cap on moved potential no pair crosses pools, so each pool is its own block and the
blocks are solved apart (smaller MILPs, a gap per pool, parallel if asked). A global cap couples
them: then the whole plan is one block. Both solvers read this same description.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from territory.pools import Instance


@dataclass(frozen=True)
class BlockProblem:
    pools: tuple[int, ...]
    acc: np.ndarray            # global account index per local account
    rep: np.ndarray            # global rep index per local rep (active reps of these pools)
    account_ids: tuple[str, ...]
    rep_ids: tuple[str, ...]
    pair_acc: np.ndarray       # local account index per pair (sorted by account, then rep)
    pair_rep: np.ndarray       # local rep index per pair
    pair_index: np.ndarray     # index of the pair in the instance's pair arrays
    coef: np.ndarray           # objective coefficient per pair
    moved: np.ndarray          # potential moved off its owner if the pair is chosen
    potential: np.ndarray      # per local account
    workload: np.ndarray
    fair_potential: np.ndarray  # per local rep
    fair_workload: np.ndarray
    tolerance: np.ndarray      # per local rep (the pool's tolerance)
    moved_cap: float | None    # absolute potential that may move, or None
    minimise_tolerance: bool = False  # best effort: minimise the common tolerance t instead

    @property
    def n_pairs(self) -> int:
        return int(self.pair_acc.size)

    def bounds(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Lower/upper potential and workload per rep: fair share x (1 -/+ tolerance)."""
        tol = self.tolerance
        return (self.fair_potential * (1 - tol), self.fair_potential * (1 + tol),
                self.fair_workload * (1 - tol), self.fair_workload * (1 + tol))


def block_problem(inst: Instance, coef: np.ndarray, moved: np.ndarray, pools: tuple[int, ...],
                  tolerance: np.ndarray, moved_cap: float | None = None,
                  minimise_tolerance: bool = False) -> BlockProblem:
    """Cut the block of ``pools`` out of the instance. ``tolerance`` is per pool."""
    pools = tuple(sorted(pools))
    pool_mask = np.isin(np.arange(inst.n_pools), pools)
    acc = np.flatnonzero(pool_mask[inst.acc_pool])
    active = inst.capacity > 0
    rep = np.flatnonzero(active & (inst.rep_pool >= 0) & pool_mask[np.maximum(inst.rep_pool, 0)])
    pair_index = np.flatnonzero(pool_mask[inst.pair_pool])
    acc_local = np.full(len(inst.accounts), -1, np.int64)
    acc_local[acc] = np.arange(acc.size)
    rep_local = np.full(len(inst.reps), -1, np.int64)
    rep_local[rep] = np.arange(rep.size)
    pair_acc = acc_local[inst.pair_acc[pair_index]]
    pair_rep = rep_local[inst.pair_rep[pair_index]]
    order = np.lexsort((pair_rep, pair_acc))
    pair_index, pair_acc, pair_rep = pair_index[order], pair_acc[order], pair_rep[order]
    return BlockProblem(
        pools=pools, acc=acc, rep=rep,
        account_ids=tuple(inst.accounts["account_id"].to_numpy()[acc]),
        rep_ids=tuple(inst.reps["rep_id"].to_numpy()[rep]),
        pair_acc=pair_acc, pair_rep=pair_rep, pair_index=pair_index,
        coef=coef[pair_index], moved=moved[pair_index],
        potential=inst.potential[acc], workload=inst.workload[acc],
        fair_potential=inst.fair_potential[rep], fair_workload=inst.fair_workload[rep],
        tolerance=np.asarray(tolerance, float)[inst.rep_pool[rep]],
        moved_cap=moved_cap, minimise_tolerance=minimise_tolerance,
    )


@dataclass(frozen=True)
class BlockSolution:
    """What a solver said about one block. ``choice``: local rep per local account (-1: none)."""

    status: str                # optimal | feasible | infeasible | no_solution
    choice: np.ndarray
    objective: float           # solver objective (incl. tie-break), nan without a solution
    bound: float               # best proven lower bound, nan if unknown
    seconds: float
    solver: str
    engine: str
    tolerance: float = float("nan")  # the t reached when minimise_tolerance

    @property
    def has_solution(self) -> bool:
        return self.status in ("optimal", "feasible")


def choice_from_values(block: BlockProblem, values: np.ndarray) -> np.ndarray:
    """Local rep per local account from the pair values (the largest value wins)."""
    choice = np.full(block.acc.size, -1, np.int64)
    chosen = values > 0.5
    choice[block.pair_acc[chosen]] = block.pair_rep[chosen]
    return choice
