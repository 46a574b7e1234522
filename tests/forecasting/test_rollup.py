"""Forecast roll-up: rep -> manager -> segment -> total adds up, the model's interval is the
pipeline forecast's own simulation, calls sit beside it."""
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecasting.errors import ForecastInputError
from forecasting.pipeline import forecast_pipeline
from forecasting.rollup import CATEGORIES, deal_categories, forecast_rollup, simulate_owners

ROOT = Path(__file__).resolve().parents[2]
MAVEN = ROOT.parent / "shared" / "data" / "crm-sales-opportunities"
SEED = 3


@pytest.fixture(scope="module")
def sample(sample_data_dir):
    opps = pd.read_csv(sample_data_dir / "opportunities.csv")
    reps = pd.read_csv(sample_data_dir / "reps.csv")
    pipeline = forecast_pipeline(opps, n_simulations=1000, calibration_quarters=0, random_state=SEED)
    return opps, reps, pipeline


def assert_adds_up(table: pd.DataFrame) -> None:
    columns = [c for c in CATEGORIES if c in table.columns]
    for level, child_levels in (("manager", ("rep",)), ("segment", ("rep", "manager")),
                                ("total", ("segment",))):
        for row in table[table["level"] == level].itertuples():
            kids = table[table["level"].isin(child_levels) & (table["parent_id"] == row.id)
                         & ((table["segment"] == row.segment) | (level == "total"))]
            assert len(kids), f"{level} {row.id} has no children"
            np.testing.assert_allclose(kids[columns].sum().to_numpy(),
                                       table.loc[row.Index, columns].to_numpy(dtype=float), rtol=1e-9)


def test_segments_draw_for_draw_the_pipeline_forecast(sample):
    opps, _, pipeline = sample
    sims = simulate_owners(pipeline, opps, random_state=SEED)
    for segment in ["Enterprise", "SMB"]:
        mask = (sims.keys["segment"] == segment).to_numpy()
        np.testing.assert_allclose(sims.node(mask), pipeline.draws[segment], rtol=1e-9)
    np.testing.assert_allclose(sims.node(np.ones(len(sims.keys), bool)), pipeline.draws["Total"], rtol=1e-9)


def test_rollup_adds_up_and_parents_are_simulated(sample):
    opps, reps, pipeline = sample
    result = forecast_rollup(pipeline, opps, reps, categories={"Negotiation": "commit",
                                                               "Proposal": "best_case"},
                             random_state=SEED)
    table = result.table
    assert set(table["level"]) == {"rep", "manager", "segment", "total"}
    assert_adds_up(table)
    assert table["commit"].sum() > 0 and table["best_case"].sum() > 0
    # Open pipeline by category adds up to the open deals the forecast saw.
    total = table[table["level"] == "total"].iloc[0]
    assert total[["commit", "best_case", "pipeline"]].sum() == pytest.approx(pipeline.open_deals["amount"].sum())
    forecast_total = pipeline.table.set_index("segment").loc["Total"]
    assert total["model_p50"] == pytest.approx(forecast_total["p50"], rel=1e-9)
    # A parent's p90 comes from its summed draws: below the sum of its children's p90s.
    segments = table[table["level"] == "segment"]
    assert total["model_p90"] < segments["model_p90"].sum()


def test_manager_call_replaces_its_reps_and_keeps_theirs(sample):
    opps, reps, pipeline = sample
    manager = reps["manager_id"].iloc[0]
    team = reps.loc[reps["manager_id"] == manager, "rep_id"].tolist()
    segment = reps["segment"].iloc[0]
    calls = pd.DataFrame({"owner_id": [*team, manager], "period": "2027Q1",
                          "amount": [*([1_000.0] * len(team)), 9e9], "note": ""})
    table = forecast_rollup(pipeline, opps, reps, calls, random_state=SEED).table

    def node(level, node_id):
        rows = table[(table["level"] == level) & (table["id"] == node_id)]
        assert len(rows) == 1
        return rows.iloc[0]

    row = node("manager", manager)
    assert row["call"] == 9e9 and row["call_source"] == "submitted"
    assert row["call_rollup"] == pytest.approx(1_000.0 * len(team))
    assert row["call_flag"] == "above p90"
    seg = node("segment", segment)
    assert seg["call_source"] == "rolled up" and seg["call"] == pytest.approx(9e9)
    rep = node("rep", team[0])
    assert rep["call"] == 1_000.0 and rep["call_gap"] == pytest.approx(1_000.0 - rep["model_p50"])


def test_categories_from_the_column_win_over_the_stage_map():
    opps = pd.DataFrame({"opportunity_id": [1, 2, 3], "stage": ["Proposal", "Proposal", "X"],
                         "forecast_category": ["Best Case", None, ""]})
    got = deal_categories(opps, {"Proposal": "commit"})
    assert got.tolist() == ["best_case", "commit", "pipeline"]
    with pytest.raises(ForecastInputError, match="unknown value"):
        deal_categories(opps.assign(forecast_category=["maybe", None, None]))


@pytest.mark.skipif(not MAVEN.is_dir(), reason="the public Maven CRM export lives in ../shared/data (CI has it)")
def test_maven_rolls_up_reps_managers_offices():
    from revops.config import load_config
    from revops.plan import prepare_inputs

    config = load_config(ROOT / "examples" / "maven-crm" / "plan.toml")
    bundle, as_of, _ = prepare_inputs(MAVEN, config)
    opps = bundle.get("opportunities")
    pipeline = forecast_pipeline(opps, as_of=as_of, n_simulations=500, calibration_quarters=0)
    table = forecast_rollup(pipeline, opps, bundle.get("reps"),
                            categories=config.forecast.categories).table
    assert (table["level"] == "manager").sum() == 6
    assert sorted(table.loc[table["level"] == "segment", "id"]) == ["Central", "East", "West"]
    reps = table[table["level"] == "rep"]
    assert set(reps["parent_id"]) <= set(table.loc[table["level"] == "manager", "id"])
    assert table["best_case"].sum() > 0
    assert_adds_up(table)
