"""Smooth weighted round robin and its shared SQLite state, without HTTP."""
from __future__ import annotations

from collections import Counter

import pytest

from scoring.service.errors import ApiError
from scoring.service.route_state import RouteState, smooth_pick
from scoring.service.routing import load_plan, read_unavailable
from route_support import write_plan


def test_smooth_pick_interleaves_by_weight():
    credit: dict[str, int] = {}
    picks = [smooth_pick(("a", "b", "c"), (5, 1, 1), credit) for _ in range(7)]
    assert picks == ["a", "a", "b", "a", "c", "a", "a"]  # nginx's example sequence
    assert credit == {"a": 0, "b": 0, "c": 0}  # back where it started after one period


def test_two_processes_share_one_sequence_and_caps(tmp_path):
    plan = load_plan(write_plan(tmp_path / "plan") and tmp_path / "plan")
    pool = plan.pool(" smb ", "emea")
    assert (pool.name, pool.reps, pool.weights) == ("SMB/EMEA", ("R1", "R2", "R3", "R4"), (1000, 500, 500, 250))
    assert plan.pool("SMB", None).reps == ("R1", "R2", "R3", "R4", "R5")
    assert plan.pool("Mid-Market", "EMEA").reps == ("R6",)  # R7 has no capacity
    one, two = RouteState(tmp_path / "rr.sqlite"), RouteState(tmp_path / "rr.sqlite")
    alone = RouteState(tmp_path / "alone.sqlite")
    requests = [(f"L{i}", pool.name, pool.reps, pool.weights, "B", False) for i in range(18)]
    shared = [(one if i % 2 else two).route([r], None, day="2026-12-01")[0] for i, r in enumerate(requests)]
    assert shared == alone.route(requests, None, day="2026-12-01")
    assert Counter(shared) == {"R1": 8, "R2": 4, "R3": 4, "R4": 2}
    capped = one.route([(f"C{i}", pool.name, pool.reps, pool.weights, "A", False) for i in range(10)],
                       {"A": 2}, frozenset({"R1"}), day="2026-12-01")
    assert Counter(capped) == {"R2": 2, "R3": 2, "R4": 2, None: 4}
    # A new day: the caps start again.
    assert two.route([("N1", pool.name, pool.reps, pool.weights, "A", False)], {"A": 2}, frozenset({"R1"}),
                     day="2026-12-02") != [None]


def test_unavailable_file_forms(tmp_path):
    (tmp_path / "a.csv").write_text("rep_id,reason\nR1,leave\n R2 ,\n")
    (tmp_path / "b.txt").write_text("# away this week\nR3\n\nR4\n")
    assert read_unavailable(tmp_path / "a.csv") == {"R1", "R2"}
    assert read_unavailable(tmp_path / "b.txt") == {"R3", "R4"}


def test_routing_fields_are_not_flagged_unknown(tmp_path):
    from scoring.service.owners import assign_owners, routing_fields

    write_plan(tmp_path / "plan")
    plan = load_plan(tmp_path / "plan")
    leads = [{"lead_id": "a", "segment": "SMB", "region": "EMEA", "colour": "red"}]
    scores = [{"lead_id": "a", "probability": 0.2, "score": 20, "tier": "C", "reasons": [],
               "flags": ["unknown_field:segment", "unknown_field:region", "unknown_field:colour", "missing:employees"]}]
    routes = assign_owners(plan, RouteState(tmp_path / "rr.sqlite"), leads, scores, routing_fields(leads, plan), None)
    assert routes == [{"lead_id": "a", "rep_id": "R1", "pool": "SMB/EMEA", "rule": "round_robin", "probability": 0.2,
                       "score": 20, "tier": "C", "reasons": [],
                       "flags": ["unknown_field:colour", "missing:employees"]}]


def test_routing_fields_under_another_spelling_are_read(tmp_path):
    # As the scorer reads "Lead Source" for lead_source: "Segment", "REGION", "Account ID".
    from scoring.service.owners import assign_owners, routing_fields

    write_plan(tmp_path / "plan")
    plan = load_plan(tmp_path / "plan")
    leads = [{"lead_id": "a", "Segment": "SMB", "REGION": "EMEA"},
             {"lead_id": "b", "segment": "SMB", "Segment": "Enterprise", "region": "EMEA"}]  # its own name first
    fields = routing_fields(leads, plan)
    assert [(segment, region) for _, segment, region in fields] == [("SMB", "EMEA"), ("SMB", "EMEA")]
    scores = [{"lead_id": lead["lead_id"], "probability": 0.2, "score": 20, "tier": "C", "reasons": [],
               "flags": ["unknown_field:REGION", "unknown_field:Segment", "unknown_field:colour"]} for lead in leads]
    routes = assign_owners(plan, RouteState(tmp_path / "rr.sqlite"), leads, scores, fields, None)
    assert [r["pool"] for r in routes] == ["SMB/EMEA", "SMB/EMEA"]
    assert [r["flags"] for r in routes] == [["unknown_field:colour"]] * 2
    with pytest.raises(ApiError) as raised:
        routing_fields([{"lead_id": "c", "Account-ID": 5.5}], plan)
    assert raised.value.status == 422 and ("leads[0].account_id", "expected a string") in raised.value.problems


def test_remembered_state_follows_the_other_workers_writes(tmp_path):
    # Each connection remembers unavailable reps and credits; a write by another connection
    # (another worker) must be seen on its next request, a rolled-back pick must not count.
    plan = load_plan(write_plan(tmp_path / "plan") and tmp_path / "plan")
    pool = plan.pool("SMB", "EMEA")
    one, two = RouteState(tmp_path / "rr.sqlite"), RouteState(tmp_path / "rr.sqlite")
    alone = RouteState(tmp_path / "alone.sqlite")
    assert one.unavailable() == [] and two.unavailable_set() == frozenset()
    two.set_unavailable("R1", True)
    assert one.unavailable() == ["R1"] and one.unavailable_set() == frozenset({"R1"})
    two.set_unavailable("R1", False)
    one.set_unavailable("R2", True)
    assert one.unavailable() == ["R2"] and two.unavailable() == ["R2"]
    request = (pool.name, pool.reps, pool.weights, "B", False)
    both = [(one if i % 3 else two).route([(f"L{i}", *request)], None, day="2026-12-01")[0] for i in range(12)]
    alone.set_unavailable("R2", True)
    assert both == alone.route([(f"L{i}", *request) for i in range(12)], None, day="2026-12-01")
    try:
        one.route([("X1", *request), ("X2", pool.name, None, None, "B", False)], None, day="2026-12-01")
    except TypeError:
        pass  # the second request is malformed: the whole transaction is rolled back
    assert one.route([("L12", *request)], None, day="2026-12-01") == alone.route([("L12", *request)], None,
                                                                                  day="2026-12-01")
