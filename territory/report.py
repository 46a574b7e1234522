"""Turn a solved plan into the tables users read: assignments, rep summary, pool summary."""
from __future__ import annotations

import numpy as np
import pandas as pd

from territory.pools import Instance


def loads(inst: Instance, rep_of_account: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(accounts, potential, workload) per rep for a rep index per account (-1 = nobody)."""
    has = rep_of_account >= 0
    n = len(inst.reps)
    return (np.bincount(rep_of_account[has], minlength=n).astype(np.int64),
            np.bincount(rep_of_account[has], inst.potential[has], n),
            np.bincount(rep_of_account[has], inst.workload[has], n))


def deviation_pct(load: np.ndarray, fair: np.ndarray) -> np.ndarray:
    """100 x (load - fair) / fair; 0 when both are 0, NaN when only the fair share is 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        dev = np.where(fair > 0, 100.0 * (load - fair) / fair, np.nan)
    return np.where((fair <= 0) & (load <= 0), 0.0, dev)


def move_reasons(inst: Instance, choice: np.ndarray, tolerance: np.ndarray,
                 pair_codes: np.ndarray, objective: str) -> np.ndarray:
    """A short reason per account: why it moved, or why it was newly assigned ("" otherwise)."""
    owner = inst.owner
    rep_ids = inst.reps["rep_id"].to_numpy()
    previous = inst.accounts["previous_rep_id"].to_numpy()
    n_rep = len(inst.reps)
    _, pot_before, wl_before = loads(inst, owner)
    tol_rep = tolerance[np.maximum(inst.rep_pool, 0)]
    over_pot = pot_before > inst.fair_potential * (1 + tol_rep) + 1e-9
    over_wl = wl_before > inst.fair_workload * (1 + tol_rep) + 1e-9
    under_pot = pot_before < inst.fair_potential * (1 - tol_rep) - 1e-9
    under_wl = wl_before < inst.fair_workload * (1 - tol_rep) - 1e-9
    reasons = np.full(len(inst.accounts), "", dtype=object)
    accounts = np.arange(len(inst.accounts))
    owner_eligible = np.isin(accounts * n_rep + owner, pair_codes)
    # Only accounts without an owner or with a new rep need a reason: loop over those alone.
    for a in np.flatnonzero((owner < 0) | (choice != owner)):
        o, r = owner[a], choice[a]
        if o < 0:
            reasons[a] = ("newly assigned (owner " + previous[a] + " is not among the reps)"
                          if previous[a] else "newly assigned (no current owner)")
            continue
        if not owner_eligible[a]:
            why = ("has capacity 0" if inst.capacity[o] <= 0
                   else "is not eligible for its segment/region")
            reasons[a] = f"previous owner {rep_ids[o]} {why}"
        elif over_pot[o] or over_wl[o]:
            measure, load, fair = (("potential", pot_before[o], inst.fair_potential[o])
                                   if over_pot[o] else
                                   ("workload", wl_before[o], inst.fair_workload[o]))
            reasons[a] = (f"rebalance: {rep_ids[o]} had {load / fair:.0%} of its fair {measure} "
                          f"(limit {1 + tol_rep[o]:.0%})")
        elif under_pot[r] or under_wl[r]:
            measure, load, fair = (("potential", pot_before[r], inst.fair_potential[r])
                                   if under_pot[r] else
                                   ("workload", wl_before[r], inst.fair_workload[r]))
            reasons[a] = (f"rebalance: {rep_ids[r]} had {load / fair:.0%} of its fair {measure} "
                          f"(floor {1 - tol_rep[r]:.0%})")
        elif objective in ("travel", "mix"):
            reasons[a] = f"lower travel cost with {rep_ids[r]}"
        else:
            reasons[a] = "rebalance within the pool"
    return reasons


def assignments_frame(inst: Instance, choice: np.ndarray, reasons: np.ndarray) -> pd.DataFrame:
    rep_ids = inst.reps["rep_id"].to_numpy()
    owner = inst.owner
    moved = (owner >= 0) & (choice != owner)
    return pd.DataFrame({
        "account_id": inst.accounts["account_id"].to_numpy(),
        "segment": inst.accounts["segment"].to_numpy(),
        "region": inst.accounts["region"].to_numpy(),
        "pool": inst.accounts["pool"].to_numpy(),
        "potential": inst.potential,
        "workload": inst.workload,
        "rep_id": rep_ids[choice],
        "previous_rep_id": inst.accounts["previous_rep_id"].to_numpy(),
        "locked": inst.locked,
        "moved": moved,
        "reason": reasons,
    })


def rep_frame(inst: Instance, choice: np.ndarray, tolerance: np.ndarray) -> pd.DataFrame:
    n_acc, pot, wl = loads(inst, choice)
    _, pot_before, wl_before = loads(inst, inst.owner)
    owner = inst.owner
    moved = (owner >= 0) & (choice != owner)
    n = len(inst.reps)
    reps = inst.reps
    return pd.DataFrame({
        "rep_id": reps["rep_id"].to_numpy(),
        "pool": reps["pool"].to_numpy(),
        "segment": reps["segment"].to_numpy(),
        "region": reps["region"].to_numpy(),
        "capacity": inst.capacity,
        "ramp": reps["ramp"].to_numpy(float),
        "accounts": n_acc,
        "potential": pot,
        "workload": wl,
        "fair_potential": inst.fair_potential,
        "fair_workload": inst.fair_workload,
        "potential_deviation_pct": deviation_pct(pot, inst.fair_potential),
        "workload_deviation_pct": deviation_pct(wl, inst.fair_workload),
        "tolerance_pct": np.where(inst.rep_pool >= 0,
                                  100.0 * tolerance[np.maximum(inst.rep_pool, 0)], np.nan),
        "potential_before": pot_before,
        "workload_before": wl_before,
        "potential_deviation_before_pct": deviation_pct(pot_before, inst.fair_potential),
        "workload_deviation_before_pct": deviation_pct(wl_before, inst.fair_workload),
        "moved_in": np.bincount(choice[moved], minlength=n),
        "moved_out": np.bincount(owner[moved], minlength=n),
    })


def worst_deviation_pct(reps: pd.DataFrame, before: bool = False) -> float:
    """Largest |deviation| over active reps, potential and workload."""
    suffix = "_before_pct" if before else "_pct"
    active = reps["capacity"] > 0
    values = reps.loc[active, [f"potential_deviation{suffix}", f"workload_deviation{suffix}"]]
    values = values.abs().to_numpy().ravel()
    values = values[np.isfinite(values)]
    return float(values.max()) if values.size else 0.0
