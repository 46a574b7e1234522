"""Why a plan cannot exist, in words: checks before solving, and a diagnosis after a failed solve.

Every reason names the pool, the rep or account, the bound and by how much, e.g.
"pool Enterprise/EMEA: locked accounts alone give rep R7 148% of its fair share of potential
(the upper bound is 110%)".
"""
from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from territory.pools import Instance
from territory.problem import BlockProblem

MEASURES = ("potential", "workload")
_SLACK = 1e-7  # relative slack so rounding in the data never reads as an infeasibility
MAX_ACCOUNT_REASONS = 3


def _fmt(value: float) -> str:
    return f"{value:,.1f}"


def locked_load(inst: Instance, measure: str) -> np.ndarray:
    """Per rep: the potential (or workload) of the locked accounts that must stay with it."""
    values = inst.potential if measure == "potential" else inst.workload
    mask = inst.locked & (inst.owner >= 0)
    return np.bincount(inst.owner[mask], values[mask], len(inst.reps))


def invalid_locks(inst: Instance) -> list[str]:
    """Locked accounts whose owner cannot hold them (capacity 0, other segment or region)."""
    has_pair = np.zeros(len(inst.accounts), bool)
    has_pair[inst.pair_acc] = True
    bad = np.flatnonzero(inst.locked & ~has_pair)
    reasons = []
    for a in bad[:10]:
        acc = inst.accounts.iloc[a]
        rep = inst.reps.iloc[inst.owner[a]]
        why = ("who has capacity 0 and can hold no accounts" if rep["capacity"] <= 0
               else f"who is not eligible for it (rep segment {rep['segment']}, region "
                    f"{rep['region'] or '(any)'})")
        reasons.append(
            f"locked account {acc['account_id']} (segment {acc['segment']}, region "
            f"{acc['region'] or '(empty)'}) is owned by rep {rep['rep_id']}, {why}"
        )
    if bad.size > 10:
        reasons.append(f"... and {bad.size - 10} more locked accounts like these")
    return reasons


def precheck(inst: Instance, tolerance: np.ndarray) -> dict[int, list[str]]:
    """Reasons per pool index that the plan is infeasible at ``tolerance`` (one value per pool).

    Each check is a necessary condition, so a reason here is a proof; passing them all does not
    prove feasibility (the solver decides, and diagnose() explains its verdict).
    """
    reasons: dict[int, list[str]] = {}
    active = (inst.capacity > 0) & (inst.rep_pool >= 0)
    tol_rep = np.where(inst.rep_pool >= 0, tolerance[np.maximum(inst.rep_pool, 0)], 0.0)
    rep_ids = inst.reps["rep_id"].to_numpy()
    acc_ids = inst.accounts["account_id"].to_numpy()
    for measure in MEASURES:
        values = inst.potential if measure == "potential" else inst.workload
        fair = inst.fair_potential if measure == "potential" else inst.fair_workload
        upper, lower = fair * (1 + tol_rep), fair * (1 - tol_rep)
        locked = locked_load(inst, measure)
        # 1. Locked accounts alone above a rep's upper bound.
        over = np.flatnonzero(active & (locked > upper * (1 + _SLACK) + _SLACK))
        for r in over:
            p = inst.rep_pool[r]
            share = locked[r] / fair[r] if fair[r] > 0 else np.inf
            reasons.setdefault(p, []).append(
                f"pool {inst.pool_names[p]}: locked accounts alone give rep {rep_ids[r]} "
                f"{share:.0%} of its fair share of {measure} (the upper bound is "
                f"{1 + tol_rep[r]:.0%})")
        # 2. An unlocked account bigger than the room left at every eligible rep.
        room = upper - locked
        free = ~inst.locked[inst.pair_acc]
        if free.any():
            frame = pd.DataFrame({"acc": inst.pair_acc[free], "rep": inst.pair_rep[free],
                                  "room": room[inst.pair_rep[free]]})
            best = frame.sort_values(["acc", "room"], ascending=[True, False],
                                     kind="stable").drop_duplicates("acc")
            too_big = best[values[best["acc"].to_numpy()] > best["room"].to_numpy()
                           * (1 + _SLACK) + _SLACK]
            for p, group in too_big.groupby(inst.acc_pool[too_big["acc"].to_numpy()], sort=True):
                for row in group.head(MAX_ACCOUNT_REASONS).itertuples():
                    reasons.setdefault(int(p), []).append(
                        f"pool {inst.pool_names[p]}: account {acc_ids[row.acc]} has {measure} "
                        f"{_fmt(values[row.acc])}, more than any eligible rep can take within "
                        f"its upper bound (the most room is {_fmt(max(row.room, 0.0))}, at rep "
                        f"{rep_ids[row.rep]})")
                if len(group) > MAX_ACCOUNT_REASONS:
                    reasons[int(p)].append(f"pool {inst.pool_names[p]}: ... and "
                                           f"{len(group) - MAX_ACCOUNT_REASONS} more such accounts")
        # 3. Floors plus locked excess need more than the pool has.
        total = np.bincount(inst.acc_pool, values, inst.n_pools)
        need = np.bincount(inst.rep_pool[active], np.maximum(lower, locked)[active], inst.n_pools)
        for p in np.flatnonzero(need > total * (1 + _SLACK) + _SLACK):
            reasons.setdefault(int(p), []).append(
                f"pool {inst.pool_names[p]}: the reps' lower bounds (with their locked accounts) "
                f"need {_fmt(need[p])} {measure} but the pool has {_fmt(total[p])}")
        # 4. More reps needing something than accounts that could give it.
        needy = active & (lower > _SLACK) & (locked <= 0)
        carriers = ~inst.locked & (values > 0)
        n_needy = np.bincount(inst.rep_pool[needy], minlength=inst.n_pools)
        n_carriers = np.bincount(inst.acc_pool[carriers], minlength=inst.n_pools)
        for p in np.flatnonzero(n_needy > n_carriers):
            reasons.setdefault(int(p), []).append(
                f"pool {inst.pool_names[p]}: {n_needy[p]} reps need {measure} (their lower bound "
                f"is above 0) but only {n_carriers[p]} unlocked accounts carry any")
    return reasons


def single_measure(block: BlockProblem, measure: str) -> BlockProblem:
    """The block with only one measure's balance rows (the other's rows become 0 <= 0 <= 0)."""
    zero_reps = np.zeros(block.rep.size)
    if measure == "potential":
        return dataclasses.replace(block, workload=np.zeros_like(block.workload),
                                   fair_workload=zero_reps, workload_margin=zero_reps)
    return dataclasses.replace(block, potential=np.zeros_like(block.potential),
                               fair_potential=zero_reps, potential_margin=zero_reps)


def worst_rep(block: BlockProblem, choice: np.ndarray) -> tuple[str, str, float]:
    """(rep id, measure, load / fair share) of the rep furthest from its fair share."""
    best = ("", "potential", 1.0)
    worst_gap = -1.0
    for measure in MEASURES:
        values = block.potential if measure == "potential" else block.workload
        fair = block.fair_potential if measure == "potential" else block.fair_workload
        chosen = choice >= 0
        load = np.bincount(choice[chosen], values[chosen], block.rep.size)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(fair > 0, load / fair, 1.0)
        if not block.rep.size:
            continue
        # Among (near-)equal worst deviations, name the rep above its share: that reads clearer.
        gap = np.round(np.abs(ratio - 1), 9)
        r = int(np.lexsort((-ratio, -gap))[0])
        if gap[r] > worst_gap:
            worst_gap = gap[r]
            best = (block.rep_ids[r], measure, float(ratio[r]))
    return best
