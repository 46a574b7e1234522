"""Seeded synthetic accounts/reps for tests, notebooks and benchmarks (not a CRM simulation)."""
from __future__ import annotations

import numpy as np
import pandas as pd

REGIONS = ("NA", "EMEA", "APAC", "LATAM")
CENTRES = {"NA": (40.0, -95.0), "EMEA": (50.0, 10.0), "APAC": (1.0, 110.0), "LATAM": (-15.0, -55.0)}


def make_instance(n_accounts: int = 200, n_reps: int = 10, n_pools: int = 2, random_state: int = 0,
                  imbalance: float = 0.35, locked_share: float = 0.02,
                  unowned_share: float = 0.03) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(accounts, reps) in canonical columns: ``n_pools`` segment x region pools of equal size.

    Current owners are drawn with a per-rep taste factor (lognormal, sigma ``imbalance``), so the
    status quo is unbalanced and a plan has to move some accounts.
    """
    rng = np.random.default_rng(random_state)
    n_regions = 4 if n_pools % 4 == 0 else (2 if n_pools % 2 == 0 else 1)
    n_segments = n_pools // n_regions
    pools = [(f"S{s:02d}", REGIONS[r]) for s in range(n_segments) for r in range(n_regions)]
    acc_pool = np.sort(np.arange(n_accounts) % n_pools)
    rep_pool = np.sort(np.arange(n_reps) % n_pools)
    seg = np.array([p[0] for p in pools])
    reg = np.array([p[1] for p in pools])

    potential = np.round(rng.lognormal(mean=10.0, sigma=0.7, size=n_accounts), 2)
    workload = np.round(5 + 20 * (potential / potential.mean()) ** 0.5
                        * rng.gamma(4.0, 0.25, n_accounts), 2)
    capacity = rng.choice([1.0, 1.0, 1.0, 0.8, 0.5], size=n_reps)
    ramp = rng.choice([1.0, 1.0, 1.0, 0.75, 0.5], size=n_reps)
    taste = rng.lognormal(0.0, imbalance, n_reps) * capacity
    owner = np.empty(n_accounts, dtype=object)
    rep_ids = np.array([f"R{i:05d}" for i in range(n_reps)])
    for p in range(n_pools):
        acc_idx = np.flatnonzero(acc_pool == p)
        rep_idx = np.flatnonzero(rep_pool == p)
        weights = taste[rep_idx] / taste[rep_idx].sum()
        owner[acc_idx] = rep_ids[rep_idx][rng.choice(rep_idx.size, acc_idx.size, p=weights)]
    owner[rng.random(n_accounts) < unowned_share] = ""
    locked = (rng.random(n_accounts) < locked_share) & (owner != "")

    centre = np.array([CENTRES[r] for r in reg])
    accounts = pd.DataFrame({
        "account_id": [f"A{i:06d}" for i in range(n_accounts)],
        "segment": seg[acc_pool], "region": reg[acc_pool],
        "potential": potential, "workload": workload, "owner_rep_id": owner,
        "lat": np.round(centre[acc_pool, 0] + rng.normal(0, 6, n_accounts), 4),
        "lon": np.round(centre[acc_pool, 1] + rng.normal(0, 10, n_accounts), 4),
        "locked": locked.astype(int),
    })
    reps = pd.DataFrame({
        "rep_id": rep_ids, "segment": seg[rep_pool], "region": reg[rep_pool],
        "capacity": capacity, "ramp": ramp,
        "lat": np.round(centre[rep_pool, 0] + rng.normal(0, 6, n_reps), 4),
        "lon": np.round(centre[rep_pool, 1] + rng.normal(0, 10, n_reps), 4),
    })
    return accounts, reps


def make_targets(accounts: pd.DataFrame, period: str = "2027Q1", share: float = 0.25) -> pd.DataFrame:
    """A target per segment: ``share`` of the segment's total potential."""
    totals = accounts.groupby("segment", sort=True)["potential"].sum()
    return pd.DataFrame({"segment": totals.index, "period": period,
                         "target": np.round(totals.to_numpy() * share, 2)})
