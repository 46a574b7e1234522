"""What-if functions: a rep leaves, reps are hired, tolerance/budget changes, plans compared."""
from __future__ import annotations

import pandas as pd

from territory import plan_territories
from territory.synthetic import make_instance
from territory.what_if import (compare_plans, rep_leaves, reps_hired, with_disruption_budget,
                               with_tolerance)
from territory_checker import violations


def _base():
    return make_instance(120, 6, 2, random_state=9, locked_share=0.0, unowned_share=0.0)


def test_rep_leaves_only_their_accounts_move():
    accounts, reps = _base()
    leaver = reps["rep_id"].iloc[1]
    plan = rep_leaves(accounts, reps, [leaver], balance_tolerance=0.15)
    result = plan.assignments.set_index("account_id")
    theirs = accounts["owner_rep_id"] == leaver
    assert (result["rep_id"] != leaver).all()
    others = accounts.loc[~theirs, ["account_id", "owner_rep_id"]].set_index("account_id")
    assert (result.loc[others.index, "rep_id"] == others["owner_rep_id"]).all()
    staying = reps[reps["rep_id"] != leaver]
    assert violations(accounts.assign(locked=0), staying, result["rep_id"],
                      plan.summary.tolerance_reached) == []


def test_reps_hired_get_a_fair_territory():
    accounts, reps = _base()
    new = pd.DataFrame({"rep_id": ["NEW1"], "segment": [reps["segment"].iloc[0]],
                        "region": [reps["region"].iloc[0]], "capacity": [1.0], "ramp": [0.5]})
    plan = reps_hired(accounts, reps, new, balance_tolerance=0.2)
    row = plan.rep_summary.set_index("rep_id").loc["NEW1"]
    assert row["accounts"] > 0 and abs(row["potential_deviation_pct"]) <= 20 + 1e-6
    assert row["moved_in"] == row["accounts"]


def test_budget_tolerance_and_compare():
    accounts, reps = _base()
    base = plan_territories(accounts, reps, balance_tolerance=0.3, mip_gap=1e-3)
    tight = with_tolerance(accounts, reps, 0.2, mip_gap=1e-3)
    # A tighter band cannot move less than the optimum of the looser one (up to the gap).
    assert tight.summary.moved_potential >= base.summary.objective_bound - 1e-6
    capped = with_disruption_budget(accounts, reps, tight.summary.moved_share + 1e-6,
                                    balance_tolerance=0.2, mip_gap=1e-3)
    assert capped.summary.moved_share <= tight.summary.moved_share + 1e-6
    table = compare_plans(base, tight, names=("base", "tight"))
    assert list(table.columns) == ["metric", "base", "tight", "change"]
    moved = table.set_index("metric").loc["moved_potential"]
    assert moved["change"] == tight.summary.moved_potential - base.summary.moved_potential
    changed = table.set_index("metric").loc["accounts_with_another_rep", "change"]
    expected = (base.assignments.set_index("account_id")["rep_id"]
                != tight.assignments.set_index("account_id")["rep_id"]).sum()
    assert changed == expected
