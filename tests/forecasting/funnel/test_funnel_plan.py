"""The funnel plan: arithmetic stage to stage, lag placement, open MQLs, what-ifs and errors."""
from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from forecasting.funnel import (
    OVERALL, FunnelAssumptions, FunnelConfig, FunnelInputError, build_funnel_plan, compute_kpis, funnel_sensitivity,
    funnel_totals,
)

from funnel_tables import AS_OF

# Fixed drivers make the plan checkable by hand, independent of the KPI estimation.
FIXED = FunnelConfig(win_rate=0.25, sql_to_opportunity_rate=0.5, mql_to_sql_rate=0.2, avg_deal_size=100.0,
                     sales_cycle_days=60.0, sql_to_opportunity_days=15.0, mql_to_sql_days=15.0,
                     monthly_split="even")


@pytest.fixture
def kpis(opportunities, leads, targets) -> pd.DataFrame:
    return compute_kpis(opportunities, leads, targets, as_of=AS_OF, min_records=4)


def q2_targets() -> pd.DataFrame:
    return pd.DataFrame({"segment": ["A"], "period": ["2027Q2"], "target": [3000.0]})


def cohort(plan: pd.DataFrame, segment: str, close: str) -> pd.DataFrame:
    return plan[(plan["segment"] == segment) & (plan["for_close_period"] == close)].set_index("stage")


def test_required_by_hand_and_lags():
    kpis = compute_kpis(pd.DataFrame({  # any history of A: the fixed assumptions decide everything
        "opportunity_id": ["o1"], "account_id": ["a"], "segment": ["A"], "created_at": ["2026-01-01"],
        "stage": ["Won"], "amount": [1.0], "close_date": ["2026-12-31"], "is_won": [1]}))
    plan = build_funnel_plan(q2_targets(), kpis, assumptions=FIXED)
    june = cohort(plan, "A", "2027-06-01")
    # 1000 a month (even split) / 100 per deal = 10 won; / 0.25 = 40 opps; / 0.5 = 80 SQLs; / 0.2 = 400 MQLs
    assert june.loc["won", "required"] == pytest.approx(10.0)
    assert june.loc["opportunity", "required"] == pytest.approx(40.0)
    assert june.loc["sql", "required"] == pytest.approx(80.0)
    assert june.loc["mql", "required"] == pytest.approx(400.0)
    # 60 + 15 + 15 = 90 days: the MQL for a deal closing in June is needed in March.
    assert june.loc["mql", "period"] == "2027-03-01"
    assert june.loc["sql", "period"] == "2027-04-01"  # 75 days = 2.46 months -> 2
    assert june.loc["opportunity", "period"] == "2027-04-01"  # 60 days = 1.97 months -> 2
    assert june.loc["won", "period"] == "2027-06-01"
    assert june["lag_days"].tolist() == [0.0, 60.0, 75.0, 90.0]
    assert plan["stage"].tolist()[:4] == ["won", "opportunity", "sql", "mql"]


def test_arithmetic_holds_stage_to_stage(kpis, opportunities, targets):
    plan = build_funnel_plan(targets, kpis, opportunities=opportunities, min_records=4)
    assert set(plan["stage"]) == {"won", "opportunity", "sql", "mql"}
    above = {"opportunity": "won", "sql": "opportunity", "mql": "sql"}
    for (_, _), part in plan.groupby(["segment", "for_close_period"]):
        part = part.set_index("stage")
        assert part.loc["won", "required"] * part.loc["won", "rate"] == pytest.approx(part.loc["won", "bookings_target"])
        for stage, upper in above.items():
            assert part.loc[stage, "required"] * part.loc[stage, "rate"] == pytest.approx(part.loc[upper, "required"])
            assert part.loc[stage, "required"] > part.loc[upper, "required"]  # funnels widen upwards
    assert (plan["required_low"] <= plan["required"] + 1e-9).all()
    assert (plan["required"] <= plan["required_high"] + 1e-9).all()
    assert (plan["rate_low"] <= plan["rate"]).all() and (plan["rate"] <= plan["rate_high"]).all()
    month_sum = plan[plan["stage"] == "won"].groupby("segment")["bookings_target"].sum()
    assert month_sum.to_dict() == pytest.approx(targets.set_index("segment")["target"].to_dict())


def test_history_split_follows_past_bookings_and_growth_scales(kpis, opportunities, targets):
    even = build_funnel_plan(targets, kpis, opportunities=opportunities, min_records=4,
                             assumptions=FunnelConfig(monthly_split="even"))
    grown = build_funnel_plan(targets, kpis, opportunities=opportunities, min_records=4,
                              assumptions=FunnelConfig(monthly_split="even", target_growth=0.1))
    ratio = grown["required"] / even["required"]
    assert np.allclose(ratio, 1.1)
    won = even[(even["stage"] == "won") & (even["segment"] == "A")]
    assert won["bookings_target"].tolist() == pytest.approx([1000 / 3] * 3)


def test_thin_segment_borrows_the_overall_rate(kpis, opportunities, targets):
    plan = build_funnel_plan(targets, kpis, opportunities=opportunities, min_records=4)
    b_opp = cohort(plan, "B", "2027-01-01").loc["opportunity"]
    assert b_opp["rate"] == pytest.approx(4 / 7)  # B has 3 closed deals < 4: the overall win rate
    assert b_opp["rate_source"].startswith(OVERALL)
    a_opp = cohort(plan, "A", "2027-01-01").loc["opportunity"]
    assert a_opp["rate"] == pytest.approx(3 / 4) and a_opp["rate_source"] == "segment"
    alone = FunnelConfig(fallback_to_overall=False)
    with pytest.raises(FunnelInputError, match="sql to opportunity rate of segment 'B' is 0"):
        build_funnel_plan(targets, kpis, opportunities=opportunities, min_records=4, assumptions=alone)
    own = build_funnel_plan(targets, kpis, opportunities=opportunities, min_records=4,
                            assumptions=dataclasses.replace(alone, sql_to_opportunity_rate={"B": 0.5}))
    assert cohort(own, "B", "2027-01-01").loc["opportunity", "rate"] == pytest.approx(1 / 3)


def test_open_mqls_lower_only_the_mql_goal(kpis, leads, opportunities):
    targets = q2_targets()
    base = build_funnel_plan(targets, kpis, assumptions=FIXED)
    # The two open A leads (L9, L10) are expected to give 0.6 + 0.4 = 1 SQL; L1 is not open.
    scores = pd.DataFrame({"lead_id": ["L9", "L10", "L1"], "probability": [0.6, 0.4, 0.9]})
    plan = build_funnel_plan(targets, kpis, leads=leads, lead_scores=scores, assumptions=FIXED)
    sql = plan[plan["stage"] == "sql"].sort_values("period")
    assert sql["expected_from_open"].sum() == pytest.approx(1.0)
    assert sql["expected_from_open"].iloc[0] == pytest.approx(1.0)  # the earliest month first
    assert (sql["still_needed"] == sql["required"] - sql["expected_from_open"]).all()
    mql = plan[plan["stage"] == "mql"]
    assert mql["still_needed"].sum() == pytest.approx(base[base["stage"] == "mql"]["required"].sum() - 1 / 0.2)
    assert (plan["required"] == base["required"]).all()  # required stays the full requirement
    assert (plan.loc[plan["stage"].isin(["won", "opportunity"]), "still_needed"]
            == plan.loc[plan["stage"].isin(["won", "opportunity"]), "required"]).all()
    totals = funnel_totals(plan).set_index(["segment", "stage"])
    assert totals.loc[("A", "mql"), "still_needed"] == pytest.approx(mql["still_needed"].sum())


def test_open_mqls_cannot_cover_months_already_past(kpis, leads):
    # 2027Q1, SQLs 2 months ahead: SQL months Nov 2026 - Jan 2027; the data ends on 31 December,
    # so December is over too: the first month anything can still happen in is January.
    targets = pd.DataFrame({"segment": ["A"], "period": ["2027Q1"], "target": [3000.0]})
    scores = pd.DataFrame({"lead_id": ["L9", "L10"], "probability": [0.5, 0.5]})
    plan = build_funnel_plan(targets, kpis, leads=leads, lead_scores=scores, assumptions=FIXED)
    sql = plan[plan["stage"] == "sql"].set_index("period")
    assert sql.index.tolist() == ["2026-11-01", "2026-12-01", "2027-01-01"]
    assert sql["in_past"].tolist() == [True, True, False]
    assert sql["expected_from_open"].tolist() == pytest.approx([0.0, 0.0, 1.0])
    # made on 15 December, December can still bring SQLs: the open MQLs cover it first
    mid = build_funnel_plan(targets, kpis, leads=leads, lead_scores=scores, assumptions=FIXED,
                            as_of="2026-12-15").query("stage == 'sql'").set_index("period")
    assert mid["in_past"].tolist() == [True, False, False]
    assert mid["expected_from_open"].tolist() == pytest.approx([0.0, 1.0, 0.0])


def test_past_months_show_actual_and_gap_never_still_needed(kpis, opportunities, leads):
    # 2027Q1 with 60 + 15 + 15 days of lags: every MQL month and the first opportunity months
    # are before January 2027; the data ends on 31 December 2026.
    targets = pd.DataFrame({"segment": ["A"], "period": ["2027Q1"], "target": [3000.0]})
    plan = build_funnel_plan(targets, kpis, opportunities=opportunities, leads=leads,
                             assumptions=FIXED, open_bookings=pd.Series({"A": 0.0}))
    past = plan[plan["in_past"]]
    assert len(past) and (past["still_needed"] == 0).all()
    assert past["gap"].to_numpy() == pytest.approx((past["required"] - past["actual"]).to_numpy())
    assert plan.loc[~plan["in_past"], "gap"].isna().all()
    # January's opportunities were due in November: too late, so nothing is needed below them
    january = cohort(plan, "A", "2027-01-01")
    assert january.loc["opportunity", "in_past"] and january.loc["opportunity", "still_needed"] == 0
    assert january.loc["won", "still_needed"] == pytest.approx(10.0)   # still to close, from new deals
    # March: opportunities in January (future), SQLs in January, MQLs in December (past)
    march = cohort(plan, "A", "2027-03-01")
    assert march.loc["opportunity", "still_needed"] == pytest.approx(40.0)
    assert march.loc["sql", "still_needed"] == pytest.approx(80.0)
    assert march.loc["mql", "in_past"] and march.loc["mql", "still_needed"] == 0.0
    totals = funnel_totals(plan).set_index(["segment", "stage"])
    assert totals.loc[("A", "mql"), "still_needed"] == 0.0
    assert totals.loc[("A", "mql"), "due_before_as_of"] == pytest.approx(past.query("stage == 'mql'")["required"].sum())
    assert totals.loc[("A", "mql"), "gap"] == pytest.approx(past.query("stage == 'mql'")["gap"].sum())


def test_open_opportunities_cover_won_deals_earliest_month_first(kpis, opportunities):
    targets = q2_targets()   # 10 won deals a month at 100 each; no month of 2027Q2 is past
    plan = build_funnel_plan(targets, kpis, assumptions=FIXED, open_bookings=pd.Series({"A": 1500.0}))
    won = plan[plan["stage"] == "won"].set_index("for_close_period")
    # 1,500 of expected bookings = 15 deals at 100: April's 10, then 5 of May's
    assert won["expected_from_open"].tolist() == pytest.approx([10.0, 5.0, 0.0])
    assert won["still_needed"].tolist() == pytest.approx([0.0, 5.0, 10.0])
    opps = plan[plan["stage"] == "opportunity"].set_index("for_close_period")
    assert opps["still_needed"].tolist() == pytest.approx([0.0, 20.0, 40.0])   # / win rate 0.25
    assert (plan["required"] == build_funnel_plan(targets, kpis, assumptions=FIXED)["required"]).all()
    # without a pipeline forecast, the open deals (o5 500, o6 700) count at the win rate
    fallback = build_funnel_plan(targets, kpis, opportunities=opportunities, assumptions=FIXED)
    assert fallback.query("stage == 'won'")["expected_from_open"].sum() == pytest.approx(1200 * 0.25 / 100)


def test_no_leads_plan_stops_at_opportunities(opportunities, targets):
    kpis = compute_kpis(opportunities, None, targets, as_of=AS_OF, min_records=1)
    plan = build_funnel_plan(targets, kpis, opportunities=opportunities, min_records=1)
    assert set(plan["stage"]) == {"won", "opportunity"}


def test_unknown_target_segment_is_explained(kpis):
    targets = pd.DataFrame({"segment": ["Enterprize"], "period": ["2027Q1"], "target": [1.0]})
    with pytest.raises(FunnelInputError) as info:
        build_funnel_plan(targets, kpis)
    message = str(info.value)
    assert "'Enterprize' has a target but no history" in message and "(A, B)" in message
    assert "Hint:" in message
    full = dataclasses.replace(FIXED)
    plan = build_funnel_plan(targets, kpis, assumptions=full)  # every driver given: no history needed
    assert plan["segment"].unique().tolist() == ["Enterprize"]


def test_zero_win_rate_is_explained(leads):
    opps = pd.DataFrame({
        "opportunity_id": [f"o{i}" for i in range(5)], "account_id": "a", "segment": "A",
        "created_at": "2026-01-01", "stage": "Closed Lost", "amount": 10.0, "close_date": "2026-03-01",
        "is_won": 0})
    kpis = compute_kpis(opps, leads, as_of=AS_OF, min_records=1)
    targets = pd.DataFrame({"segment": ["A"], "period": ["2027Q1"], "target": [100.0]})
    with pytest.raises(FunnelInputError, match="win rate of segment 'A' is 0"):
        build_funnel_plan(targets, kpis, assumptions=FunnelConfig(avg_deal_size=10.0), min_records=1)


@pytest.mark.parametrize("changes, message", [
    (dict(win_rate=1.5), r"win_rate\.constrained-float\n.*less than or equal to 1"),
    (dict(avg_deal_size=-1.0), r"avg_deal_size\.constrained-float\n.*greater than 0"),
    (dict(mql_to_sql_rate={"A": 0.0}), r"mql_to_sql_rate\.dict\[str,constrained-float\]\.A\n.*greater than 0"),
    (dict(expected_attainment=0.0), r"expected_attainment\n.*greater than 0"),
    (dict(expected_attainment=80), r"expected_attainment\n.*less than or equal to 1\.5"),  # a percentage
    (dict(sqls_per_sdr_per_month=0), r"sqls_per_sdr_per_month\.constrained-float\n.*greater than 0"),
    (dict(min_records=0), r"min_records\n.*greater than or equal to 1"),
    (dict(window_months=0), r"window_months\n.*greater than or equal to 1"),
    (dict(target_growth=-1.0), r"target_growth\n.*greater than -1"),
    (dict(win_rate=float("nan")), r"win_rate\.constrained-float\n.*finite number"),
    (dict(monthly_split="weekly"), r"monthly_split\n.*'history' or 'even'"),
    (dict(sales_cycle_days=-5), r"sales_cycle_days\.constrained-float\n.*greater than or equal to 0"),
    (dict(attainment=0.8), r"attainment\n.*Unexpected keyword argument"),  # the old name
])
def test_bad_settings_are_refused(changes, message):
    with pytest.raises(ValidationError, match=message):
        FunnelConfig(**changes)
    with pytest.raises(ValidationError, match=message):  # a what-if copy is checked the same way
        dataclasses.replace(FunnelConfig(), **changes)


def test_config_defaults_and_the_former_name():
    config = FunnelConfig()
    assert (config.min_records, config.expected_attainment, config.sqls_per_sdr_per_month) == (30, 0.8, 20.0)
    assert (config.window_months, config.stage_order, config.monthly_split) == (12, None, "history")
    assert FunnelAssumptions is FunnelConfig
    per_segment = FunnelConfig(win_rate={"A": 0.3}, stage_order=["Discovery", "Proposal"])
    assert per_segment.get("win_rate", "A") == 0.3 and per_segment.get("win_rate", "B") is None
    assert per_segment.stage_order == ("Discovery", "Proposal")


def test_bad_target_period_is_explained(kpis):
    targets = pd.DataFrame({"segment": ["A"], "period": ["next quarter"], "target": [1.0]})
    with pytest.raises(FunnelInputError, match="2027Q1"):
        build_funnel_plan(targets, kpis)


def test_sensitivity_by_hand(kpis):
    table = funnel_sensitivity(q2_targets(), kpis, assumptions=FIXED, change=0.1)
    pct = table[(table["method"] == "percent") & (table["segment"] == OVERALL)].set_index(["assumption", "change"])
    base = 3000 / 100 / 0.25 / 0.5 / 0.2
    assert pct["base_mql_goal"].unique().tolist() == pytest.approx([base])
    assert pct.loc[("target", 0.1), "mql_goal"] == pytest.approx(base * 1.1)
    assert pct.loc[("mql_to_sql_rate", -0.1), "mql_goal"] == pytest.approx(base / 0.9)
    assert pct.loc[("win_rate", 0.1), "mql_goal"] == pytest.approx(base / 1.1)
    assert pct.loc[("sales_cycle_days", 0.1), "delta"] == pytest.approx(0.0)  # lags only move months
    ranked = table[table["method"] == "percent"]["assumption"].drop_duplicates().tolist()
    assert ranked[-3:] != ["target", "win_rate", "mql_to_sql_rate"]  # lags rank last
    assert set(ranked[-3:]) == {"sales_cycle_days", "sql_to_opportunity_days", "mql_to_sql_days"}


def test_sensitivity_interval_uses_the_data(kpis, opportunities, targets):
    table = funnel_sensitivity(targets, kpis, opportunities=opportunities, min_records=4)
    interval = table[(table["method"] == "interval") & (table["segment"] == "A")]
    win = interval[interval["assumption"] == "win_rate"].sort_values("change")
    # the low end of A's win rate (Wilson, 3 of 4) raises the goal, the high end lowers it
    assert win["delta"].iloc[0] > 0 > win["delta"].iloc[1]
    assert win["value"].iloc[0] == pytest.approx(kpis.query("segment == 'A' and kpi == 'win_rate'")["value_low"].iloc[0])


def test_actuals_show_what_past_months_produced(kpis, opportunities, leads):
    # Deals closing in 2027-01 need opportunities 2 months earlier (Nov 2026: o5 was created then)
    # and SQLs/MQLs 2-3 months earlier; the data ends in December 2026.
    targets = pd.DataFrame({"segment": ["A"], "period": ["2027Q1"], "target": [3000.0]})
    plan = build_funnel_plan(targets, kpis, opportunities=opportunities, leads=leads, assumptions=FIXED)
    january = cohort(plan, "A", "2027-01-01")
    assert january.loc["opportunity", "period"] == "2026-11-01"
    assert january.loc["opportunity", "actual"] == 1.0  # o5
    assert january.loc["mql", "period"] == "2026-10-01" and january.loc["mql", "actual"] == 0.0
    assert np.isnan(january.loc["won", "actual"])  # January 2027 has not happened yet
    december = plan[(plan["period"] == "2026-12-01") & (plan["stage"] == "mql")]
    assert december["actual"].tolist() == [2.0]  # L9, L10
    no_leads = build_funnel_plan(targets, kpis, opportunities=opportunities, assumptions=FIXED)
    assert no_leads.loc[no_leads["stage"] == "mql", "actual"].isna().all()  # unknown, not zero
