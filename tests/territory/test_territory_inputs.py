"""Bad input: clear errors naming the table, column and rows (messages pinned)."""
from __future__ import annotations

import dataclasses

import pandas as pd
import pytest
from pydantic import ValidationError

from territory import TerritoryConfig, TerritoryInputError, plan_territories
from territory_checker import tiny


def _base():
    accounts, reps = tiny(1, locked_share=0.0)
    return accounts, reps


def test_negative_potential_names_the_rows():
    accounts, reps = _base()
    accounts.loc[[1, 4], "potential"] = -5.0
    with pytest.raises(TerritoryInputError) as err:
        plan_territories(accounts, reps)
    assert str(err.value).startswith(
        "accounts: column 'potential' must be >= 0; got -5.0, -5.0 at rows 3, 6 (2 rows).")


def test_negative_capacity_names_the_row():
    accounts, reps = _base()
    reps.loc[2, "capacity"] = -1
    with pytest.raises(TerritoryInputError, match=r"reps: column 'capacity' must be >= 0; got -1.0 "
                                                  r"at row 4 \(1 row\)"):
        plan_territories(accounts, reps)


def test_duplicate_ids_are_listed():
    accounts, reps = _base()
    accounts.loc[3, "account_id"] = "A0"
    with pytest.raises(TerritoryInputError, match=r"accounts: column 'account_id' must be unique; "
                                                  r"got 'A0', 'A0' at rows 2, 5 \(2 rows\)"):
        plan_territories(accounts, reps)
    reps.loc[1, "rep_id"] = "R0"
    with pytest.raises(TerritoryInputError, match="reps: column 'rep_id' must be unique"):
        plan_territories(tiny(1)[0], reps)


def test_unknown_owner_is_unassigned_and_reported():
    accounts, reps = _base()
    accounts.loc[2, "owner_rep_id"] = "GHOST"
    accounts.loc[2, "locked"] = 1
    plan = plan_territories(accounts, reps, balance_tolerance=0.5, best_effort=True)
    assert plan.summary.unassigned_owner_count == 1
    assert plan.summary.locked_without_owner_count == 1
    row = plan.assignments.set_index("account_id").loc["A2"]
    assert row["previous_rep_id"] == "GHOST" and not row["moved"]
    assert row["reason"] == "newly assigned (owner GHOST is not among the reps)"
    assert any("GHOST" not in n and "not among the reps" in n for n in plan.notes)


def test_pool_without_rep_is_an_error_naming_pool_and_account():
    accounts, reps = _base()
    accounts.loc[5, "region"] = "APAC"
    with pytest.raises(TerritoryInputError) as err:
        plan_territories(accounts, reps)
    assert str(err.value).startswith(
        "accounts: pool SMB/APAC has 1 account(s) and no rep with capacity > 0: no eligible rep "
        "for account A5 (segment SMB, region APAC); accounts row 7 (1 row).")


def test_pool_with_only_capacity_zero_reps_is_an_error():
    accounts, reps = _base()
    reps["capacity"] = 0.0
    with pytest.raises(TerritoryInputError, match="pool SMB/NA has 7 account"):
        plan_territories(accounts, reps)


@pytest.mark.parametrize("tolerance", [0, 1, -0.1, 1.5])
def test_tolerance_outside_open_unit_interval(tolerance):
    with pytest.raises(ValidationError) as err:
        TerritoryConfig(balance_tolerance=tolerance)
    (problem,) = err.value.errors()
    assert problem["loc"] == ("balance_tolerance",)
    assert problem["type"] in ("greater_than", "less_than")


@pytest.mark.parametrize("field,value,kind", [
    ("objective", "cheapest", "literal_error"), ("solver", "gurobi", "literal_error"),
    ("engine", "fast", "literal_error"), ("max_moved_share", 1.5, "less_than_equal"),
    ("time_limit", 0, "greater_than"), ("mip_gap", -0.1, "greater_than_equal"),
    ("quota_period", "", "string_too_short"), ("n_jobs", -2, "greater_than_equal"),
    ("travel_weight", -1, "greater_than_equal"), ("tolerance", 0.1, "unexpected_keyword_argument"),
])
def test_config_constraints_are_data(field, value, kind):
    with pytest.raises(ValidationError) as err:
        TerritoryConfig(**{field: value})
    assert [(e["loc"], e["type"]) for e in err.value.errors()] == [((field,), kind)]


def test_config_rules_across_fields_and_defaults():
    with pytest.raises(ValidationError, match="'mix' objective needs disruption_weight"):
        TerritoryConfig(objective="mix", disruption_weight=0, travel_weight=0)
    with pytest.raises(ValidationError, match="n_jobs must be 1 or more"):
        TerritoryConfig(n_jobs=0)
    config = TerritoryConfig()
    # One set of defaults for the CLI and the plan file.
    assert (config.mip_gap, config.time_limit, config.best_effort) == (0.005, 600.0, True)
    assert TerritoryConfig(max_moved_share=None, quota_period=None, time_limit=None).time_limit is None
    for name, info in TerritoryConfig.__pydantic_fields__.items():
        assert info.description, name
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.balance_tolerance = 0.2  # type: ignore[misc]


def test_costs_naming_unknown_accounts_or_reps():
    accounts, reps = _base()
    costs = pd.DataFrame({"account_id": ["A0", "A99", "A1"], "rep_id": ["R0", "R1", "R7"],
                          "cost": [1.0, 2.0, 3.0]})
    with pytest.raises(TerritoryInputError, match=r"costs: column 'account_id' must be an id from "
                                                  r"the accounts table; got 'A99' at row 3"):
        plan_territories(accounts, reps, costs=costs, objective="travel")
    costs.loc[1, "account_id"] = "A2"
    with pytest.raises(TerritoryInputError, match=r"costs: column 'rep_id' must be an id from the "
                                                  r"reps table; got 'R7' at row 4"):
        plan_territories(accounts, reps, costs=costs, objective="travel")


def test_missing_columns_are_listed():
    accounts, reps = _base()
    with pytest.raises(TerritoryInputError, match="accounts: missing required column"):
        plan_territories(accounts.drop(columns=["workload", "region"]), reps)


def test_travel_without_costs_or_coordinates():
    accounts, reps = _base()
    with pytest.raises(TerritoryInputError, match=r"objective 'travel': no cost for 21 eligible"):
        plan_territories(accounts.drop(columns=["lat", "lon"]), reps, objective="travel")
