"""What-if questions for notebooks: each re-plans with the same library and returns a plan.

    plan = plan_territories(accounts, reps)
    after = rep_leaves(accounts, reps, ["R07"])
    compare_plans(plan, after)
"""
from __future__ import annotations

import dataclasses
from typing import Any, Iterable

import numpy as np
import pandas as pd

from territory.config import TerritoryConfig
from territory.errors import TerritoryInputError
from territory.inputs import as_id
from territory.plan import TerritoryPlan, plan_territories


def rep_leaves(accounts: pd.DataFrame, reps: pd.DataFrame, leaving: Iterable[str],
               config: TerritoryConfig | None = None, only_their_accounts: bool = True,
               **kwargs: Any) -> TerritoryPlan:
    """Reps leave: their accounts go to the remaining reps with the least disruption.

    With ``only_their_accounts`` every other account is locked to its owner, so only the leavers'
    accounts move; the plan is best effort (the locks may make the tolerance unreachable, and the
    summary then says which tolerance was reached).
    """
    leaving = {str(r) for r in leaving}
    unknown = leaving - set(as_id(reps["rep_id"]))
    if unknown:
        raise TerritoryInputError(f"rep_leaves: unknown rep id(s) {sorted(unknown)}; they are not "
                                  "in the reps table. Hint: check the rep_id spelling.")
    staying = reps[~as_id(reps["rep_id"]).isin(leaving)]
    accounts = accounts.copy()
    if only_their_accounts:
        owner = as_id(accounts["owner_rep_id"])
        accounts["locked"] = (owner != "") & ~owner.isin(leaving)
    config = dataclasses.replace(config or TerritoryConfig(), objective="disruption",
                                 best_effort=True)
    return plan_territories(accounts, staying, config=config, **kwargs)


def reps_hired(accounts: pd.DataFrame, reps: pd.DataFrame, new_reps: pd.DataFrame,
               config: TerritoryConfig | None = None, **kwargs: Any) -> TerritoryPlan:
    """New reps join (with no accounts): the plan gives them fair territories, moving least."""
    return plan_territories(accounts, pd.concat([reps, new_reps], ignore_index=True),
                            config=config, **kwargs)


def with_tolerance(accounts: pd.DataFrame, reps: pd.DataFrame, tolerance: float,
                   config: TerritoryConfig | None = None, **kwargs: Any) -> TerritoryPlan:
    """The plan at another balance tolerance."""
    return plan_territories(accounts, reps, config=config, balance_tolerance=tolerance, **kwargs)


def with_disruption_budget(accounts: pd.DataFrame, reps: pd.DataFrame, max_moved_share: float | None,
                           config: TerritoryConfig | None = None, **kwargs: Any) -> TerritoryPlan:
    """The plan with another cap on the share of potential moved (None: no cap)."""
    return plan_territories(accounts, reps, config=config, max_moved_share=max_moved_share, **kwargs)


HEADLINES = ("status", "objective", "objective_value", "certified_gap", "worst_deviation_pct",
             "tolerance_reached", "moved_share", "moved_potential", "accounts_moved",
             "travel_cost", "reps", "accounts")


def compare_plans(first: TerritoryPlan, second: TerritoryPlan,
                  names: tuple[str, str] = ("first", "second")) -> pd.DataFrame:
    """Headline numbers side by side, the change, and how many accounts changed hands."""
    rows = []
    for key in HEADLINES:
        a, b = getattr(first.summary, key), getattr(second.summary, key)
        change = (b - a) if isinstance(a, (int, float)) and isinstance(b, (int, float)) \
            and not isinstance(a, bool) and a is not None and b is not None else np.nan
        rows.append({"metric": key, names[0]: a, names[1]: b, "change": change})
    merged = first.assignments[["account_id", "rep_id"]].merge(
        second.assignments[["account_id", "rep_id"]], on="account_id", how="outer",
        suffixes=("_a", "_b"))
    differ = int((merged["rep_id_a"] != merged["rep_id_b"]).sum())
    rows.append({"metric": "accounts_with_another_rep", names[0]: np.nan, names[1]: np.nan,
                 "change": differ})
    return pd.DataFrame(rows)
