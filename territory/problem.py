"""One solvable block of the plan: some pools' accounts, reps, pairs and bounds, as arrays.

Without a cap on moved potential no pair crosses pools, so each pool is its own block and the
blocks are solved apart (smaller MILPs, a gap per pool, parallel if asked). A global cap couples
them: then the whole plan is one block. Both solvers read this same description.

Every number of a block is in the solver's units (territory.scaling): potential and workload in
units of their pool's mean fair share, moved potential as a share of total potential, and the
objective divided by ``objective_unit``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from territory.pools import Instance
from territory.scaling import ModelNumbers


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
    coef: np.ndarray           # objective coefficient per pair / objective_unit
    moved: np.ndarray          # share of total potential moved off its owner if the pair is chosen
    potential: np.ndarray      # per local account (pool's mean fair share = 1)
    workload: np.ndarray
    fair_potential: np.ndarray  # per local rep
    fair_workload: np.ndarray
    tolerance: np.ndarray      # per local rep (the pool's tolerance)
    moved_cap: float | None    # share of total potential that may move, or None
    minimise_tolerance: bool = False  # best effort: minimise the common tolerance t instead
    potential_margin: np.ndarray | None = None  # per local rep: upper bound lowered by this
    workload_margin: np.ndarray | None = None
    objective_unit: float = 1.0  # real objective = solver objective x objective_unit

    @property
    def n_pairs(self) -> int:
        return int(self.pair_acc.size)

    def margins(self) -> tuple[np.ndarray, np.ndarray]:
        """What values entered as 0 could add to a rep's potential and workload (see scaling)."""
        zero = np.zeros(self.rep.size)
        return (zero if self.potential_margin is None else self.potential_margin,
                zero if self.workload_margin is None else self.workload_margin)

    def bounds(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Lower/upper potential and workload per rep: fair share x (1 -/+ tolerance), the upper
        bounds lowered by the margins."""
        tol = self.tolerance
        margin_pot, margin_wl = self.margins()
        return (self.fair_potential * (1 - tol), self.fair_potential * (1 + tol) - margin_pot,
                self.fair_workload * (1 - tol), self.fair_workload * (1 + tol) - margin_wl)


def block_problem(inst: Instance, coef: np.ndarray, numbers: ModelNumbers, pools: tuple[int, ...],
                  tolerance: np.ndarray, moved_cap: float | None = None,
                  minimise_tolerance: bool = False) -> BlockProblem:
    """Cut the block of ``pools`` out of the instance. ``tolerance`` is per pool; ``coef`` per
    pair in any unit; ``moved_cap`` in the solver's unit (``ModelNumbers.moved_cap``)."""
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
    block_coef = np.asarray(coef, float)[pair_index]
    positive = block_coef[block_coef > 0]
    # One unit for the whole block: a per-pool unit would reweigh pools coupled by a cap.
    unit = 1.0 if minimise_tolerance or not positive.size else float(positive.mean())
    return BlockProblem(
        pools=pools, acc=acc, rep=rep,
        account_ids=tuple(inst.accounts["account_id"].to_numpy()[acc]),
        rep_ids=tuple(inst.reps["rep_id"].to_numpy()[rep]),
        pair_acc=pair_acc, pair_rep=pair_rep, pair_index=pair_index,
        coef=block_coef / unit, moved=numbers.moved[pair_index],
        potential=numbers.potential[acc], workload=numbers.workload[acc],
        fair_potential=numbers.fair_potential[rep], fair_workload=numbers.fair_workload[rep],
        tolerance=np.asarray(tolerance, float)[inst.rep_pool[rep]],
        moved_cap=moved_cap, minimise_tolerance=minimise_tolerance,
        potential_margin=numbers.potential_margin[rep], workload_margin=numbers.workload_margin[rep],
        objective_unit=unit,
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
