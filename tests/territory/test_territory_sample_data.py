"""End to end on the bundled sample CRM: every rule holds, quotas add up, the status quo improves."""
from __future__ import annotations

import pandas as pd
import pytest

from revops.contracts import validate
from revops.io import read_table
from territory import plan_territories
from territory_checker import violations


def test_plan_on_the_sample_crm(sample_data_dir):
    tables = {name: validate(name, read_table(sample_data_dir / f"{name}.csv"))
              for name in ("accounts", "reps", "targets")}
    accounts, reps, targets = tables["accounts"], tables["reps"], tables["targets"]
    plan = plan_territories(accounts, reps, targets=targets, mip_gap=1e-3)
    assert plan.status == "optimal" and plan.gap <= 1e-3 + 1e-9
    assignment = plan.assignments.set_index("account_id")["rep_id"]
    assert violations(accounts, reps, assignment, 0.10) == []
    assert plan.summary.worst_deviation_pct <= 10 + 1e-6 < plan.summary.worst_deviation_before_pct
    # The CRM has owners who left: reported, not an error.
    assert plan.summary.unassigned_owner_count > 0
    quotas = plan.rep_summary.groupby("segment")["quota"].sum()
    expected = targets.groupby("segment")["target"].sum() * 1.10
    pd.testing.assert_series_equal(quotas.sort_index(), expected.sort_index(), check_names=False,
                                   rtol=1e-9)
    moved = plan.assignments[plan.assignments["moved"]]
    assert (moved["reason"] != "").all()
    assert plan.summary.moved_share == pytest.approx(
        moved["potential"].sum() / accounts["potential"].sum())
