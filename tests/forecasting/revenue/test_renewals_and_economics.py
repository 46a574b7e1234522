"""Renewal links, labels and features, the renewed-ARR simulation, unit economics and what-ifs
on the six-account book of test_arr_bridge (quarter 2026Q3, plan date 2026-09-30)."""
import dataclasses

import numpy as np
import pandas as pd
import pytest

from forecasting.revenue import (RevenueConfig, RevenueInputError, arr_bridge, compute_revenue,
                                 plan_renewals, renewal_frame, retention_what_if, simulate_renewals,
                                 unit_economics)
from forecasting.revenue.renewals import due_in
from test_arr_bridge import six_accounts

AS_OF = "2026-09-30"


def test_renewals_are_linked_labelled_and_counted():
    frame = renewal_frame(six_accounts(), AS_OF, grace_days=30).set_index("subscription_id")
    assert frame.loc["C0", "renewed_by"] == "C1" and frame.loc["B1", "renewed_by"] == "B2"
    assert frame.loc["D1", "status"] == "renewed" and frame.loc["D1", "renewed_arr"] == 120
    # C1 was due on 1 Sep: within the 30-day grace it is still open; with no grace it churned.
    assert frame.loc["C1", "status"] == "open" and frame.loc["C1", "renewed"] == ""
    assert renewal_frame(six_accounts(), AS_OF, grace_days=0).set_index("subscription_id").loc["C1", "renewed"] == "0"
    assert frame.loc["C1", "renewals_so_far"] == 1 and frame.loc["C0", "renewals_so_far"] == 0
    assert frame.loc["B2", "arr_change_at_last_renewal"] == pytest.approx(-0.15)
    # A2 starts while A1 runs: the account had 300 and one subscription before, 410 and two with it.
    assert (frame.loc["A2", "account_arr_at_start"], frame.loc["A2", "active_subscriptions_at_start"]) == (410, 2)
    assert "E1" not in frame.index  # open-ended: never due


def test_due_renewals_and_simulation_bounds():
    plan = plan_renewals(six_accounts(), AS_OF, "2026Q4")
    assert sorted(plan.due["subscription_id"]) == ["A1", "A2"]  # renewal date 1 Oct
    config = RevenueConfig(n_simulations=2000, seed=3)
    sure = simulate_renewals(plan.due, np.ones(2), period="2026Q4", config=config, arr_now=plan.arr_now)
    row = sure.set_index("segment").loc["SMB"]
    assert row["renewed_arr_p10"] == row["renewed_arr_p90"] == 410
    assert row["ending_arr_p50"] == 880  # today's book, everything due renewing
    half = simulate_renewals(plan.due, np.array([0.5, 0.5]), period="2026Q4", config=config)
    row = half.set_index("segment").loc["ALL"]
    assert row["expected_renewed_arr"] == 205 and row["renewed_arr_p10"] == 0 and row["renewed_arr_p90"] == 410
    with pytest.raises(RevenueInputError, match="probabilities must lie in"):
        simulate_renewals(plan.due, np.array([0.5, 1.5]), period="2026Q4")


def test_segment_rates_stand_in_without_a_model():
    result = compute_revenue(six_accounts(), as_of=AS_OF, period="2026Q4",
                             config=RevenueConfig(renewal_grace_days=0))
    # Decided renewals: C0, B1, D1 renewed, C1 churned -> 3 of 4.
    assert result.renewals["p_renew"].tolist() == [0.75, 0.75]
    assert any("past renewal rate" in n for n in result.notes)


def test_unit_economics_by_hand():
    spend = pd.DataFrame({"period": ["2025Q3", "2025Q4", "2026Q1", "2026Q2", "2026Q3"],
                          "segment": "SMB", "amount": [999, 100, 100, 100, 100]})
    ue = unit_economics(six_accounts(), AS_OF, spend=spend, config=RevenueConfig(gross_margin=0.75))
    v = ue[ue["segment"] == "SMB"].set_index("metric")["value"]
    # Window 2025-10-01..2026-09-30: new A (410 now) and F (80); at its start B, C, D, E; C churned.
    assert v["new_customers"] == 2 and v["spend"] == 400 and v["cac"] == 200
    assert v["churn_rate"] == 0.25 and v["arpa"] == 176 and v["clv"] == pytest.approx(528)
    assert v["clv_to_cac"] == pytest.approx(2.64)
    assert v["cac_payback_months"] == pytest.approx(200 / (245 * 0.75 / 12))
    assert v["roi_of_spend"] == pytest.approx((490 * 0.75 / 0.25 - 400) / 400)
    row = ue[(ue["segment"] == "SMB") & (ue["metric"] == "cac")].iloc[0]
    assert (row["period_from"], row["period_to"], row["records"]) == ("2025-10-01", "2026-09-30", 2)
    bad = spend.assign(period=["2025Q3", "soon", "2026Q1", "2026Q2", "2026Q3"])
    with pytest.raises(RevenueInputError, match=r"spend, column 'period', rows 3 \(1 in all\)"):
        unit_economics(six_accounts(), AS_OF, spend=bad)


def test_retention_what_if_moves_churn_and_expansion():
    bridge = arr_bridge(six_accounts(), as_of=AS_OF)
    q3 = bridge[bridge["period"] == "2026Q3"]
    lower_churn = retention_what_if(q3, churn_change=-0.02, compound=False).set_index("segment").loc["SMB"]
    assert lower_churn["churned_arr"] == pytest.approx(150 - 0.02 * 870)
    assert lower_churn["ending_arr"] == pytest.approx(880 + 0.02 * 870)
    assert lower_churn["nrr"] == pytest.approx((800 + 0.02 * 870) / 870)
    more = retention_what_if(q3, expansion_change=0.5, compound=False).set_index("segment").loc["SMB"]
    assert more["ending_arr"] == pytest.approx(935) and more["ending_arr_before"] == 880


def test_config_checks_its_values():
    with pytest.raises(ValueError, match="gross_margin"):
        RevenueConfig(gross_margin=1.5)
    with pytest.raises(ValueError, match="freq"):
        RevenueConfig(freq="W")
    assert dataclasses.replace(RevenueConfig(), freq="M").freq == "M"


def test_what_if_total_is_the_sum_of_the_segments():
    two = pd.concat([six_accounts(), six_accounts().assign(
        segment="Enterprise", subscription_id=lambda f: "E-" + f["subscription_id"],
        account_id=lambda f: "E-" + f["account_id"])], ignore_index=True)
    two = two[two["subscription_id"] != "E-C1"]  # Enterprise: without C1 nothing churns in 2026Q3
    bridge = arr_bridge(two, as_of=AS_OF)
    changed = retention_what_if(bridge, churn_change=-0.02, expansion_change=0.5)
    q3 = changed[changed["period"] == "2026Q3"].set_index("segment")
    assert q3.loc["ALL", "ending_arr"] == pytest.approx(q3.loc["SMB", "ending_arr"] + q3.loc["Enterprise", "ending_arr"])
    assert q3.loc["Enterprise", "churned_arr"] == 0  # nothing churned: nothing to lower
