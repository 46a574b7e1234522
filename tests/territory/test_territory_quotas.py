"""Quotas add up to target x (1 + over-assignment), in proportion to potential x ramp."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from territory import TerritoryInputError, plan_territories
from territory.synthetic import make_instance, make_targets


def test_quotas_add_up_and_follow_potential_times_ramp():
    accounts, reps = make_instance(120, 8, 2, random_state=4)
    targets = make_targets(accounts)
    plan = plan_territories(accounts, reps, targets=targets, over_assignment=0.15,
                            balance_tolerance=0.2)
    summary = plan.rep_summary.merge(reps[["rep_id", "ramp"]], on="rep_id", suffixes=("", "_in"))
    for segment, group in summary.groupby("segment"):
        target = targets.loc[targets["segment"] == segment, "target"].sum()
        assert group["quota"].sum() == pytest.approx(target * 1.15, rel=1e-9)
        weight = group["potential"] * group["ramp_in"]
        np.testing.assert_allclose(group["quota"], target * 1.15 * weight / weight.sum(), rtol=1e-9)
    # quota / potential differs only through ramp: equal ramps, equal ratios.
    ratio = summary["quota_per_potential"] / summary["ramp_in"]
    np.testing.assert_allclose(ratio, ratio.iloc[0], rtol=1e-9)
    spread = plan.summary.quota_spread["S00"]
    assert spread["max_over_min"] == pytest.approx(
        summary["quota_per_potential"].max() / summary["quota_per_potential"].min())


def test_quota_period_is_selected_and_checked():
    accounts, reps = make_instance(60, 4, 1, random_state=1)
    targets = pd.concat([make_targets(accounts, "2027Q1"), make_targets(accounts, "2027Q2", 0.5)])
    q1 = plan_territories(accounts, reps, targets=targets, quota_period="2027Q1",
                          balance_tolerance=0.25, over_assignment=0.0)
    both = plan_territories(accounts, reps, targets=targets, balance_tolerance=0.25,
                            over_assignment=0.0)
    assert q1.rep_summary["quota"].sum() == pytest.approx(targets["target"].iloc[0])
    assert both.rep_summary["quota"].sum() == pytest.approx(targets["target"].sum())
    with pytest.raises(TerritoryInputError, match="targets: no row for period '2028Q1'"):
        plan_territories(accounts, reps, targets=targets, quota_period="2028Q1",
                         balance_tolerance=0.25)


def test_no_targets_means_no_quotas():
    accounts, reps = make_instance(60, 4, 1, random_state=1)
    plan = plan_territories(accounts, reps, balance_tolerance=0.25)
    assert plan.rep_summary["quota"].isna().all()
