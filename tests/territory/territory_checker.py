"""An independent checker of territory plans: recomputes every rule from the raw tables.

Deliberately shares no code with territory/: eligibility, pools, fair shares, locks and the
moved-potential cap are re-derived here with plain pandas.
"""
from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

EPS = 1e-6


def tiny(seed: int, n_accounts: int = 7, n_reps: int = 3, regions=("NA",), open_rep: bool = False,
         locked_share: float = 0.15):
    """A tiny seeded instance for brute force: one segment, a few regions."""
    rng = np.random.default_rng(seed)
    rep_regions = [regions[i % len(regions)] for i in range(n_reps)]
    if open_rep:
        rep_regions[-1] = ""
    reps = pd.DataFrame({
        "rep_id": [f"R{i}" for i in range(n_reps)], "segment": "SMB", "region": rep_regions,
        "capacity": rng.choice([1.0, 1.0, 0.5], n_reps), "ramp": rng.choice([1.0, 0.5], n_reps),
        "lat": rng.uniform(30, 50, n_reps), "lon": rng.uniform(-120, -70, n_reps),
    })
    owners = list(reps["rep_id"]) + [""]
    accounts = pd.DataFrame({
        "account_id": [f"A{i}" for i in range(n_accounts)], "segment": "SMB",
        "region": [regions[i % len(regions)] for i in range(n_accounts)],
        "potential": np.round(rng.lognormal(4, 0.6, n_accounts), 2),
        "workload": np.round(rng.uniform(1, 10, n_accounts), 2),
        "owner_rep_id": rng.choice(owners, n_accounts),
        "lat": rng.uniform(30, 50, n_accounts), "lon": rng.uniform(-120, -70, n_accounts),
    })
    accounts["locked"] = ((rng.random(n_accounts) < locked_share)
                          & (accounts["owner_rep_id"] != "")).astype(int)
    return accounts, reps


def _ids(series: pd.Series) -> pd.Series:
    return series.fillna("").astype(str).str.strip()


def fair_table(accounts: pd.DataFrame, reps: pd.DataFrame, measure: str) -> dict[str, float]:
    """Fair share per active rep, recomputed from the rule in words (ARCHITECTURE.md):

    plain pools: pool total x capacity / pool capacity. In a segment with overlay reps (empty
    region; capacity O of the segment's C), every region keeps (1 - O/C) of its total for its
    own reps (by capacity) and the overlay reps share what is left of the segment (by capacity).
    """
    fair: dict[str, float] = {}
    acc_region = _ids(accounts["region"])
    for segment in sorted(set(reps["segment"])):
        seg_reps = reps[(reps["segment"] == segment) & (reps["capacity"] > 0)]
        if seg_reps.empty:
            continue
        region = _ids(seg_reps["region"])
        overlay = seg_reps[region == ""]
        total_cap = float(seg_reps["capacity"].sum())
        overlay_cap = float(overlay["capacity"].sum())
        seg_total = float(accounts.loc[accounts["segment"] == segment, measure].sum())
        left = seg_total
        for reg in sorted(set(region) - {""}):
            here = seg_reps[region == reg]
            reg_total = float(accounts.loc[(accounts["segment"] == segment)
                                           & (acc_region == reg), measure].sum())
            kept = reg_total * (1 - overlay_cap / total_cap)
            left -= kept
            for rep_id, cap in zip(here["rep_id"].astype(str), here["capacity"]):
                fair[rep_id] = kept * cap / float(here["capacity"].sum())
        for rep_id, cap in zip(overlay["rep_id"].astype(str), overlay["capacity"]):
            fair[rep_id] = left * cap / overlay_cap
    return fair


def violations(accounts: pd.DataFrame, reps: pd.DataFrame, assignment: pd.Series,
               tolerance: float, max_moved_share: float | None = None) -> list[str]:
    """Every broken rule, as text. ``assignment``: rep_id indexed by account_id."""
    problems: list[str] = []
    accounts = accounts.copy()
    accounts["account_id"] = accounts["account_id"].astype(str)
    reps = reps.copy()
    reps["rep_id"] = reps["rep_id"].astype(str)
    assignment = assignment.astype(str)
    if set(assignment.index) != set(accounts["account_id"]) or assignment.index.duplicated().any():
        problems.append("not every account is assigned exactly once")
        return problems
    rep = reps.set_index("rep_id")
    acc = accounts.set_index("account_id")
    for a, r in assignment.items():
        if r not in rep.index:
            problems.append(f"{a} -> unknown rep {r}")
            continue
        if rep.at[r, "capacity"] <= 0:
            problems.append(f"{a} -> rep {r} with capacity 0")
        if rep.at[r, "segment"] != acc.at[a, "segment"]:
            problems.append(f"{a} -> rep {r} of another segment")
        rep_region = "" if pd.isna(rep.at[r, "region"]) else str(rep.at[r, "region"])
        if rep_region not in ("", str(acc.at[a, "region"])):
            problems.append(f"{a} -> rep {r} of another region")
    owner = _ids(accounts["owner_rep_id"])
    locked = accounts.get("locked", pd.Series(0, index=accounts.index)).fillna(0).astype(bool)
    for a, o, lk in zip(accounts["account_id"], owner, locked):
        if lk and o in rep.index and assignment[a] != o:
            problems.append(f"locked {a} left its owner {o}")
    for measure in ("potential", "workload"):
        load = acc[measure].astype(float).groupby(assignment).sum()
        for r, fair in fair_table(accounts, reps, measure).items():
            got = float(load.get(r, 0.0))
            slack = EPS * max(1, fair)
            if got > (1 + tolerance) * fair + slack or got < (1 - tolerance) * fair - slack:
                problems.append(f"rep {r} {measure} {got:.4f} outside +/-{tolerance:.4f} of "
                                f"fair {fair:.4f}")
    if max_moved_share is not None:
        moved = sum(float(acc.at[a, "potential"]) for a, o in zip(accounts["account_id"], owner)
                    if o in rep.index and assignment[a] != o)
        total = float(acc["potential"].sum())
        if moved > max_moved_share * total + EPS * max(1, total):
            problems.append(f"moved share {moved / total:.4f} above cap {max_moved_share}")
    return problems


def moved_potential(accounts: pd.DataFrame, reps: pd.DataFrame, assignment: pd.Series) -> float:
    known = set(reps["rep_id"].astype(str))
    owner = _ids(accounts["owner_rep_id"])
    return float(sum(p for a, o, p in zip(accounts["account_id"].astype(str), owner,
                                           accounts["potential"])
                     if o in known and assignment[a] != o))


def brute_force(accounts: pd.DataFrame, reps: pd.DataFrame, tolerance: float,
                cost: pd.DataFrame | None = None, max_moved_share: float | None = None,
                ) -> tuple[float, pd.Series | None]:
    """The least objective over every feasible assignment, by enumeration (tiny instances only).

    ``cost``: a table indexed by account_id with a column per rep_id; default: moved potential.
    """
    accounts = accounts.reset_index(drop=True)
    ids = list(accounts["account_id"].astype(str))
    rep_ids = list(reps["rep_id"].astype(str))
    owner = _ids(accounts["owner_rep_id"])
    potential = accounts["potential"].to_numpy(float)
    if cost is None:
        matrix = np.array([[p if (o in rep_ids and o != r) else 0.0 for r in rep_ids]
                           for o, p in zip(owner, potential)])
    else:
        matrix = cost.loc[ids, rep_ids].to_numpy(float)
    choices = []
    for _, row in accounts.iterrows():
        ok = reps[(reps["segment"] == row["segment"]) & (reps["capacity"] > 0)
                  & (_ids(reps["region"]).isin(["", str(row["region"])]))]
        choices.append([rep_ids.index(r) for r in ok["rep_id"].astype(str)])
    combos = np.array(list(itertools.product(*choices)))
    if combos.size == 0:
        return np.inf, None
    feasible = np.ones(len(combos), bool)
    for measure in ("potential", "workload"):
        value = accounts[measure].to_numpy(float)
        for r, fair in fair_table(accounts, reps, measure).items():
            load = (combos == rep_ids.index(r)) @ value
            slack = EPS * max(1, fair)
            feasible &= (load <= (1 + tolerance) * fair + slack) & (load >= (1 - tolerance) * fair - slack)
    locked = accounts.get("locked", pd.Series(0, index=accounts.index)).fillna(0).astype(bool)
    for a, (o, lk) in enumerate(zip(owner, locked)):
        if lk and o in rep_ids:
            feasible &= combos[:, a] == rep_ids.index(o)
    totals = matrix[np.arange(len(ids)), combos].sum(axis=1)
    if max_moved_share is not None:
        moved = np.array([[p if (o in rep_ids and o != r) else 0.0 for r in rep_ids]
                          for o, p in zip(owner, potential)])
        moved_total = moved[np.arange(len(ids)), combos].sum(axis=1)
        feasible &= moved_total <= max_moved_share * potential.sum() + EPS
    if not feasible.any():
        return np.inf, None
    best = int(np.flatnonzero(feasible)[np.argmin(totals[feasible])])
    return float(totals[best]), pd.Series([rep_ids[j] for j in combos[best]], index=ids)
