"""Pools, fair shares and eligible (account, rep) pairs, as numpy arrays.

A pool is the set of accounts and reps that can only trade with each other: a segment x region,
or a whole segment ("SMB/*") when the segment has a rep with an empty region (that rep can take
any region's accounts, so the regions are coupled and solved together; fair shares still follow
the regions, see fair_shares). Reps with capacity 0 get nothing and make no pairs. Accounts and reps are sorted by id so the row order of the input files never matters.
"""
from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator

import numpy as np
import pandas as pd

from territory.errors import TerritoryInputError
from territory.inputs import Inputs, rows_text

ANY_REGION = "*"


@dataclass(frozen=True)
class Instance:
    accounts: pd.DataFrame        # sorted by account_id; column "pool" added
    reps: pd.DataFrame            # sorted by rep_id; columns "pool", "fair_potential", ...
    pool_names: tuple[str, ...]
    acc_pool: np.ndarray          # pool index per account
    rep_pool: np.ndarray          # pool index per rep (-1: capacity 0 and no pool of its own)
    potential: np.ndarray
    workload: np.ndarray
    owner: np.ndarray             # rep index of the current owner, -1 if none
    locked: np.ndarray
    capacity: np.ndarray
    fair_potential: np.ndarray
    fair_workload: np.ndarray
    pair_acc: np.ndarray          # eligible pairs, sorted by (pool, account, rep)
    pair_rep: np.ndarray
    pair_pool: np.ndarray

    @property
    def n_pools(self) -> int:
        return len(self.pool_names)

    def pool_of(self, name: str) -> int:
        return self.pool_names.index(name)


def pool_name(segment: str, region: str) -> str:
    return f"{segment}/{region if region else '(no region)'}"


def _assign_pools(accounts: pd.DataFrame, reps: pd.DataFrame) -> tuple[list[str], list[str]]:
    active = reps[reps["capacity"] > 0]
    open_segments = set(active.loc[active["region"] == "", "segment"])
    acc_names = [
        f"{seg}/{ANY_REGION}" if seg in open_segments else pool_name(seg, reg)
        for seg, reg in zip(accounts["segment"], accounts["region"])
    ]
    rep_names = [
        f"{seg}/{ANY_REGION}" if seg in open_segments else pool_name(seg, reg)
        for seg, reg in zip(reps["segment"], reps["region"])
    ]
    return acc_names, rep_names


def _check_every_pool_staffed(accounts: pd.DataFrame, reps: pd.DataFrame) -> None:
    staffed = set(reps.loc[reps["capacity"] > 0, "pool"])
    orphan = ~accounts["pool"].isin(staffed)
    if not orphan.any():
        return
    lines = []
    for name, group in accounts[orphan].groupby("pool", sort=True):
        first = group.iloc[0]
        lines.append(
            f"pool {name} has {len(group)} account(s) and no rep with capacity > 0: no eligible rep "
            f"for account {first['account_id']} (segment {first['segment']}, region "
            f"{first['region'] or '(empty)'}); accounts {rows_text(group['row'].to_numpy())}"
        )
    raise TerritoryInputError(
        "accounts: " + "; ".join(lines) + ". Hint: add a rep with that segment and region (or an "
        "empty region, which covers every region of its segment), or give an existing one capacity."
    )


def _pairs(accounts: pd.DataFrame, reps: pd.DataFrame, acc_pool: np.ndarray,
           rep_pool: np.ndarray, active: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cross products of accounts and eligible active reps, one (pool, region) block at a time."""
    acc_region = accounts["region"].to_numpy()
    rep_region = reps["region"].to_numpy()
    blocks_a, blocks_r = [], []
    frame = pd.DataFrame({"pool": acc_pool, "region": acc_region})
    for (pool, region), idx in frame.groupby(["pool", "region"], sort=True).indices.items():
        eligible = np.flatnonzero(active & (rep_pool == pool)
                                  & ((rep_region == region) | (rep_region == "")))
        blocks_a.append(np.repeat(idx, eligible.size))
        blocks_r.append(np.tile(eligible, idx.size))
    if not blocks_a:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(blocks_a).astype(np.int64), np.concatenate(blocks_r).astype(np.int64)


def fair_shares(accounts: pd.DataFrame, reps: pd.DataFrame, values: np.ndarray) -> np.ndarray:
    """Each active rep's fair share of ``values`` (potential or workload); 0 for capacity 0.

    Plain segment x region pool: pool total x capacity / pool capacity. A segment with reps
    without a region (overlay reps, who may take any region's accounts): the overlay reps hold
    the share O / C of the segment (O their capacity, C everyone's), so each region keeps
    (1 - O / C) of its total for its own reps, split by capacity; the overlay reps split the
    rest (including regions that have no rep of their own) by capacity. Shares add up to the
    segment total either way.
    """
    fair = np.zeros(len(reps))
    capacity = reps["capacity"].to_numpy(float)
    active = capacity > 0
    acc_seg, acc_reg = accounts["segment"].to_numpy(), accounts["region"].to_numpy()
    rep_seg, rep_reg = reps["segment"].to_numpy(), reps["region"].to_numpy()
    for segment in np.unique(rep_seg[active]):
        in_seg = active & (rep_seg == segment)
        seg_values = values[acc_seg == segment]
        overlay = in_seg & (rep_reg == "")
        regional = in_seg & (rep_reg != "")
        overlay_cap, total_cap = capacity[overlay].sum(), capacity[in_seg].sum()
        keep = 1.0 - overlay_cap / total_cap
        given = 0.0
        for region in np.unique(rep_reg[regional]):
            reps_here = regional & (rep_reg == region)
            region_total = values[(acc_seg == segment) & (acc_reg == region)].sum()
            fair[reps_here] = region_total * keep * capacity[reps_here] / capacity[reps_here].sum()
            given += region_total * keep
        if overlay.any():
            fair[overlay] = (seg_values.sum() - given) * capacity[overlay] / overlay_cap
    return fair


def build_instance(inputs: Inputs) -> Instance:
    """Pools, fair shares and eligible pairs; raises if a pool has accounts but nobody to serve them."""
    accounts = inputs.accounts.sort_values("account_id", kind="stable").reset_index(drop=True)
    reps = inputs.reps.sort_values("rep_id", kind="stable").reset_index(drop=True)
    acc_names, rep_names = _assign_pools(accounts, reps)
    accounts["pool"], reps["pool"] = acc_names, rep_names
    _check_every_pool_staffed(accounts, reps)
    names = tuple(sorted(set(acc_names) | set(reps.loc[reps["capacity"] > 0, "pool"])))
    index = {name: i for i, name in enumerate(names)}
    acc_pool = np.array([index[n] for n in acc_names], dtype=np.int64)
    rep_pool = np.array([index.get(n, -1) for n in rep_names], dtype=np.int64)

    potential = accounts["potential"].to_numpy(float)
    workload = accounts["workload"].to_numpy(float)
    capacity = reps["capacity"].to_numpy(float)
    active = capacity > 0
    n_pools = len(names)
    fair_potential = fair_shares(accounts, reps, potential)
    fair_workload = fair_shares(accounts, reps, workload)
    reps["fair_potential"], reps["fair_workload"] = fair_potential, fair_workload
    # Display labels: a rep without a region is "SEG/*", everyone else keeps segment/region.
    accounts["pool"] = [pool_name(s, r) for s, r in zip(accounts["segment"], accounts["region"])]
    reps["pool"] = [f"{s}/{ANY_REGION}" if not r else pool_name(s, r)
                    for s, r in zip(reps["segment"], reps["region"])]

    rep_index = pd.Series(np.arange(len(reps)), index=reps["rep_id"])
    owner = accounts["owner_rep_id"].map(rep_index).fillna(-1).to_numpy(np.int64)
    locked = accounts["locked"].to_numpy(bool)

    pair_acc, pair_rep = _pairs(accounts, reps, acc_pool, rep_pool, active)
    # A locked account keeps only the pair with its owner (if that pair is eligible at all;
    # feasibility.precheck explains the case where it is not).
    keep = ~locked[pair_acc] | (pair_rep == owner[pair_acc])
    pair_acc, pair_rep = pair_acc[keep], pair_rep[keep]
    pair_pool = acc_pool[pair_acc]
    order = np.lexsort((pair_rep, pair_acc, pair_pool))
    return Instance(
        accounts=accounts, reps=reps, pool_names=names, acc_pool=acc_pool, rep_pool=rep_pool,
        potential=potential, workload=workload, owner=owner, locked=locked, capacity=capacity,
        fair_potential=fair_potential, fair_workload=fair_workload,
        pair_acc=pair_acc[order], pair_rep=pair_rep[order], pair_pool=pair_pool[order],
    )


# --- solving pools elsewhere ---------------------------------------------------------------------

# Pools are independent: any map-like callable solves them, called as ``pool_map(func, *lists)``
# and returning the results in order (the builtin ``map``, a process pool's ``map``, or
# :func:`cluster_map`'s on a Dask cluster).
PoolMap = Callable[..., Iterable[Any]]

# Seconds to wait for a scheduler (distributed's default, 30 s, is long to learn of a typo).
CONNECT_TIMEOUT = 5.0


class ClusterError(TerritoryInputError):
    """The Dask cluster cannot be used: the extra is missing or the scheduler does not answer."""


@contextlib.contextmanager
def cluster_map(scheduler: str, timeout: float | None = None) -> Iterator[PoolMap]:
    """A PoolMap running each call on the workers of the Dask cluster at ``scheduler``
    (connected within ``timeout`` seconds, None: :data:`CONNECT_TIMEOUT`), for the block."""
    timeout = CONNECT_TIMEOUT if timeout is None else timeout
    try:  # an optional extra: imported only when a cluster is asked for
        from distributed import Client
    except ImportError as exc:
        raise ClusterError(f"backend 'dask' needs the 'distributed' package, which is not "
                           f"installed ({exc}); install the dask extra here and on every worker: "
                           'pip install "revops[dask]", or set backend=\'local\'.') from None
    try:
        client = Client(scheduler, timeout=timeout, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise ClusterError(
            f"scheduler {scheduler!r}: no Dask scheduler answered within {timeout:g} s ({exc}); "
            "expected the address a running scheduler prints, e.g. tcp://10.0.0.5:8786. Start "
            "one ('dask scheduler', then 'dask worker ADDRESS' on each worker machine), fix the "
            "scheduler address, or set backend='local'.") from None

    def pool_map(func: Callable[..., Any], *items: Iterable[Any]) -> list[Any]:
        # pure=False: a pool solved twice (later phases) is solved again, not looked up
        return client.gather(client.map(func, *items, pure=False))

    try:
        yield pool_map
    finally:
        client.close()
