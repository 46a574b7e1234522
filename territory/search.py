"""The phases of a plan under one deadline: pools, best-effort relaxation, the moved-share cap.

1. Checks before solving (feasibility.precheck); with best effort, a pool they rule out gets
   the smallest tolerance it can reach (a min-t solve), else the plan is refused with reasons.
2. Each pool on its own. Without a cap that is the plan. A pool the solver proves infeasible is
   explained (or, with best effort, relaxed and solved again); a pool without any plan when the
   time runs out is an error (or, with best effort, gets the most balanced plan found).
3. With a cap on moved potential, step 2 minimises moved potential, which gives both the least
   any balanced plan must move (its bound) and a plan moving little. For the disruption
   objective that plan is the answer whenever it fits under the cap (the pools are independent
   otherwise). Below the least, the cap is refused, or with best effort raised to what that plan
   moves. Other objectives then solve all pools together under the cap, and keep the step-2
   plan if that solve finds nothing better in time.

Every solve takes its time from the same Deadline; whatever the phase, at the deadline the best
plan found is returned (``time_limited``) or an error names the pool and the reason.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np

from territory.config import TerritoryConfig
from territory.errors import TerritoryTimeLimitError
from territory.feasibility import precheck
from territory.objective import with_tie_break
from territory.pools import Instance, PoolMap
from territory.problem import BlockProblem, BlockSolution, block_problem
from territory.scaling import ModelNumbers
from territory.solve import (TOLERANCE_NUDGE, Deadline, Progress, describe, diagnose,
                             minimise_tolerance, raise_infeasible, solve_block, solve_blocks)

# With best effort, the first pass leaves this share of the time limit to the later phases
# (a min-t solve finds a first plan in moments: any assignment is feasible for it).
RESERVE_SHARE = 0.1

Piece = tuple[BlockProblem, BlockSolution]


@dataclass
class Outcome:
    blocks: list[BlockProblem]
    solutions: list[BlockSolution]
    tolerance: np.ndarray        # per pool, as used (best effort may have widened it)
    cap: float | None            # moved-potential cap used (original unit), None without one
    time_limited: bool           # some phase stopped at the deadline
    notes: list[str] = field(default_factory=list)


def chosen_pairs(block: BlockProblem, choice: np.ndarray) -> np.ndarray:
    """Index (into the block's pairs) of the chosen pair of each local account."""
    n_rep = max(block.rep.size, 1)
    codes = block.pair_acc * n_rep + block.pair_rep
    return np.searchsorted(codes, np.arange(block.acc.size) * n_rep + choice)


class Search:
    def __init__(self, inst: Instance, coef: np.ndarray, moved: np.ndarray,
                 numbers: ModelNumbers, config: TerritoryConfig, deadline: Deadline,
                 progress: Progress, executor: PoolMap | None = None) -> None:
        self.executor = executor  # where independent pools are solved (None: config.n_jobs)
        self.inst, self.coef, self.moved, self.numbers = inst, coef, moved, numbers
        self.config, self.deadline, self.progress = config, deadline, progress
        self.tolerance = np.full(inst.n_pools, config.balance_tolerance)
        self.time_limited = False
        self.notes: list[str] = []
        limit = config.time_limit
        self.reserve = RESERVE_SHARE * limit if (config.best_effort and limit is not None) else 0.0

    # ------------------------------------------------------------------ helpers
    def _name(self, p: int) -> str:
        return self.inst.pool_names[p]

    def _out_of_time(self, pools: list[int], what: str) -> TerritoryTimeLimitError:
        names = ", ".join(self._name(p) for p in pools)
        hint = "raise time_limit" + ("" if self.config.best_effort else
                                     ", widen balance_tolerance, or set best_effort=True")
        return TerritoryTimeLimitError(
            f"pool(s) {names}: {what} before the time limit (time_limit={self.config.time_limit:g} s "
            f"for the whole plan). Hint: {hint}.", [self._name(p) for p in pools])

    def _value(self, block: BlockProblem, choice: np.ndarray, coef: np.ndarray) -> float:
        """A plan's objective under ``coef`` (per instance pair, original unit)."""
        return float(coef[block.pair_index[chosen_pairs(block, choice)]].sum())

    def _moved(self, pieces: list[Piece]) -> float:
        return float(sum(self._value(b, s.choice, self.moved) for b, s in pieces))

    def _relax(self, p: int, why: str) -> Piece:
        """Widen pool p's tolerance to the smallest it can reach; return that most balanced plan
        (as a plan of the pool at the widened tolerance, objective under self.coef)."""
        self.progress(f"pool {self._name(p)}: {why}; best effort looks for the smallest "
                      "tolerance that works")
        best = minimise_tolerance(self.inst, self.coef, self.numbers, p, self.config,
                                  self.deadline.remaining())
        if not best.has_solution:
            raise self._out_of_time([p], f"no plan within +/-{self.tolerance[p]:.0%} and no most "
                                         "balanced plan found")
        if best.status != "optimal":
            self.time_limited = True  # t is that of the best plan found, maybe not the least
        self.tolerance[p] = max(self.tolerance[p], best.tolerance * (1 + TOLERANCE_NUDGE)
                                + TOLERANCE_NUDGE)
        self.progress(f"pool {self._name(p)}: tolerance widened to {self.tolerance[p]:.1%}")
        block = block_problem(self.inst, self.coef, self.numbers, (p,), self.tolerance)
        value = self._value(block, best.choice, self.coef)
        return block, dataclasses.replace(best, status="feasible", objective=value,
                                          bound=float("nan"), tolerance=float("nan"))

    # ------------------------------------------------------------------ phases
    def run(self) -> Outcome:
        config = self.config
        early = precheck(self.inst, self.tolerance)
        if early and not config.best_effort:
            raise_infeasible([r for p in sorted(early) for r in early[p]])
        for p in sorted(early):
            self._relax(p, f"infeasible at +/-{self.tolerance[p]:.0%} (checks before solving)")
        if config.max_moved_share is None:
            pieces = self.pools(self.coef)
            return self._outcome(pieces, None)
        return self.capped()

    def pools(self, coef: np.ndarray, phase: str = "") -> list[Piece]:
        """Every pool on its own under ``coef``; with best effort, relaxed where it must be."""
        blocks = [block_problem(self.inst, coef, self.numbers, (p,), self.tolerance)
                  for p in range(self.inst.n_pools)]
        solutions = solve_blocks(self.inst, blocks, self.config, self.deadline, self.progress,
                                 phase, reserve=self.reserve, executor=self.executor)
        infeasible = [b.pools[0] for b, s in zip(blocks, solutions) if s.status == "infeasible"]
        missing = [b.pools[0] for b, s in zip(blocks, solutions) if s.status == "no_solution"]
        self.time_limited |= any(s.status == "feasible" for s in solutions)
        if not self.config.best_effort:
            if infeasible:
                raise_infeasible(diagnose(self.inst, self.coef, self.numbers, infeasible,
                                          self.tolerance, self.config, self.deadline))
            if missing:
                raise self._out_of_time(
                    missing, f"no plan within +/-{self.config.balance_tolerance:.0%} found")
        pieces = list(zip(blocks, solutions))  # one per pool, in pool order: pieces[p] is pool p
        for p in infeasible + missing:
            why = ("infeasible at" if p in infeasible else "no plan found in time at")
            fallback = self._relax(p, f"{why} +/-{self.tolerance[p]:.0%}")
            if p in infeasible:
                block = block_problem(self.inst, coef, self.numbers, (p,), self.tolerance)
                again = solve_block(block, self.config, self.deadline.remaining())
                self.progress(describe(self.inst, block, again, phase))
                if again.has_solution:
                    self.time_limited |= again.status != "optimal"
                    pieces[p] = (block, again)
                    continue
            # No time to minimise the objective at the widened tolerance: keep the most
            # balanced plan found (a plan, though not the least disruptive one).
            self.time_limited = True
            self.notes.append(f"pool {self._name(p)}: the time limit left no time to minimise "
                              f"the objective; its plan is the most balanced one found")
            block, solution = fallback
            if coef is not self.coef:
                solution = dataclasses.replace(
                    solution, objective=self._value(block, solution.choice, coef))
            pieces[p] = (block, solution)
        return pieces

    def _least_coef(self) -> tuple[np.ndarray, float]:
        """Coefficients that minimise moved potential, and what their tie-break may add."""
        if not self.config.tie_break:
            return self.moved, 0.0
        least, allowance = with_tie_break(self.inst, self.moved)
        # For the disruption objective these are the objective's own coefficients.
        return (self.coef if self.config.objective == "disruption" else least), allowance

    def capped(self) -> Outcome:
        """Plans under a cap on moved potential (see the module doc, step 3)."""
        config, inst = self.config, self.inst
        total = float(inst.potential.sum())
        cap = float(config.max_moved_share) * total
        disruption = config.objective == "disruption"
        least_coef, allowance = self._least_coef()
        least = self.pools(least_coef, "" if disruption else "least moved potential")
        moved = self._moved(least)
        bounds = [s.bound for _, s in least]
        # A proven lower bound on what any balanced plan moves (the tie-break is taken off).
        floor = max(float(sum(bounds)) - allowance, 0.0) if all(np.isfinite(bounds)) else -np.inf

        def share(value: float) -> str:
            return f"{value / total if total > 0 else 0.0:.1%}"

        text = f"the cap on moved potential ({share(cap)} of total potential, {cap:,.1f})"

        def raise_cap(why: str) -> float:
            raised = max(moved * (1 + TOLERANCE_NUDGE), cap)
            self.progress(f"best effort: {text} {why}; raised to {share(raised)}")
            self.notes.append(f"best effort: max_moved_share raised to {share(raised)} ({why})")
            return raised

        cap_used = cap
        if floor > cap * (1 + 1e-9):
            why = f"is below the least any balanced plan moves: {share(floor)} ({floor:,.1f})"
            if not config.best_effort:
                raise_infeasible([f"{text} {why}"])
            cap_used = raise_cap(why)
            if disruption:
                return self._outcome(least, cap_used)
        elif disruption and moved <= cap:
            # Each pool's least-disruption plan already fits: together they are optimal.
            return self._outcome(least, cap)
        least_value = sum(self._value(b, s.choice, self.coef) for b, s in least)
        for attempt in range(2):
            together = block_problem(inst, self.coef, self.numbers, tuple(range(inst.n_pools)),
                                     self.tolerance, self.numbers.moved_cap(cap_used))
            solution = solve_block(together, config, self.deadline.remaining())
            self.progress(describe(inst, together, solution, "all pools under the cap"))
            fits = moved <= cap_used
            if solution.has_solution:
                self.time_limited |= solution.status != "optimal"
                if not fits or solution.status == "optimal" or solution.objective <= least_value:
                    return self._outcome([(together, solution)], cap_used)
                break  # the least-moving plan is better than what the time allowed
            if solution.status == "infeasible":
                why = (f"is below the least any balanced plan moves: at most {share(moved)} "
                       f"({moved:,.1f})")
                if not config.best_effort:
                    raise_infeasible([f"{text} {why}"])
                if attempt == 0 and not fits:
                    cap_used = raise_cap(why)
                    continue
                break
            self.time_limited = True
            if not fits:
                if not config.best_effort:
                    raise self._out_of_time(list(together.pools),
                                            "no plan under the moved-potential cap found")
                cap_used = raise_cap("no plan under it was found before the time limit")
            break
        self.notes.append("the plan is the one that moves the least potential: solving all "
                          "pools together under the cap found nothing better in time")
        if disruption:
            return self._outcome(least, cap_used)
        pieces = [(b, dataclasses.replace(s, objective=self._value(b, s.choice, self.coef),
                                          bound=float("nan"), status="feasible"))
                  for b, s in least]
        return self._outcome(pieces, cap_used)

    def _outcome(self, pieces: list[Piece], cap: float | None) -> Outcome:
        return Outcome(blocks=[b for b, _ in pieces], solutions=[s for _, s in pieces],
                       tolerance=self.tolerance, cap=cap, time_limited=self.time_limited,
                       notes=self.notes)


def search_plan(inst: Instance, coef: np.ndarray, moved: np.ndarray, numbers: ModelNumbers,
                config: TerritoryConfig, deadline: Deadline, progress: Progress,
                executor: PoolMap | None = None) -> Outcome:
    """Blocks, their solutions, tolerances and cap for the whole plan (see the module doc);
    independent pools go through ``executor`` when given (a map-like callable)."""
    return Search(inst, coef, moved, numbers, config, deadline, progress, executor).run()


