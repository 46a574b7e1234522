"""scoring.tiering: tier tables and thresholds chosen for inside-sales capacity."""
from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from scoring.errors import ScoringInputError
from scoring.tiering import (CALLS_PER_LEAD, CAPTURE, assign_tiers, capacity_frontier, choose_thresholds,
                             scores_of, tier_table)


@pytest.fixture
def probabilities():
    rng = np.random.default_rng(3)
    return rng.beta(1.5, 5.0, 2_000)


def test_assign_tiers_follows_the_scorer_rounding():
    p = np.array([0.605, 0.60, 0.595, 0.30, 0.294, 0.10, 0.0])
    # scores 60/61, 60, 60, 30, 29, 10, 0 -> A >= 60, B >= 30, C >= 10
    assert list(assign_tiers(p, (60, 30, 10))) == ["A", "A", "A", "B", "C", "C", "D"]
    assert list(scores_of([0.004, 0.005, 0.996])) == [0, 0, 100]


def test_tier_table_adds_up(probabilities):
    table = tier_table(probabilities, (40, 25, 10))
    tiers = table[table["tier"] != "Total"].set_index("tier")
    total = table[table["tier"] == "Total"].iloc[0]
    assert tiers["leads"].sum() == len(probabilities) == total["leads"]
    assert tiers["expected_sqls"].sum() == pytest.approx(probabilities.sum())
    assert tiers["share_of_sqls"].sum() == pytest.approx(1.0)
    # Hours are leads x calls x minutes / 60 per tier.
    expected_hours = sum(tiers.at[t, "leads"] * CALLS_PER_LEAD[t] * 12 / 60 for t in "ABCD")
    assert total["hours"] == pytest.approx(expected_hours)
    # A better tier converts better (the score orders the leads).
    rates = tiers["sql_rate"].to_numpy()
    assert np.all(np.diff(rates) < 0)
    assert tiers.at["A", "min_score"] >= 40 and tiers.at["B", "max_score"] < 40


def test_tier_table_rescales_to_the_period_volume(probabilities):
    base = tier_table(probabilities, (40, 25, 10))
    scaled = tier_table(probabilities, (40, 25, 10), leads_per_period=4 * len(probabilities))
    for column in ("leads", "expected_sqls", "captured_sqls", "hours"):
        assert np.allclose(scaled[column], 4 * base[column])
    assert np.allclose(scaled["sql_rate"], base["sql_rate"], equal_nan=True)


def _brute_force(p, capacity, calls, capture, minutes=12.0):
    """Every threshold triple on the integer score grid, scored directly from the leads."""
    scores = np.rint(100 * p)
    best = None
    grid = sorted(set(scores.astype(int).tolist()) | {100})
    for a, b, c in itertools.combinations_with_replacement(sorted(grid, reverse=True), 3):
        tiers = np.select([scores >= a, scores >= b, scores >= c], [0, 1, 2], 3)
        hours = sum(calls[t] * (tiers == k).sum() for k, t in enumerate("ABCD")) * minutes / 60
        if hours > capacity + 1e-9:
            continue
        captured = sum(capture[t] * p[tiers == k].sum() for k, t in enumerate("ABCD"))
        if best is None or captured > best + 1e-9:
            best = captured
    return best


@pytest.mark.parametrize("capacity", [0.0, 20.0, 60.0, 150.0, 1e6])
def test_choose_thresholds_is_optimal_and_fits(capacity):
    rng = np.random.default_rng(11)
    p = np.round(rng.beta(2, 5, 300) * 25) / 25  # 4-point score steps: brute force stays small
    choice = choose_thresholds(p, capacity)
    assert choice.hours <= capacity + 1e-9
    table = choice.table.set_index("tier")
    assert table.at["Total", "hours"] == pytest.approx(choice.hours)
    assert table.at["Total", "captured_sqls"] == pytest.approx(choice.captured_sqls)
    assert choice.captured_sqls == pytest.approx(_brute_force(p, capacity, CALLS_PER_LEAD, CAPTURE))


def test_more_capacity_never_captures_fewer_sqls(probabilities):
    frontier = capacity_frontier(probabilities, [0, 50, 100, 200, 400, 800])
    assert np.all(np.diff(frontier["captured_sqls"]) >= -1e-9)
    assert np.all(frontier["hours_used"] <= frontier["capacity_hours"] + 1e-9)
    # With no capacity, nobody is called: everyone is in the nurture tier.
    assert frontier["captured_sqls"].iloc[0] == pytest.approx(CAPTURE["D"] * probabilities.sum())
    # Enough capacity to call everyone as tier A captures every expected SQL.
    rich = choose_thresholds(probabilities, 1e9)
    assert rich.captured_sqls == pytest.approx(probabilities.sum())


def test_equal_capture_means_effort_buys_nothing(probabilities):
    flat = {t: 1.0 for t in "ABCD"}
    choice = choose_thresholds(probabilities, 500.0, capture=flat)
    assert choice.hours == 0.0
    assert choice.captured_sqls == pytest.approx(probabilities.sum())


def test_errors_name_the_problem(probabilities):
    with pytest.raises(ScoringInputError, match=r"positions 1"):
        tier_table([0.2, np.nan, 0.3], (50, 30, 10))
    with pytest.raises(ScoringInputError, match="100 >= A >= B >= C >= 0"):
        tier_table(probabilities, (10, 30, 50))
    with pytest.raises(ScoringInputError, match="unknown tier"):
        tier_table(probabilities, (50, 30, 10), calls_per_lead={"E": 1})
    with pytest.raises(ScoringInputError, match="no tier plan fits"):
        choose_thresholds(probabilities, 1.0, calls_per_lead={"D": 1})
    assert issubclass(ScoringInputError, ValueError)


def test_pure_and_deterministic(probabilities):
    before = probabilities.copy()
    a = choose_thresholds(probabilities, 120.0)
    b = choose_thresholds(probabilities, 120.0)
    assert a.thresholds == b.thresholds
    pd.testing.assert_frame_equal(a.table, b.table)
    assert np.array_equal(before, probabilities)
