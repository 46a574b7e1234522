"""TerritorySummary: typed fields, the same summary.json keys as before, MLflow metrics."""
from __future__ import annotations

import dataclasses
import json
import math

import pytest

from territory import TerritorySummary, plan_territories
from territory.synthetic import make_instance, make_targets

# The keys summary.json has always had, in order.
KEYS = ["status", "time_limited", "best_effort_relaxed", "objective", "objective_value",
        "objective_bound", "certified_gap", "worst_deviation_pct", "worst_deviation_before_pct",
        "tolerance_requested", "tolerance_reached", "max_moved_share", "max_moved_share_reached",
        "moved_potential", "moved_share", "accounts_moved", "travel_cost", "solve_seconds",
        "total_seconds", "solver", "engines", "pools", "blocks", "accounts", "reps",
        "eligible_pairs", "unassigned_owner_count", "locked_without_owner_count",
        "over_assignment", "quota_spread", "notes"]


@pytest.fixture(scope="module")
def plan():
    accounts, reps = make_instance(120, 6, 2, random_state=4)
    return plan_territories(accounts, reps, targets=make_targets(accounts), balance_tolerance=0.2)


def test_to_dict_has_the_keys_and_plain_values_of_before(plan):
    record = plan.summary.to_dict()
    assert list(record) == KEYS
    assert record["engines"] == ["pulp"] and isinstance(record["notes"], list)
    assert record["max_moved_share"] is None and record["travel_cost"] is None
    assert set(record["quota_spread"]) == {"S00"}
    assert record["quota_spread"]["S00"]["quota_total"] == pytest.approx(
        plan.rep_summary["quota"].sum())
    json.dumps(record)  # JSON-ready as it is
    for key in KEYS:
        value = getattr(plan.summary, key)
        assert record[key] == (list(value) if isinstance(value, tuple) else value)


def test_metrics_are_the_finite_numbers(plan):
    metrics = plan.summary.metrics()
    assert all(isinstance(v, float) and math.isfinite(v) for v in metrics.values())
    assert {"objective_value", "certified_gap", "moved_share", "accounts_moved", "solve_seconds",
            "unassigned_owner_count", "pools"} <= set(metrics)
    # Flags, text, None and structures are not metrics.
    assert not {"status", "time_limited", "best_effort_relaxed", "objective", "solver", "engines",
                "max_moved_share", "travel_cost", "quota_spread", "notes"} & set(metrics)
    nan_bound = dataclasses.replace(plan.summary, objective_bound=float("nan"))
    assert "objective_bound" not in nan_bound.metrics()


def test_summary_is_frozen_and_typed(plan):
    assert isinstance(plan.summary, TerritorySummary)
    with pytest.raises(dataclasses.FrozenInstanceError):
        plan.summary.status = "optimal"  # type: ignore[misc]
    assert plan.status == plan.summary.status == "optimal"
    assert plan.gap == plan.summary.certified_gap <= 0.005
