"""The MILP: every rule holds (checked independently), optimality by brute force, engines agree."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from territory import TerritoryInfeasibleError, plan_territories
from territory.inputs import check_inputs
from territory.model import build_model
from territory.objective import haversine_km
from territory.pools import build_instance
from territory.problem import block_problem
from territory.scaling import model_numbers
from territory.synthetic import make_instance

from territory_checker import brute_force, violations
from territory_checker import tiny

ENGINES = [("pulp", "highs"), ("pulp", "cbc"), ("highspy", "highs")]
EXACT = dict(mip_gap=0.0)


def _assignment(plan) -> pd.Series:
    return plan.assignments.set_index("account_id")["rep_id"]


@pytest.mark.parametrize("engine,solver", ENGINES)
def test_every_rule_holds_on_random_instances(engine, solver):
    accounts, reps = make_instance(160, 8, 4, random_state=3)
    plan = plan_territories(accounts, reps, engine=engine, solver=solver, balance_tolerance=0.12)
    assert plan.status == "optimal"
    assert violations(accounts, reps, _assignment(plan), 0.12) == []
    assert plan.summary.worst_deviation_pct <= 12 + 1e-6
    assert plan.summary.worst_deviation_before_pct > 12  # the status quo needed work


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_disruption_optimum_matches_brute_force(seed):
    accounts, reps = tiny(seed, regions=("NA", "EMEA"), open_rep=seed % 2 == 0)
    best, _ = brute_force(accounts, reps, 0.4)
    for engine, solver in ENGINES:
        if not np.isfinite(best):
            with pytest.raises(TerritoryInfeasibleError):
                plan_territories(accounts, reps, balance_tolerance=0.4, engine=engine, solver=solver,
                                 best_effort=False)
            continue
        plan = plan_territories(accounts, reps, balance_tolerance=0.4, engine=engine,
                                solver=solver, **EXACT)
        assert violations(accounts, reps, _assignment(plan), 0.4) == []
        assert plan.summary.moved_potential == pytest.approx(best, rel=1e-7, abs=1e-6), (engine, solver)
        assert plan.summary.certified_gap <= 1e-6


def test_some_tiny_instances_are_feasible():
    # Guards the brute-force test against passing only through the infeasible branch.
    feasible = [np.isfinite(brute_force(*tiny(s, regions=("NA", "EMEA"), open_rep=s % 2 == 0),
                                        0.4)[0]) for s in range(4)]
    assert sum(feasible) >= 2


@pytest.mark.parametrize("seed", [5, 6])
def test_travel_optimum_matches_brute_force_haversine(seed):
    accounts, reps = tiny(seed, n_accounts=7, n_reps=3, locked_share=0.0)
    km = pd.DataFrame(
        haversine_km(accounts["lat"].to_numpy()[:, None], accounts["lon"].to_numpy()[:, None],
                     reps["lat"].to_numpy()[None, :], reps["lon"].to_numpy()[None, :]),
        index=accounts["account_id"], columns=reps["rep_id"])
    best, _ = brute_force(accounts, reps, 0.5, cost=km)
    assert np.isfinite(best)
    plan = plan_territories(accounts, reps, objective="travel", balance_tolerance=0.5, **EXACT)
    assert plan.summary.travel_cost == pytest.approx(best, rel=1e-6)


def test_travel_from_costs_file_and_moved_cap():
    accounts, reps = tiny(8, n_accounts=7, n_reps=3, locked_share=0.0)
    rng = np.random.default_rng(8)
    cost = pd.DataFrame(rng.uniform(0, 100, (7, 3)), index=accounts["account_id"],
                        columns=reps["rep_id"])
    costs = cost.stack().rename("cost").reset_index()
    for cap in (None, 0.3):
        best, _ = brute_force(accounts, reps, 0.5, cost=cost, max_moved_share=cap)
        if not np.isfinite(best):
            continue
        plan = plan_territories(accounts, reps, costs=costs, objective="travel",
                                balance_tolerance=0.5, max_moved_share=cap, **EXACT)
        assert plan.summary.travel_cost == pytest.approx(best, rel=1e-6)
        assert violations(accounts, reps, _assignment(plan), 0.5, cap) == []


def test_moved_cap_couples_pools_and_is_respected():
    accounts, reps = make_instance(120, 6, 2, random_state=11, imbalance=0.2)
    free = plan_territories(accounts, reps, balance_tolerance=0.25)
    share = free.summary.moved_share
    capped = plan_territories(accounts, reps, balance_tolerance=0.25,
                              max_moved_share=share * 1.001, objective="travel")
    assert capped.summary.blocks == 1 and free.summary.blocks == 2
    assert violations(accounts, reps, _assignment(capped), 0.25, share * 1.001) == []
    uncapped_travel = plan_territories(accounts, reps, balance_tolerance=0.25, objective="travel")
    assert uncapped_travel.summary.moved_share > share * 1.001  # so the cap did bind


@pytest.mark.parametrize("seed", [0, 4])
def test_fast_path_gives_the_same_answers_as_pulp(seed):
    accounts, reps = make_instance(90, 6, 2, random_state=seed)
    # The same model in the same row/column order: HiGHS gives the very same answer.
    pulp_plan = plan_territories(accounts, reps, engine="pulp", balance_tolerance=0.15)
    fast_plan = plan_territories(accounts, reps, engine="highspy", balance_tolerance=0.15,
                                 warm_start=False)
    assert fast_plan.summary.engines == ("highspy",) and pulp_plan.summary.engines == ("pulp",)
    assert fast_plan.summary.objective_value == pytest.approx(
        pulp_plan.summary.objective_value, rel=1e-12)
    pd.testing.assert_series_equal(_assignment(fast_plan), _assignment(pulp_plan))


def test_same_plan_whatever_the_row_order():
    accounts, reps = make_instance(120, 6, 2, random_state=5)
    a = plan_territories(accounts, reps, balance_tolerance=0.15)
    b = plan_territories(accounts.sample(frac=1, random_state=1), reps.sample(frac=1, random_state=2),
                         balance_tolerance=0.15)
    pd.testing.assert_frame_equal(a.assignments, b.assignments)
    pd.testing.assert_frame_equal(a.rep_summary, b.rep_summary)


def test_region_less_rep_joins_the_regions_of_its_segment():
    accounts, reps = tiny(3, n_accounts=8, n_reps=3, regions=("NA", "EMEA"), open_rep=True,
                          locked_share=0.0)
    plan = plan_territories(accounts, reps, balance_tolerance=0.6)
    assert list(plan.pool_summary["pool"]) == ["SMB/*"]  # one block: the regions are coupled
    assert set(plan.assignments["pool"]) == {"SMB/NA", "SMB/EMEA"}
    assert plan.rep_summary.set_index("rep_id").at["R2", "pool"] == "SMB/*"
    fair = plan.rep_summary["fair_potential"].sum()
    assert fair == pytest.approx(accounts["potential"].sum())
    assert violations(accounts, reps, _assignment(plan), 0.6) == []


def test_constraints_are_named_after_the_data():
    accounts, reps = tiny(1, locked_share=0.0)
    inst = build_instance(check_inputs(accounts, reps))
    numbers = model_numbers(inst, np.zeros(inst.pair_acc.size), 0.1)
    block = block_problem(inst, np.zeros(inst.pair_acc.size), numbers, (0,),
                          np.full(inst.n_pools, 0.1))
    prob, x, _ = build_model(block)
    names = {c.name for c in prob.constraints()}
    assert {"assign_A0", "balance_potential_max_R0", "balance_potential_min_R2",
            "balance_workload_max_R1", "balance_workload_min_R1"} <= names
    assert len(x) == inst.pair_acc.size == 7 * 3


def test_capacity_zero_rep_gets_nothing_and_locked_accounts_stay():
    accounts, reps = make_instance(80, 5, 1, random_state=2, locked_share=0.1)
    reps.loc[0, "capacity"] = 0.0
    accounts.loc[accounts["owner_rep_id"] == reps.loc[0, "rep_id"], "locked"] = 0
    plan = plan_territories(accounts, reps, balance_tolerance=0.2)
    assert (plan.assignments["rep_id"] != reps.loc[0, "rep_id"]).all()
    moved_off = plan.assignments[plan.assignments["previous_rep_id"] == reps.loc[0, "rep_id"]]
    assert moved_off["moved"].all()
    assert moved_off["reason"].str.contains("has capacity 0").all()
    assert violations(accounts, reps, _assignment(plan), 0.2) == []


@pytest.mark.parametrize("seed", [0, 4, 7])
def test_warm_start_is_only_a_hint(seed):
    # The LP-rounded start changes the search, not the model: same rules, optimum within the gap.
    accounts, reps = make_instance(240, 8, 2, random_state=seed)
    cold = plan_territories(accounts, reps, engine="pulp", balance_tolerance=0.12, mip_gap=1e-3)
    warm = plan_territories(accounts, reps, engine="highspy", balance_tolerance=0.12,
                            warm_start=True, mip_gap=1e-3)
    assert violations(accounts, reps, _assignment(warm), 0.12) == []
    assert warm.summary.certified_gap <= 1e-3 + 1e-9
    # Both are within 0.1% of the same bound, so within 0.2% of each other.
    assert warm.summary.objective_value == pytest.approx(cold.summary.objective_value,
                                                            rel=2e-3)


def test_round_and_repair_returns_a_feasible_plan():
    from territory.fast import build_arrays, lp_warm_start
    from territory.objective import pair_costs
    from territory.config import TerritoryConfig

    accounts, reps = make_instance(400, 8, 1, random_state=12)
    inst = build_instance(check_inputs(accounts, reps))
    coef, moved, _ = pair_costs(inst, TerritoryConfig())
    block = block_problem(inst, coef, model_numbers(inst, moved, 0.1), (0,),
                          np.full(inst.n_pools, 0.1))
    x, bound = lp_warm_start(block, build_arrays(block))
    assert float(block.coef @ x) >= bound - 1e-6
    assert x is not None and set(np.unique(x)) <= {0.0, 1.0}
    chosen = x > 0.5
    assignment = pd.Series(
        inst.reps["rep_id"].to_numpy()[block.rep[block.pair_rep[chosen]]],
        index=inst.accounts["account_id"].to_numpy()[block.acc[block.pair_acc[chosen]]])
    assert violations(accounts, reps, assignment, 0.1) == []


def test_time_limit_is_read_from_the_solver_not_lpstatus():
    # PuLP 3.3 sets LpStatus "Optimal" after a time limit; the real status must say otherwise.
    import pulp

    from territory.model import solve_model
    from territory.objective import pair_costs
    from territory.config import TerritoryConfig

    accounts, reps = make_instance(1000, 10, 1, random_state=0)
    inst = build_instance(check_inputs(accounts, reps))
    coef, moved, _ = pair_costs(inst, TerritoryConfig())
    block = block_problem(inst, coef, model_numbers(inst, moved, 0.1), (0,),
                          np.full(inst.n_pools, 0.1))
    prob, _, _ = build_model(block)
    status, objective, bound, _ = solve_model(prob, "highs", time_limit=1.0, mip_gap=0.0)
    assert status in ("feasible", "no_solution")
    if status == "feasible":
        assert pulp.LpStatus[prob.status] == "Optimal"  # what PuLP alone would have said
        assert objective > bound


def test_cbc_log_is_read_for_bound_and_proof(tmp_path):
    from territory.model import _cbc_log

    def read(text):
        path = tmp_path / "cbc.log"
        path.write_text(text)
        return _cbc_log(str(path))

    assert read("Result - Stopped on time limit\nObjective value: 15\nLower bound: 12.5\n") == (
        12.5, False, True)
    assert read("Cgl0000I Cut generators found to be infeasible! (or unbounded)\n"
                "Pre-processing says infeasible or unbounded\n")[1:] == (True, False)
    assert read("Result - Optimal solution found\nLower bound: 3\n") == (3.0, False, False)
