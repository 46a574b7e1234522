"""The funnel engine on the sample CRM: KPIs against the generator's truth, and the whole
funnel from compute_funnel (the `revops funnel` command's own tests are in tests/funnel)."""
from __future__ import annotations

import pandas as pd
import pytest
from scipy.stats import gamma

from forecasting.funnel import OVERALL, FunnelConfig, compute_funnel, compute_kpis
from revops.contracts import validate
from revops.sample_data import PROFILES


@pytest.fixture(scope="module")
def crm(sample_data_dir) -> dict[str, pd.DataFrame]:
    return {table: validate(table, pd.read_csv(sample_data_dir / f"{table}.csv"))
            for table in ("opportunities", "leads", "reps", "targets")}


def test_kpis_recover_the_sample_truth(crm):
    kpis = compute_kpis(crm["opportunities"], window_months=None).set_index(["segment", "kpi", "detail"])
    for segment, profile in PROFILES.items():
        deal = kpis.loc[(segment, "avg_deal_size", ""), "value"]
        win = kpis.loc[(segment, "win_rate", ""), "value"]
        cycle = kpis.loc[(segment, "sales_cycle_days_median", ""), "value"]
        assert deal == pytest.approx(profile.deal_size, rel=0.08), segment
        assert win == pytest.approx(profile.win_rate, abs=0.03), segment
        # cycles are Gamma(2, cycle/2) in the generator: compare with that median
        assert cycle == pytest.approx(gamma(2.0, scale=profile.cycle_days / 2).median(), rel=0.15), segment


def test_compute_funnel_on_the_sample(crm, sample_data_dir):
    targets = crm["targets"][crm["targets"]["period"] == "2027Q1"]
    truth = pd.read_csv(sample_data_dir / "truth" / "leads_truth.csv")
    scores = truth.loc[truth["is_open"], ["lead_id", "true_probability"]].rename(
        columns={"true_probability": "probability"})
    config = FunnelConfig()
    result = compute_funnel(crm["opportunities"], targets, leads=crm["leads"], reps=crm["reps"],
                            lead_scores=scores, config=config)
    totals = result.totals.set_index(["segment", "stage"])
    drivers = result.drivers.set_index(["segment", "driver"])["value"]
    for segment in PROFILES:
        target = float(targets.loc[targets["segment"] == segment, "target"].sum())
        won = totals.loc[(segment, "won"), "required"]
        assert won == pytest.approx(target / drivers[(segment, "avg_deal_size")], rel=1e-9), segment
        # each stage is the one below divided by its rate (summed over the plan's months)
        assert totals.loc[(segment, "mql"), "required"] > totals.loc[(segment, "sql"), "required"] \
            > totals.loc[(segment, "opportunity"), "required"] > won
    # the open MQLs' expected SQLs cover part of the MQL goal
    assert totals.loc[(OVERALL, "mql"), "still_needed"] < totals.loc[(OVERALL, "mql"), "required"]
    ae = result.headcount.query(f"segment == '{OVERALL}' and role == 'ae'").iloc[0]
    assert ae.needed > 0 and ae.on_file > 0
    assert result.summary()["low_sample_kpis"] == int(result.kpis["low_sample"].sum())
