"""Books whose numbers a double-precision MILP cannot take as they are: scaled, or refused clearly.

Potentials around 1e15 (or from 1e-6 to 1e15) used to crash inside PuLP (IndexError) or come
back without a plan: HiGHS rejects matrix values of 1e15 and more and ignores those of 1e-9 and
less. The model now works per pool in units of the mean fair share.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from territory import TerritoryInputError, plan_territories
from territory.synthetic import make_instance
from territory_checker import violations

ENGINES = [("pulp", "highs"), ("highspy", "highs"), ("pulp", "cbc")]


def _assignment(plan) -> pd.Series:
    return plan.assignments.set_index("account_id")["rep_id"]


@pytest.mark.parametrize("engine,solver", ENGINES)
def test_potentials_around_1e15_give_the_plan_of_the_same_book_in_small_units(engine, solver):
    accounts, reps = make_instance(90, 6, 2, random_state=2)
    huge = accounts.assign(potential=accounts["potential"] * 1e12)  # about 2e16 each
    small = plan_territories(accounts, reps, engine=engine, solver=solver, balance_tolerance=0.15,
                             mip_gap=0, best_effort=False)
    large = plan_territories(huge, reps, engine=engine, solver=solver, balance_tolerance=0.15,
                             mip_gap=0, best_effort=False)
    assert large.status == "optimal"
    pd.testing.assert_series_equal(_assignment(large), _assignment(small))
    assert large.summary.moved_potential == pytest.approx(small.summary.moved_potential * 1e12,
                                                          rel=1e-9)
    assert large.summary.objective_value == pytest.approx(small.summary.objective_value * 1e12,
                                                          rel=1e-9)
    assert violations(huge, reps, _assignment(large), 0.15) == []


def _spread_book():
    """One pool; half the accounts at 1e-6, half around 1e15, workloads ordinary."""
    accounts, reps = make_instance(60, 4, 1, random_state=0, locked_share=0.0)
    tiny = np.arange(len(accounts)) % 2 == 0
    accounts["potential"] = np.where(tiny, 1e-6, accounts["potential"] * 1e10)
    return accounts, reps, accounts.loc[tiny, "account_id"]


@pytest.mark.parametrize("engine,solver", ENGINES)
def test_potentials_from_1e_minus_6_to_1e15_in_one_pool(engine, solver):
    accounts, reps, tiny = _spread_book()
    plan = plan_territories(accounts, reps, engine=engine, solver=solver, balance_tolerance=0.2,
                            best_effort=False)
    assert plan.status == "optimal"
    # The independent checker works in the real numbers: every rule holds there.
    assert violations(accounts, reps, _assignment(plan), 0.2) == []
    (note,) = [n for n in plan.notes if "below what the solver resolves" in n]
    assert note.startswith(f"{len(tiny)} account(s) have a potential or workload below")


def test_spread_book_under_a_moved_share_cap():
    accounts, reps, _ = _spread_book()
    free = plan_territories(accounts, reps, balance_tolerance=0.2, best_effort=False)
    cap = free.summary.moved_share * 1.001
    capped = plan_territories(accounts, reps, balance_tolerance=0.2, objective="travel",
                              max_moved_share=cap, best_effort=False)
    assert violations(accounts, reps, _assignment(capped), 0.2, cap) == []


def test_tiny_values_that_add_up_beyond_the_band_are_refused():
    # 400 accounts of 1e4 beside 40 of about 1e12: each tiny one is 5e-10 of a fair share (2e13),
    # too small for the solver, and together 2e-7 of a fair share, twice the thousandth of the
    # +/-0.01% band that values entered as 0 may take.
    rng = np.random.default_rng(1)
    big = rng.uniform(0.9e12, 1.1e12, 40)
    potential = np.concatenate([big, np.full(400, 1e4)])
    accounts = pd.DataFrame({"account_id": [f"A{i:03d}" for i in range(440)], "segment": "SMB",
                             "region": "NA", "potential": potential, "workload": 1.0,
                             "owner_rep_id": ""})
    reps = pd.DataFrame({"rep_id": ["R1", "R2"], "segment": "SMB", "region": "NA",
                         "capacity": 1.0})
    with pytest.raises(TerritoryInputError) as err:
        plan_territories(accounts, reps, balance_tolerance=1e-4)
    message = str(err.value)
    assert message.startswith(
        "accounts: column 'potential' of pool SMB/NA spans more orders of magnitude than the "
        "solver can resolve: 400 account(s), e.g. A040 (1e+04), A041 (1e+04), A042 (1e+04) and "
        "397 more, each hold less than 1e-09 of the pool's mean fair share")
    assert "balance band (+/-0.01%)" in message
    assert "Hint: set the potential of such accounts to 0" in message
    # The same book at an ordinary tolerance: the tiny values are negligible, the plan exists.
    plan = plan_territories(accounts, reps, balance_tolerance=0.05, best_effort=False)
    assert violations(accounts, reps, _assignment(plan), 0.05) == []


def test_a_tolerance_below_the_solver_resolution_is_refused():
    accounts, reps = make_instance(40, 2, 1, random_state=0)
    with pytest.raises(TerritoryInputError, match=r"^balance_tolerance=1e-06 is narrower than the "
                                                  r"solver can resolve.*Hint: raise "
                                                  r"balance_tolerance to at least 1e-05\.$"):
        plan_territories(accounts, reps, balance_tolerance=1e-6)


def test_a_rep_with_a_vanishing_fair_share_is_named():
    accounts, reps = make_instance(40, 3, 1, random_state=0)
    reps.loc[2, "capacity"] = 1e-7
    with pytest.raises(TerritoryInputError) as err:
        plan_territories(accounts, reps)
    message = str(err.value)
    assert message.startswith(f"reps: rep {reps.loc[2, 'rep_id']} in pool S00/NA has a fair "
                              "share of potential of ")
    assert f"Hint: give rep {reps.loc[2, 'rep_id']} capacity 0 (no accounts)" in message
    assert "it has 1e-07" in message


def test_a_pool_of_small_numbers_beside_one_of_huge_numbers_keeps_its_own_optimum():
    # The tie-breaking term follows each pool's own scale when pools differ by orders of
    # magnitude; a plan-wide one (about 1e-6 x 1e16 here) would swamp the small pool's choices.
    accounts, reps = make_instance(80, 6, 2, random_state=6, locked_share=0.0)
    emea = accounts["region"] == "EMEA"
    mixed = accounts.assign(potential=accounts["potential"].where(~emea, accounts["potential"] * 1e12))
    plan = plan_territories(mixed, reps, balance_tolerance=0.2, best_effort=False)
    na_accounts, na_reps = accounts[~emea], reps[reps["region"] == "NA"]
    alone = plan_territories(na_accounts, na_reps, balance_tolerance=0.2, best_effort=False)
    moved_na = plan.assignments.query("region == 'NA' and moved")["potential"].sum()
    # Both within mip_gap (0.5%) of the same optimum.
    assert moved_na == pytest.approx(alone.summary.moved_potential, rel=0.011)
    assert moved_na >= alone.summary.objective_bound - 1e-6
    assert violations(mixed, reps, _assignment(plan), 0.2) == []
