"""Objective coefficients per eligible pair: disruption, travel, their mix, and a tie-breaker."""
from __future__ import annotations

import numpy as np
import pandas as pd

from territory.config import TerritoryConfig
from territory.errors import TerritoryInputError
from territory.pools import Instance

EARTH_RADIUS_KM = 6371.0088
# Relative size of the tie-breaking term: far below any real difference in potential or cost,
# large enough for the solver to see (HiGHS' feasibility tolerance is 1e-7).
TIE_BREAK_SCALE = 1e-6
# A pool whose mean coefficient is this many times below the plan's takes its own tie-break unit.
TIE_BREAK_POOL_FACTOR = 100.0


def haversine_km(lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray,
                 lon2: np.ndarray) -> np.ndarray:
    """Great-circle distance in km between points given in decimal degrees."""
    phi1, phi2 = np.radians(lat1), np.radians(lat2)
    dphi, dlmb = phi2 - phi1, np.radians(lon2 - lon1)
    a = np.sin(dphi / 2) ** 2 + np.cos(phi1) * np.cos(phi2) * np.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def moved_potential(inst: Instance) -> np.ndarray:
    """Potential that leaves its current owner if the pair is chosen (0 when there is no owner)."""
    owner = inst.owner[inst.pair_acc]
    return np.where((owner >= 0) & (inst.pair_rep != owner), inst.potential[inst.pair_acc], 0.0)


def travel_cost(inst: Instance, costs: pd.DataFrame | None) -> np.ndarray:
    """Cost per pair from the costs table; pairs it does not list use haversine km if known."""
    cost = np.full(inst.pair_acc.size, np.nan)
    if costs is not None and len(costs):
        pairs = pd.DataFrame({
            "account_id": inst.accounts["account_id"].to_numpy()[inst.pair_acc],
            "rep_id": inst.reps["rep_id"].to_numpy()[inst.pair_rep],
        })
        cost = pairs.merge(costs, on=["account_id", "rep_id"], how="left")["cost"].to_numpy(float)
    missing = np.isnan(cost)
    if missing.any():
        acc, rep = inst.accounts, inst.reps
        km = haversine_km(acc["lat"].to_numpy(float)[inst.pair_acc[missing]],
                          acc["lon"].to_numpy(float)[inst.pair_acc[missing]],
                          rep["lat"].to_numpy(float)[inst.pair_rep[missing]],
                          rep["lon"].to_numpy(float)[inst.pair_rep[missing]])
        cost[missing] = km
    still = np.isnan(cost)
    if still.any():
        first = np.flatnonzero(still)[:3]
        examples = ", ".join(
            f"({inst.accounts['account_id'].iat[inst.pair_acc[k]]}, "
            f"{inst.reps['rep_id'].iat[inst.pair_rep[k]]})" for k in first)
        raise TerritoryInputError(
            f"objective 'travel': no cost for {int(still.sum())} eligible (account, rep) pair(s), "
            f"e.g. {examples}; the costs file does not list them and lat/lon are missing. "
            "Hint: add those pairs to the costs file, or lat/lon to accounts and reps."
        )
    return cost


def tie_break(inst: Instance) -> np.ndarray:
    """A fixed pseudo-random number in [0, 1) per (account, rep), from their ranks by id.

    Integer hashing of the ranks is stable across runs and platforms, unlike hash() of strings,
    and makes equal-cost optima (very common: any of several reps can take an account) unique.
    """
    a = inst.pair_acc.astype(np.uint64)
    r = inst.pair_rep.astype(np.uint64)
    with np.errstate(over="ignore"):
        h = (a * np.uint64(2654435761) + r * np.uint64(40503) + np.uint64(977)) & np.uint64(0xFFFFFFFF)
        h = (h ^ (h >> np.uint64(15))) * np.uint64(2246822519) & np.uint64(0xFFFFFFFF)
        h = h ^ (h >> np.uint64(13))
    return (h & np.uint64(0xFFFFFFFF)).astype(np.float64) / 2.0**32


def with_tie_break(inst: Instance, base: np.ndarray) -> tuple[np.ndarray, float]:
    """``base`` plus the tie-breaking term, and the most that term can add to a whole plan.

    The term is TIE_BREAK_SCALE x a unit x tie_break(). The unit is the mean positive
    coefficient of the whole plan, except in a pool whose own mean is more than
    TIE_BREAK_POOL_FACTOR times smaller (a book mixing amounts of very different sizes): there the
    plan-wide unit would let the ties outweigh the pool's real differences, so the pool's mean is
    used. Keeping the plan-wide unit elsewhere keeps the plans of ordinary books as they were.
    """
    positive = base > 0
    overall = float(base[positive].mean()) if positive.any() else 1.0
    sums = np.bincount(inst.pair_pool[positive], base[positive], inst.n_pools)
    counts = np.bincount(inst.pair_pool[positive], minlength=inst.n_pools)
    own = np.where(counts > 0, sums / np.maximum(counts, 1), overall)
    unit = np.where(overall > TIE_BREAK_POOL_FACTOR * own, own, overall)
    allowance = TIE_BREAK_SCALE * float(unit[inst.acc_pool].sum())
    return base + TIE_BREAK_SCALE * unit[inst.pair_pool] * tie_break(inst), allowance


def pair_costs(inst: Instance, config: TerritoryConfig, costs: pd.DataFrame | None = None
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """(objective coefficient, moved potential, travel cost or None) per pair."""
    moved = moved_potential(inst)
    travel = None
    if config.objective == "disruption":
        coef = moved.copy()
    else:
        travel = travel_cost(inst, costs)
        if config.objective == "travel":
            coef = travel
        else:
            # Both terms scaled to about 1 for a whole plan: moved share, and travel relative to
            # the mean pair cost times the number of accounts.
            total = max(float(inst.potential.sum()), 1e-300)
            mean_cost = float(travel.mean()) if travel.size else 0.0
            scale = max(mean_cost * max(len(inst.accounts), 1), 1e-300)
            coef = config.disruption_weight * moved / total + config.travel_weight * travel / scale
    if config.tie_break and coef.size:
        coef, _ = with_tie_break(inst, coef)
    return coef, moved, travel
