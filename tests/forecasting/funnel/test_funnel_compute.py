"""compute_funnel: the whole funnel from one FunnelConfig, on the hand-made tables of conftest.py."""
from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from pydantic import ValidationError

from forecasting.funnel import (
    OVERALL, FunnelConfig, FunnelResult, build_funnel_plan, compute_funnel, compute_kpis, estimate_drivers,
    funnel_figures, funnel_sensitivity, plan_headcount,
)

# A thin-data config: the hand-made segments have 3-4 records per rate.
THIN = FunnelConfig(min_records=4, expected_attainment=0.5, sqls_per_sdr_per_month=2.0)


@pytest.fixture
def result(opportunities, leads, reps, targets) -> FunnelResult:
    return compute_funnel(opportunities, targets, leads=leads, reps=reps, config=THIN, random_state=0)


def test_every_table_equals_the_steps_it_runs(result, opportunities, leads, reps, targets):
    kpis = compute_kpis(opportunities, leads, targets, min_records=4, window_months=12, random_state=0)
    pd.testing.assert_frame_equal(result.kpis, kpis)
    pd.testing.assert_frame_equal(result.drivers, estimate_drivers(kpis, ["A", "B"], THIN))
    plan = build_funnel_plan(targets, kpis, opportunities=opportunities, leads=leads, assumptions=THIN)
    pd.testing.assert_frame_equal(result.plan, plan)
    pd.testing.assert_frame_equal(result.headcount, plan_headcount(targets, plan, kpis, reps, THIN))
    pd.testing.assert_frame_equal(result.sensitivity, funnel_sensitivity(
        targets, kpis, assumptions=THIN, opportunities=opportunities, leads=leads))
    assert set(result.plan["stage"]) == {"won", "opportunity", "sql", "mql"}
    assert result.config is THIN


def test_the_config_reaches_every_step(result, opportunities, leads, reps, targets):
    # min_records: 30 makes both segments borrow the all-segment rates (and says so)
    strict = compute_funnel(opportunities, targets, leads=leads, reps=reps, config=FunnelConfig())
    assert strict.drivers.query("driver == 'win_rate'")["source"].str.startswith(OVERALL).all()
    assert "A: win_rate taken from all segments (ALL (segment has 4 records < 30))" in strict.notes
    assert result.drivers.query("segment == 'A' and driver == 'win_rate'")["source"].tolist() == ["segment"]
    # expected_attainment and sqls_per_sdr_per_month: the headcount's divisors
    sdr = result.headcount.query("segment == 'A' and role == 'sdr'").iloc[0]
    assert sdr.basis == "SQLs per month / 2 SQLs per SDR per month"
    ae = result.headcount.query("segment == 'A' and role == 'ae'").iloc[0]
    assert "attainment 0.5" in ae.basis
    # window_months: None counts 2025's deal o7 (10,000) in the deal size
    all_history = compute_funnel(opportunities, targets, config=THIN, window_months=None)
    size = {name: r.kpis.query("segment == 'A' and kpi == 'avg_deal_size'")["value"].iloc[0]
            for name, r in (("window", result), ("all", all_history))}
    assert size["window"] == pytest.approx(200.0) and size["all"] == pytest.approx(2650.0)
    # stage_order: the given open stages, in order, for the stage conversions
    ordered = compute_funnel(opportunities, targets, config=THIN, stage_order=["2 Proposal", "1 Discovery"])
    details = ordered.kpis.query("kpi == 'stage_conversion_rate'")["detail"].dropna().tolist()
    assert details and details[0].startswith("2 Proposal")


def test_keywords_override_single_fields(opportunities, leads, targets):
    a = compute_funnel(opportunities, targets, leads=leads, config=THIN, expected_attainment=0.8)
    b = compute_funnel(opportunities, targets, leads=leads,
                       config=FunnelConfig(min_records=4, expected_attainment=0.8, sqls_per_sdr_per_month=2.0))
    pd.testing.assert_frame_equal(a.headcount, b.headcount)
    assert a.config == b.config and THIN.expected_attainment == 0.5  # the caller's config unchanged
    with pytest.raises(ValidationError, match=r"expected_attainment\n.*less than or equal to 1\.5"):
        compute_funnel(opportunities, targets, expected_attainment=80)
    with pytest.raises(TypeError, match=r"unknown setting\(s\) \['attainment'\]; expected FunnelConfig fields: "
                                        r"min_records, expected_attainment"):
        compute_funnel(opportunities, targets, attainment=0.8)
    with pytest.raises(TypeError, match=r"config must be a FunnelConfig or None; got dict"):
        compute_funnel(opportunities, targets, config={"min_records": 4})


def test_without_leads_the_plan_stops_at_opportunities_and_says_so(opportunities, targets):
    result = compute_funnel(opportunities, targets, config=THIN)
    assert set(result.plan["stage"]) == {"won", "opportunity"}
    assert result.notes[0] == "no leads table: the plan stops at opportunities (no SQL or MQL goals)"
    sdr = result.headcount.query("segment == 'A' and role == 'sdr'").iloc[0]
    assert np.isnan(sdr.needed) and sdr.basis.startswith("unknown: no SQL stage")
    scored = compute_funnel(opportunities, targets, config=THIN,
                            lead_scores=pd.DataFrame({"lead_id": ["L9"], "segment": ["A"], "probability": [0.5]}))
    assert "lead scores given without the leads table: scores are taken as all open MQLs" in scored.notes


def test_open_mql_scores_lower_what_is_still_needed(opportunities, leads, targets):
    scores = pd.DataFrame({"lead_id": ["L9", "L10"], "probability": [1.0, 1.0]})
    base = compute_funnel(opportunities, targets, leads=leads, config=THIN)
    scored = compute_funnel(opportunities, targets, leads=leads, lead_scores=scores, config=THIN)
    need = {name: r.totals.query(f"segment == '{OVERALL}' and stage == 'mql'").iloc[0]
            for name, r in (("base", base), ("scored", scored))}
    assert need["scored"].required == pytest.approx(need["base"].required)
    assert need["scored"].still_needed < need["base"].still_needed


def test_summary_and_metrics(result):
    summary = result.summary()
    totals = result.totals.set_index(["segment", "stage"])
    assert summary["ALL.mql_required"] == round(float(totals.loc[("ALL", "mql"), "required"]), 2)
    assert summary["A.won_still_needed"] == round(float(totals.loc[("A", "won"), "still_needed"]), 2)
    assert summary["ALL.ae_needed.2027Q1"] > 0 and summary["low_sample_kpis"] == int(result.kpis["low_sample"].sum())
    metrics = result.metrics()
    assert metrics["ALL.mql_required"] == summary["ALL.mql_required"]
    assert all(isinstance(v, float) and np.isfinite(v) and " " not in k for k, v in metrics.items())


def test_reruns_are_identical(opportunities, leads, reps, targets, result):
    again = compute_funnel(opportunities, targets, leads=leads, reps=reps, config=THIN, random_state=0)
    for name in ("kpis", "drivers", "plan", "totals", "headcount", "sensitivity"):
        pd.testing.assert_frame_equal(getattr(again, name), getattr(result, name))
    assert again.notes == result.notes


def test_figures_are_returned_not_written(result, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    figures = funnel_figures(result.plan)
    assert list(figures) == ["funnel", "monthly_goals"]
    assert all(isinstance(f, Figure) for f in figures.values())
    assert [ax.get_title() for ax in figures["funnel"].axes] == ["A", "B"]       # one funnel per segment
    assert [ax.get_title() for ax in figures["monthly_goals"].axes] == ["A", "B"]
    assert list(tmp_path.iterdir()) == []  # nothing written anywhere

    def png(fig: Figure) -> bytes:
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=110, metadata={"Software": None})
        return buffer.getvalue()

    # the hub saves them; identical plans give identical bytes
    again = funnel_figures(result.plan)
    assert all(png(figures[k]) == png(again[k]) for k in figures)
