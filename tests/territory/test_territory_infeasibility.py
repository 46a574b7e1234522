"""Infeasible plans are explained (pool, rep or account, bound, by how much); best effort."""
from __future__ import annotations

import re

import pandas as pd
import pytest

from territory import TerritoryInfeasibleError, plan_territories
from territory_checker import violations


def _pool(potential, workload, owners=None, locked=None, n_reps=2, region="EMEA"):
    n = len(potential)
    accounts = pd.DataFrame({
        "account_id": [f"A{i}" for i in range(n)], "segment": "Enterprise", "region": region,
        "potential": potential, "workload": workload,
        "owner_rep_id": owners or [""] * n, "locked": locked or [0] * n,
    })
    reps = pd.DataFrame({"rep_id": [f"R{i}" for i in range(1, n_reps + 1)],
                         "segment": "Enterprise", "region": region, "capacity": 1.0})
    return accounts, reps


def test_locked_accounts_alone_over_the_upper_bound():
    accounts, reps = _pool([74, 26, 0, 0], [1, 1, 1, 1], owners=["R1", "", "", ""],
                           locked=[1, 0, 0, 0])
    with pytest.raises(TerritoryInfeasibleError) as err:
        plan_territories(accounts, reps, balance_tolerance=0.1, best_effort=False)
    assert ("pool Enterprise/EMEA: locked accounts alone give rep R1 148% of its fair share of "
            "potential (the upper bound is 110%)") in err.value.reasons


def test_account_bigger_than_every_upper_bound():
    accounts, reps = _pool([90, 5, 5], [1, 1, 1])
    with pytest.raises(TerritoryInfeasibleError) as err:
        plan_territories(accounts, reps, balance_tolerance=0.1, best_effort=False)
    assert err.value.reasons[0] == (
        "pool Enterprise/EMEA: account A0 has potential 90.0, more than any eligible rep can take "
        "within its upper bound (the most room is 55.0, at rep R1)")
    assert "hint: widen balance_tolerance," in str(err.value)
    assert "--" not in str(err.value)  # parameters, not command-line flags


def test_locked_account_with_a_capacity_zero_owner():
    accounts, reps = _pool([10, 10, 10, 10], [1, 1, 1, 1], owners=["R3", "", "", ""],
                           locked=[1, 0, 0, 0], n_reps=3)
    reps.loc[2, "capacity"] = 0
    with pytest.raises(TerritoryInfeasibleError, match="locked account A0 .* is owned by rep R3, "
                                                       "who has capacity 0"):
        plan_territories(accounts, reps, best_effort=False)


@pytest.mark.parametrize("solver", ["highs", "cbc"])
def test_diagnosis_after_the_solver_says_infeasible(solver):
    # Three equal accounts for two equal reps: loads are 10 or 20 against a fair 15 +/- 10%.
    # Every pre-check passes; the solver finds it infeasible; the diagnosis names the bound.
    accounts, reps = _pool([10, 10, 10], [2, 1, 1])
    with pytest.raises(TerritoryInfeasibleError) as err:
        plan_territories(accounts, reps, balance_tolerance=0.1, solver=solver, best_effort=False)
    assert len(err.value.reasons) == 1
    assert re.fullmatch(
        r"pool Enterprise/EMEA: no assignment keeps every rep within \+/-10% of its fair share of "
        r"potential \(workload on its own would be feasible\); the smallest tolerance that works "
        r"is 33\.3% \(then rep R[12] is at 133% of its fair share of potential\)",
        err.value.reasons[0])


def test_best_effort_returns_the_most_balanced_plan():
    accounts, reps = _pool([10, 10, 10], [2, 1, 1])
    plan = plan_territories(accounts, reps, balance_tolerance=0.1, best_effort=True)
    assert plan.summary.best_effort_relaxed is True
    assert plan.summary.tolerance_reached == pytest.approx(1 / 3, rel=1e-4)
    assignment = plan.assignments.set_index("account_id")["rep_id"]
    assert violations(accounts, reps, assignment, plan.summary.tolerance_reached) == []
    assert violations(accounts, reps, assignment, 0.33)  # and no better tolerance holds


def test_best_effort_with_locks_over_the_bound():
    accounts, reps = _pool([74, 26, 0, 0], [1, 1, 1, 1], owners=["R1", "", "", ""],
                           locked=[1, 0, 0, 0])
    plan = plan_territories(accounts, reps, balance_tolerance=0.1, best_effort=True)
    assert plan.summary.tolerance_reached == pytest.approx(0.48, rel=1e-4)
    assert plan.assignments.set_index("account_id").at["A0", "rep_id"] == "R1"


def test_moved_cap_below_what_balance_needs():
    accounts, reps = _pool([10, 10, 10, 10], [1, 1, 1, 1], owners=["R1"] * 4)
    with pytest.raises(TerritoryInfeasibleError) as err:
        plan_territories(accounts, reps, balance_tolerance=0.1, max_moved_share=0.25,
                         best_effort=False)
    assert err.value.reasons[0].startswith(
        "the cap on moved potential (25.0% of total potential, 10.0) is below the least any "
        "balanced plan moves: 50.0% (20.0)")
    plan = plan_territories(accounts, reps, balance_tolerance=0.1, max_moved_share=0.25,
                            best_effort=True)
    assert plan.summary.moved_share == pytest.approx(0.5)
    assert plan.summary.max_moved_share_reached == pytest.approx(0.5, rel=1e-5)
