"""A small territory plan folder (the two files the service reads) for the routing tests."""
from __future__ import annotations

import csv
import os
from pathlib import Path

# rep_id, segment, region, capacity, ramp: weights 1000/500/500 in SMB/EMEA, an SMB rep of any
# region (250), SMB/AMER 1000, Mid-Market/EMEA 1000 and a rep with no capacity.
REPS = [("R1", "SMB", "EMEA", 1.0, 1.0), ("R2", "SMB", "EMEA", 1.0, 0.5), ("R3", "SMB", "EMEA", 0.5, ""),
        ("R4", "SMB", "", 1.0, 0.25), ("R5", "SMB", "AMER", 1.0, 1.0), ("R6", "Mid-Market", "EMEA", 1.0, 1.0),
        ("R7", "Mid-Market", "EMEA", 0.0, 1.0)]
POOL_WEIGHTS = {"SMB/EMEA": {"R1": 1.0, "R2": 0.5, "R3": 0.5, "R4": 0.25},
                "SMB/AMER": {"R4": 0.25, "R5": 1.0}}


def accounts(n: int = 30, shift: int = 0) -> list[tuple[str, str, str, str]]:
    """(account_id, segment, region, rep_id): accounts spread over the active reps of their pool."""
    out = []
    eligible = {"SMB/EMEA": ["R1", "R2", "R3", "R4"], "SMB/AMER": ["R4", "R5"], "Mid-Market/EMEA": ["R6"]}
    pools = list(eligible)
    for i in range(n):
        pool = pools[i % 3]
        segment, region = pool.split("/")
        reps = eligible[pool]
        out.append((f"A{i:04d}", segment, region, reps[(i // 3 + shift) % len(reps)]))
    return out


def write_plan(folder: Path, n_accounts: int = 30, shift: int = 0, reps=REPS,
               files: tuple[str, ...] = ("rep_summary.csv", "assignments.csv")) -> dict[str, str]:
    """``files`` of assignments.csv and rep_summary.csv under folder/territory/, each replaced by
    a rename (as a finished plan is moved into place); {account_id: rep_id}."""
    where = folder / "territory"
    where.mkdir(parents=True, exist_ok=True)
    rows = accounts(n_accounts, shift)

    def replace(name: str, header: list[str], data: list[tuple]) -> None:
        if name not in files:
            return
        tmp = where / f".{name}.tmp"
        with open(tmp, "w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            writer.writerows(data)
        os.replace(tmp, where / name)

    replace("rep_summary.csv", ["rep_id", "pool", "segment", "region", "capacity", "ramp", "accounts"],
            [(r, f"{s}/{g or '*'}", s, g, c, ramp, 0) for r, s, g, c, ramp in reps])
    replace("assignments.csv", ["account_id", "segment", "region", "pool", "potential", "rep_id", "moved"],
            [(a, s, g, f"{s}/{g}", 1000.0, rep, False) for a, s, g, rep in rows])
    return {a: rep for a, _, _, rep in rows}
