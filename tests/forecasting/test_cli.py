import json

import numpy as np
import pandas as pd
import pytest

from revops.cli import main

from forecast_data import make_history

pytestmark = pytest.mark.mlflow


@pytest.fixture
def history_file(tmp_path):
    path = tmp_path / "bookings.csv"
    hist = make_history(n_segments=2, n_months=36, seed=5)
    hist.rename(columns={"segment": "team", "bookings": "amount"}).to_csv(path, index=False)
    return path


def test_history_run_writes_outputs_and_mlflow(tmp_path, history_file):
    out = tmp_path / "fc"
    code = main(["forecast", "--history", str(history_file), "--horizon", "6", "--out", str(out),
                 "--segment-col", "team", "--value-col", "amount", "--levels", "80,95", "--quiet"])
    assert code == 0
    fc = pd.read_csv(out / "forecast.csv")
    assert list(fc.columns[:6]) == ["segment", "period", "p10", "p50", "p90", "lo_95"]
    assert fc["period"].iloc[0] == "2026-01-01"
    bt = pd.read_csv(out / "backtest.csv")
    assert list(bt.columns[:6]) == ["segment", "origin", "period", "actual", "forecast", "model"]
    metrics = json.loads((out / "metrics.json").read_text())
    assert set(metrics["segments"]) == {"S0", "S1"}
    assert {p.name for p in (out / "plots").iterdir()} == {"fan_s0.png", "fan_s1.png", "fan_total.png"}
    import mlflow
    from revops.mlflow_setup import configure

    configure()
    runs = mlflow.search_runs(experiment_names=["forecast"])
    assert len(runs) == 1 and runs["metrics.coverage_80"].notna().all()
    assert runs["params.group_season"].iloc[0] == "True"
    artifacts = {a.path for a in mlflow.MlflowClient().list_artifacts(runs["run_id"].iloc[0])}
    assert {"forecast.csv", "models.joblib", "plots"} <= artifacts


def test_outputs_are_byte_identical_across_runs(tmp_path, history_file):
    outs = []
    for name in ("a", "b"):
        out = tmp_path / name
        assert main(["forecast", "--history", str(history_file), "--horizon", "3", "--out",
                     str(out), "--segment-col", "team", "--value-col", "amount", "--no-mlflow",
                     "--quiet"]) == 0
        outs.append(out)
    for f in ("forecast.csv", "backtest.csv", "metrics.json"):
        assert (outs[0] / f).read_bytes() == (outs[1] / f).read_bytes()


def test_bad_input_exits_2_with_message(tmp_path, capsys):
    path = tmp_path / "dup.csv"
    pd.DataFrame({"segment": ["A", "A"], "period": ["2024-01", "2024-01"],
                  "bookings": [1, 2]}).to_csv(path, index=False)
    code = main(["forecast", "--history", str(path), "--out", str(tmp_path / "o"), "--no-mlflow"])
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith("error: history: column 'segment, period': duplicate (segment, period) rows")
    assert not (tmp_path / "o").exists()
    code = main(["forecast", "--history", str(path), "--out", str(tmp_path / "o"), "--freq", "W"])
    err = capsys.readouterr().err
    assert code == 2 and "--freq" in err and "'M' or 'Q'" in err and "got 'W'" in err


def test_opportunities_run_writes_pipeline(tmp_path, sample_data_dir):
    out = tmp_path / "fc"
    code = main(["forecast", "--opportunities", str(sample_data_dir / "opportunities.csv"),
                 "--targets", str(sample_data_dir / "targets.csv"), "--horizon", "3",
                 "--out", str(out), "--no-mlflow", "--quiet"])
    assert code == 0
    pipe = pd.read_csv(out / "pipeline.csv")
    assert list(pipe["segment"]) == ["Enterprise", "Mid-Market", "SMB", "Total"]
    assert pipe["probability_of_target"].between(0, 1).all()
    fc = pd.read_csv(out / "forecast.csv")
    assert fc["period"].min() == "2027-01-01"
    # One forecast of the quarter, as the plan makes it: the months of the quarter add up to it.
    quarter = pd.read_csv(out / "quarter.csv").set_index("segment")
    assert list(quarter.index) == ["Enterprise", "Mid-Market", "SMB", "Total"]
    assert (quarter["p10"] <= quarter["p50"]).all() and (quarter["p50"] <= quarter["p90"]).all()
    months = fc[fc["period"].between("2027-01-01", "2027-03-01")]
    assert set(months["basis"]) == {"combined"}
    by_segment = months.groupby("segment")["p50"].sum()
    np.testing.assert_allclose(by_segment, quarter.loc[by_segment.index, "p50"], rtol=1e-9)
    assert (out / "quarter_backtest.csv").exists()


def test_dask_backend_needs_a_scheduler(tmp_path, history_file, capsys):
    code = main(["forecast", "--history", str(history_file), "--out", str(tmp_path / "o"),
                 "--backend", "dask"])
    assert code == 2
    err = capsys.readouterr().err
    assert "backend 'dask' needs a scheduler address" in err and "command line" in err


def test_no_group_season_leaves_the_candidate_out(tmp_path, history_file):
    out = tmp_path / "fc"
    assert main(["forecast", "--history", str(history_file), "--horizon", "6", "--out", str(out),
                 "--segment-col", "team", "--value-col", "amount", "--no-group-season",
                 "--no-mlflow", "--quiet"]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["config"]["group_season"] is False
    assert all("group_seasonal" not in s["mase_by_candidate"] for s in metrics["segments"].values())
    assert "group_seasonal" not in set(pd.read_csv(out / "backtest.csv")["model"])
