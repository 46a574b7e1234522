"""`revops funnel` on the sample CRM: outputs, MLflow, identical reruns, errors, and the truth."""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from revops.cli import main

pytestmark = [pytest.mark.mlflow, pytest.mark.slow]

OUTPUTS = ("funnel_plan.csv", "funnel_totals.csv", "headcount.csv", "headcount_summary.csv", "kpis.csv", "kpi_summary.csv", "drivers.csv",
           "sensitivity.csv", "funnel.png", "monthly_goals.png", "summary.json")


def funnel_args(data: Path, out: Path, *extra: str) -> list[str]:
    return ["funnel", "--opportunities", str(data / "opportunities.csv"), "--targets", str(data / "targets.csv"),
            "--leads", str(data / "leads.csv"), "--reps", str(data / "reps.csv"), "--out", str(out), *extra]


@pytest.fixture(scope="module")
def scores(sample_data_dir: Path, tmp_path_factory) -> Path:
    """The true probabilities of the open leads, standing in for a scoring model's output."""
    truth = pd.read_csv(sample_data_dir / "truth" / "leads_truth.csv")
    path = tmp_path_factory.mktemp("scores") / "lead_scores.csv"
    truth.loc[truth["is_open"], ["lead_id", "true_probability"]].rename(
        columns={"true_probability": "probability"}).to_csv(path, index=False)
    return path


def test_cli_writes_the_funnel_and_logs_to_mlflow(sample_data_dir, scores, tmp_path, capsys):
    out = tmp_path / "funnel"
    assert main(funnel_args(sample_data_dir, out, "--scores", str(scores), "--json")) == 0
    printed = json.loads(capsys.readouterr().out)
    for name in OUTPUTS:
        assert (out / name).is_file(), name
    plan = pd.read_csv(out / "funnel_plan.csv")
    targets = pd.read_csv(sample_data_dir / "targets.csv")
    assert set(plan["segment"]) == set(targets["segment"])
    assert set(plan["stage"]) == {"won", "opportunity", "sql", "mql"}
    for _, part in plan.groupby(["segment", "for_close_period"]):
        part = part.set_index("stage")
        for stage, upper in (("opportunity", "won"), ("sql", "opportunity"), ("mql", "sql")):
            assert part.loc[stage, "required"] * part.loc[stage, "rate"] == pytest.approx(
                part.loc[upper, "required"], rel=1e-5)
    won = plan[plan["stage"] == "won"].groupby("segment")["bookings_target"].sum()
    assert won.to_dict() == pytest.approx(targets.set_index("segment")["target"].to_dict(), rel=1e-5)
    # Open MQLs (scored) lower the MQL goal but never the requirement.
    headline = printed["headline"]
    assert headline["ALL.mql_still_needed"] < headline["ALL.mql_required"]
    summary = pd.read_csv(out / "headcount_summary.csv")
    assert set(summary["role"]) == {"ae", "sdr"} and summary["needed"].notna().all()
    # headcount.csv is monthly: each month of the target period carries its period's AE need,
    # the hires and the month they start; the SDR months are the months SQLs are due.
    headcount = pd.read_csv(out / "headcount.csv")
    assert set(headcount["role"]) == {"ae", "sdr"} and headcount["needed"].notna().all()
    ae = headcount[(headcount["role"] == "ae") & (headcount["segment"] != "ALL")]
    assert sorted(set(ae["month"])) == ["2027-01", "2027-02", "2027-03"]
    need = summary[summary["role"] == "ae"].set_index("segment")["needed"]
    assert ae["needed"].to_numpy() == pytest.approx(ae["segment"].map(need).to_numpy())
    assert (ae["gap"] <= 1e-9).all()
    for _, part in ae.groupby("segment"):
        assert part["hires_total"].iloc[-1] == part["hires_start"].sum()
    plan_sql = plan[plan["stage"] == "sql"]
    sdr = headcount[(headcount["role"] == "sdr") & (headcount["segment"] != "ALL")]
    assert sdr["needed"].sum() * 20 == pytest.approx(plan_sql["required"].sum(), rel=1e-6)

    import mlflow
    from mlflow.tracking import MlflowClient

    run = MlflowClient().get_run(printed["mlflow_run_id"])
    assert run.data.tags["revops.kind"] == "funnel"
    assert run.data.metrics["ALL.mql_required"] == pytest.approx(headline["ALL.mql_required"])
    artifacts = {a.path for a in MlflowClient().list_artifacts(run.info.run_id, "funnel")}
    assert "funnel/funnel_plan.csv" in artifacts and "funnel/funnel.png" in artifacts
    assert mlflow.get_tracking_uri().startswith("sqlite:///")


def test_two_runs_give_identical_files(sample_data_dir, scores, tmp_path):
    for name in ("one", "two"):
        assert main(funnel_args(sample_data_dir, tmp_path / name, "--scores", str(scores), "--no-mlflow",
                                "--quiet")) == 0
    for name in OUTPUTS:
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes(), name


def test_without_leads_the_plan_stops_at_opportunities(sample_data_dir, tmp_path):
    out = tmp_path / "no-leads"
    args = ["funnel", "--opportunities", str(sample_data_dir / "opportunities.csv"),
            "--targets", str(sample_data_dir / "targets.csv"), "--out", str(out), "--no-mlflow", "--quiet"]
    assert main(args) == 0
    assert set(pd.read_csv(out / "funnel_plan.csv")["stage"]) == {"won", "opportunity"}
    notes = json.loads((out / "summary.json").read_text())["notes"]
    assert any("no leads table" in note for note in notes)


def test_unknown_target_segment_exits_2_with_a_clear_message(sample_data_dir, tmp_path, capsys):
    targets = tmp_path / "targets.csv"
    targets.write_text("segment,period,target\nSMB,2027Q1,100000\nStartups,2027Q1,5000\n")
    args = ["funnel", "--opportunities", str(sample_data_dir / "opportunities.csv"), "--targets", str(targets),
            "--out", str(tmp_path / "out"), "--no-mlflow"]
    assert main(args) == 2
    err = capsys.readouterr().err
    error = [line for line in err.splitlines() if line.startswith("error:")]
    assert error[0].startswith("error: targets, column 'segment': segment 'Startups' has a target but no history")
    assert "(Enterprise, Mid-Market, SMB)" in error[0] and "Hint:" in error[0]
    assert not (tmp_path / "out").exists()  # no half-written output
