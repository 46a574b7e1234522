"""revops.what_if: territory plans side by side (built from hand-made plans, no solver)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from revops.notebook_data import SampleSize, load_plan_inputs, sample_data_dir
from revops.what_if import compare_scenarios, new_reps, quota_changes
from territory import TerritoryConfig, TerritoryPlan, TerritorySummary


def _plan(owner: dict[str, str], quota: dict[str, float], moved: int, deviation: float) -> TerritoryPlan:
    assignments = pd.DataFrame({"account_id": list(owner), "rep_id": list(owner.values())})
    reps = pd.DataFrame({"rep_id": list(quota), "pool": "SMB/EMEA", "quota": list(quota.values())})
    summary = TerritorySummary(
        status="optimal", time_limited=False, best_effort_relaxed=False, objective="disruption",
        objective_value=float(moved), objective_bound=float(moved), certified_gap=0.0,
        worst_deviation_pct=deviation, worst_deviation_before_pct=10.0, tolerance_requested=0.10,
        tolerance_reached=0.10, max_moved_share=None, max_moved_share_reached=None,
        moved_potential=float(moved), moved_share=moved / 10, accounts_moved=moved, travel_cost=None,
        solve_seconds=0.0, total_seconds=0.0, solver="highs", engines=("pulp",), pools=1, blocks=1,
        accounts=len(owner), reps=len(quota), eligible_pairs=len(owner) * len(quota),
        unassigned_owner_count=0, locked_without_owner_count=0, over_assignment=0.10, quota_spread={},
        notes=())
    return TerritoryPlan(assignments, reps, pd.DataFrame(), summary, TerritoryConfig())


def test_compare_and_quota_changes():
    base = _plan({"A1": "R1", "A2": "R1", "A3": "R2"}, {"R1": 200.0, "R2": 100.0}, 1, 8.0)
    leave = _plan({"A1": "R2", "A2": "R2", "A3": "R2"}, {"R2": 300.0}, 2, 0.0)
    hire = _plan({"A1": "R1", "A2": "NEW1", "A3": "R2"}, {"R1": 120.0, "R2": 100.0, "NEW1": 80.0}, 1, 5.0)
    plans = {"base": base, "R1 leaves": leave, "1 hire": hire}
    table = compare_scenarios(plans).set_index("metric")
    assert list(table.columns) == list(plans)
    changed = table.loc["accounts with another rep than in 'base'"]
    assert changed.to_dict() == {"base": 0, "R1 leaves": 2, "1 hire": 1}
    assert table.loc["accounts moved off their owner", "R1 leaves"] == 2
    assert table.loc["worst deviation from fair share after (%)"].to_dict() == {"base": 8.0, "R1 leaves": 0.0, "1 hire": 5.0}
    quotas = quota_changes(plans).set_index("rep_id")
    assert quotas.at["R1", "R1 leaves change"] == -200.0 and quotas.at["R2", "R1 leaves change"] == 200.0
    assert quotas.at["NEW1", "1 hire change"] == 80.0 and np.isnan(quotas.at["NEW1", "1 hire change %"])
    assert quotas.at["R1", "1 hire change %"] == pytest.approx(-40.0)
    # Quotas still add up in every scenario: the changes sum to zero.
    assert quotas["R1 leaves change"].sum() == pytest.approx(0.0) and quotas["1 hire change"].sum() == pytest.approx(0.0)
    with pytest.raises(ValueError, match="no plan named"):
        compare_scenarios(plans, base="nope")


def test_new_reps_copy_their_pool():
    reps = pd.DataFrame({"rep_id": ["R1", "R2"], "segment": ["SMB", "SMB"], "region": ["EMEA", "AMER"],
                         "capacity": [1.0, 1.0], "ramp": [1.0, 1.0], "lat": [50.0, 40.0], "manager_id": ["M1", "M2"]})
    hires = new_reps(reps, "SMB", "AMER", 2, ramp=0.4)
    assert list(hires.columns) == list(reps.columns)
    assert list(hires["rep_id"]) == ["NEW1", "NEW2"] and set(hires["manager_id"]) == {"M2"}
    assert set(hires["ramp"]) == {0.4} and set(hires["lat"]) == {40.0}
    with pytest.raises(ValueError, match="no rep of segment 'Enterprise'"):
        new_reps(reps, "Enterprise", "AMER")


def test_sample_data_is_generated_once_and_validated(tmp_path):
    size = SampleSize(n_leads=300, n_accounts=40, n_reps=9, seed=2)
    folder = sample_data_dir(size, tmp_path)
    stamp = (folder / "leads.csv").stat().st_mtime_ns
    assert sample_data_dir(size, tmp_path) == folder
    assert (folder / "leads.csv").stat().st_mtime_ns == stamp  # reused, not regenerated
    data = load_plan_inputs(None, n_leads=300, n_accounts=40, n_reps=9, seed=2, cache_dir=tmp_path)
    assert data.data_dir == folder and str(data.period) == "2027Q1"
    assert set(data.overview()["table"]) >= {"leads", "opportunities", "accounts", "reps", "targets"}
    assert len(data.get("leads")) == 300
