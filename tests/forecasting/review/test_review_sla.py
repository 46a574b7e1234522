"""SLA compliance, breaches and feedback on six hand-made leads: exact counts."""
import numpy as np
import pandas as pd
import pytest
from six_leads import ACTIVITIES, AS_OF, BREACHES, LEADS

from forecasting.review import ReviewInputError, SlaConfig, review, wilson


def _row(summary, segment="SMB", month="2026-12"):
    rows = summary[(summary["segment"] == segment) & (summary["month"] == month)]
    assert len(rows) == 1
    return rows.iloc[0]


def test_six_leads_summary_counts():
    result = review(LEADS, ACTIVITIES, as_of=AS_OF)
    for segment, month in (("SMB", "2026-12"), ("ALL", "ALL"), ("SMB", "ALL")):
        row = _row(result.sla_summary, segment, month)
        assert row["leads"] == 6
        assert row["first_touch_same_day"] == 3 and row["first_touch_in_sla"] == 3
        assert row["first_touch_pending"] == 0
        assert row["first_touch_same_day_share"] == pytest.approx(0.5)
        assert row["median_minutes_to_first_touch"] == pytest.approx(120.0)
        assert row["cadence_window_open"] == 2 and row["cadence_due"] == 4
        assert row["cadence_met"] == 2 and row["cadence_met_share"] == pytest.approx(0.5)
        assert row["compliant"] == 1 and row["non_compliant"] == 3
        assert (row["compliant_labelled"], row["compliant_sqls"]) == (1, 1)
        assert (row["non_compliant_labelled"], row["non_compliant_sqls"]) == (1, 0)


def test_six_leads_breaches_are_exactly_the_open_leads_in_breach():
    breaches = review(LEADS, ACTIVITIES, as_of=AS_OF).sla_breaches
    assert dict(zip(breaches["lead_id"], breaches["breach"])) == BREACHES
    l3 = breaches.set_index("lead_id").loc["L3"]
    assert (l3["calls"], l3["emails"], l3["owner_rep_id"]) == (3, 2, "R2")
    # L6's call after as_of is not counted.
    assert breaches.set_index("lead_id").loc["L6", "calls"] == 1


def test_business_hours_rule_and_a_stricter_cadence():
    # Four business hours: L2 (15:00 -> next day 10:00 = 3 business hours) is now in time.
    result = review(LEADS, ACTIVITIES, as_of=AS_OF, config=SlaConfig(first_touch=4, min_calls=6))
    row = _row(result.sla_summary)
    assert row["first_touch_same_day"] == 3 and row["first_touch_in_sla"] == 5
    assert row["cadence_met"] == 0
    assert "L6" not in set(result.sla_breaches["lead_id"])  # 14:00 -> 09:00 next day: 3 hours


def test_feedback_by_source_and_reason_and_labels():
    result = review(LEADS, ACTIVITIES, as_of=AS_OF)
    fb = result.lead_feedback.set_index(["by", "value"])
    assert fb.loc[("ALL", "ALL"), ["leads", "dispositioned", "accepted", "rejected"]].tolist() == [6, 2, 1, 1]
    assert fb.loc[("lead_source", "Webinar"), "acceptance_rate"] == pytest.approx(0.5)
    assert fb.loc[("rejection_reason", "no budget"), "share_of_rejections"] == pytest.approx(1.0)
    assert result.rejection_labels.empty  # L2 already carries its label


def test_disposition_recorded_as_an_activity_is_not_a_touch():
    acts = pd.concat([ACTIVITIES, pd.DataFrame({"activity_id": ["X"], "lead_id": ["L4"],
                                                "at": ["2026-12-03 11:00"], "channel": ["other"],
                                                "outcome": ["Rejected: not a fit"]})], ignore_index=True)
    result = review(LEADS, acts, as_of=AS_OF)
    assert result.sla_breaches.set_index("lead_id").get("breach", pd.Series()).get("L4") is None  # decided: not open
    assert _row(result.sla_summary)["first_touch_same_day"] == 3
    labels = result.rejection_labels
    assert labels.to_dict("records") == [{"lead_id": "L4", "is_sql": 0, "rejection_reason": "not a fit"}]


@pytest.mark.parametrize("column, value, message", [
    ("channel", "fax", "column 'channel': unknown channel(s) 'fax' (row 3)"),
    ("lead_id", "L99", "column 'lead_id': activity(ies) of lead(s) not in the leads table: 'L99' (row 3)"),
])
def test_bad_activities_are_refused_naming_row_and_column(column, value, message):
    acts = ACTIVITIES.copy()
    acts.loc[1, column] = value
    with pytest.raises(ReviewInputError) as info:
        review(LEADS, acts, as_of=AS_OF)
    assert str(info.value).startswith("activities: " + message)


def test_wilson_interval():
    rate, low, high = wilson(np.array([0, 5, 50]), np.array([10, 10, 0]))
    assert rate[0] == 0 and low[0] == 0 and 0.27 < high[0] < 0.28
    assert low[1] == pytest.approx(0.2366, abs=1e-3) and high[1] == pytest.approx(0.7634, abs=1e-3)
    assert np.isnan(rate[2])


def test_config_is_checked():
    with pytest.raises(ValueError, match="business_start"):
        SlaConfig(business_start=18, business_end=9)
    with pytest.raises(ValueError, match="unknown time zone"):
        SlaConfig(timezone="Mars/Olympus")
    with pytest.raises(ValueError):
        SlaConfig(first_touch="tomorrow")
