"""A plan made at the end of one quarter, reviewed at the end of the next (end to end)."""
import pandas as pd
import pytest

from revops.cli import main
from revops.sample_data import generate

pytestmark = [pytest.mark.slow, pytest.mark.mlflow]
CUT = pd.Timestamp("2026-12-31 23:59:59")


def _as_of_cut(full, folder):
    """The same CRM as it stood on 2026-12-31: later rows gone, later outcomes still open."""
    folder.mkdir()
    leads = pd.read_csv(full / "leads.csv", dtype={"is_sql": str}, keep_default_na=False)
    created = pd.to_datetime(leads["created_at"])
    leads = leads[created <= CUT].copy()
    leads.loc[pd.to_datetime(leads["created_at"]) > CUT - pd.Timedelta(days=14), "is_sql"] = ""
    leads.to_csv(folder / "leads.csv", index=False)
    opps = pd.read_csv(full / "opportunities.csv", dtype=str, keep_default_na=False)
    opps = opps[pd.to_datetime(opps["created_at"]) <= CUT].copy()
    later = pd.to_datetime(opps["closed_at"].replace("", None)) > CUT
    opps.loc[later, ["is_won", "closed_at"]] = ""
    opps.loc[later, "stage"] = "Negotiation"
    opps.to_csv(folder / "opportunities.csv", index=False)
    (folder / "plan.toml").write_text('steps = ["forecast", "funnel"]\n[data]\ntarget_growth = 0.1\n'
                                      'as_of = 2026-12-31\n'
                                      # a lighter forecast: the review, not the forecast, is tested
                                      '[forecast]\nbacktest_origins = 2\ngroup_season = false\n'
                                      'n_simulations = 2000\ncalibration_quarters = 2\n', encoding="utf-8")


def test_plan_then_review_a_quarter_later(tmp_path):
    import mlflow

    full = tmp_path / "crm"
    generate(full, seed=5, n_leads=3000, n_accounts=120, n_reps=12, as_of="2027-03-31")
    _as_of_cut(full, tmp_path / "dec")
    plan = tmp_path / "plan-2027Q1"
    assert main(["plan", "--data", str(tmp_path / "dec"), "--out", str(plan),
                 "--config", str(tmp_path / "dec" / "plan.toml"), "--quiet"]) == 0
    review = tmp_path / "review"
    assert main(["review", "--data", str(full), "--out", str(review), "--plan", str(plan),
                 "--as-of", "2027-03-31", "--quiet"]) == 0
    pva = pd.read_csv(review / "review" / "plan_vs_actual.csv")
    leads = pd.read_csv(full / "leads.csv")
    created = leads.assign(period=pd.to_datetime(leads["created_at"]).dt.strftime("%Y-%m"))
    counts = created.groupby(["segment", "period"]).size()
    mql = pva[(pva["stage"] == "mql") & (pva["segment"] != "ALL")]
    assert len(mql) >= 6 and mql["actual"].notna().all()
    for row in mql.itertuples():
        assert row.actual == counts.get((row.segment, row.period), 0), (row.segment, row.period)
    assert set(pva["stage"]) == {"mql", "sql", "opportunity", "won"}
    assert pva.groupby("segment")["bottleneck"].any().all()  # one weakest stage per segment
    accuracy = pd.read_csv(review / "review" / "forecast_accuracy.csv")
    quarter = accuracy[accuracy["horizon"] == "quarter"].set_index("segment")
    opps = pd.read_csv(full / "opportunities.csv")
    won_q1 = opps[(opps["is_won"] == 1) & pd.to_datetime(opps["closed_at"]).between("2027-01-01", "2027-03-31")]
    assert quarter.loc["Total", "actual"] == pytest.approx(won_q1["amount"].sum())
    assert quarter.loc["SMB", "actual"] == pytest.approx(won_q1.loc[won_q1["segment"] == "SMB", "amount"].sum())
    assert list(quarter["period"].unique()) == ["2027Q1"]
    # The forecast's accuracy is an MLflow series over the quarters reviewed.
    client = mlflow.tracking.MlflowClient()
    experiment = client.get_experiment_by_name("revops-review")
    run = client.search_runs([experiment.experiment_id])[0]
    history = client.get_metric_history(run.info.run_id, "forecast.quarter.coverage_80")
    assert [m.step for m in history] == [2027 * 4 + 1]
    assert run.data.tags["revops.reviewed_plan_period"] == "2027Q1"
