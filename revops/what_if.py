"""Territory what-ifs side by side: several plans, one table; quotas per rep across plans.

The re-planning itself lives in :mod:`territory.what_if` (a rep leaves, reps are hired, another
tolerance or disruption budget); this module lines up the resulting plans for a notebook:

    plans = {"base": base, "R004 leaves": rep_leaves(...), "2 hires": reps_hired(...)}
    compare_scenarios(plans)      # one row per headline metric, one column per scenario
    quota_changes(plans)          # one row per rep: quota per scenario and change vs base
"""
from __future__ import annotations

from typing import Mapping

import numpy as np
import pandas as pd

from territory import TerritoryPlan

# (TerritorySummary field, row label)
SCENARIO_METRICS = (
    ("status", "solver status"),
    ("reps", "reps"),
    ("accounts", "accounts"),
    ("tolerance_requested", "balance tolerance asked (share)"),
    ("tolerance_reached", "balance tolerance reached (share)"),
    ("worst_deviation_before_pct", "worst deviation from fair share before (%)"),
    ("worst_deviation_pct", "worst deviation from fair share after (%)"),
    ("max_moved_share", "disruption budget (share of potential)"),
    ("accounts_moved", "accounts moved off their owner"),
    ("moved_share", "potential moved (share)"),
    ("moved_potential", "potential moved"),
    ("certified_gap", "certified optimality gap"),
)


def new_reps(reps: pd.DataFrame, segment: str, region: str, count: int = 2, *, capacity: float = 1.0,
             ramp: float = 0.5, prefix: str = "NEW") -> pd.DataFrame:
    """``count`` hires for one segment and region, shaped like ``reps`` (ids ``NEW1``, ``NEW2``...).

    Location and manager are copied from the first rep of the same pool when there is one, so
    travel costs and reporting lines stay plausible; ``ramp`` is the new hires' productivity.
    """
    if count < 1:
        raise ValueError(f"new_reps: count must be >= 1; got {count!r}.")
    same = reps[(reps["segment"].astype(str) == segment) & (reps["region"].astype(str) == region)]
    if not (reps["segment"].astype(str) == segment).any():
        raise ValueError(f"new_reps: no rep of segment {segment!r} on file; segments are "
                         f"{sorted(reps['segment'].astype(str).unique())}. Hint: check the spelling.")
    template = same.iloc[0] if len(same) else None
    rows = []
    for k in range(1, count + 1):
        row = {column: (template[column] if template is not None else np.nan) for column in reps.columns}
        row.update({"rep_id": f"{prefix}{k}", "segment": segment, "region": region,
                    "capacity": float(capacity), "ramp": float(ramp)})
        if "rep_name" in reps.columns:
            row["rep_name"] = f"New hire {k}"
        rows.append(row)
    return pd.DataFrame(rows, columns=reps.columns)


def compare_scenarios(plans: Mapping[str, TerritoryPlan], base: str | None = None) -> pd.DataFrame:
    """One row per headline metric, one column per scenario, plus the accounts whose rep
    differs from the ``base`` plan's (the first plan when not named)."""
    if not plans:
        raise ValueError("compare_scenarios: expected at least one plan.")
    names = list(plans)
    base = base or names[0]
    if base not in plans:
        raise ValueError(f"compare_scenarios: no plan named {base!r}; have {names}.")
    rows = []
    for key, label in SCENARIO_METRICS:
        rows.append({"metric": label, **{name: getattr(plans[name].summary, key) for name in names}})
    reference = plans[base].assignments.set_index("account_id")["rep_id"]
    changed = {}
    for name in names:
        other = plans[name].assignments.set_index("account_id")["rep_id"]
        joined = pd.concat([reference.rename("a"), other.rename("b")], axis=1)
        changed[name] = int((joined["a"] != joined["b"]).sum())
    rows.append({"metric": f"accounts with another rep than in '{base}'", **changed})
    return pd.DataFrame(rows)


def quota_changes(plans: Mapping[str, TerritoryPlan], base: str | None = None) -> pd.DataFrame:
    """Per rep: pool, quota in each scenario, and the change against ``base`` (absolute and %).

    A rep missing from a scenario (left) has no quota there; a rep only in a scenario (hired)
    has none in the base, and its change is its whole quota.
    """
    names = list(plans)
    base = base or names[0]
    frames = []
    for name in names:
        summary = plans[name].rep_summary
        if "quota" not in summary.columns:
            summary = summary.assign(quota=np.nan)
        frames.append(summary[["rep_id", "pool", "quota"]].rename(columns={"quota": name}).set_index(["rep_id", "pool"]))
    wide = pd.concat(frames, axis=1).reset_index().sort_values(["pool", "rep_id"], kind="stable")
    for name in names:
        if name != base:
            wide[f"{name} change"] = wide[name].fillna(0.0) - wide[base].fillna(0.0)
            wide[f"{name} change %"] = 100.0 * wide[f"{name} change"] / wide[base].where(wide[base] > 0)
    return wide.reset_index(drop=True)
