"""``revops territory solve`` end to end: files, exit codes, MLflow."""
from __future__ import annotations

import json

import pandas as pd
import pytest

from revops.cli import main
from territory.synthetic import make_instance, make_targets

pytestmark = pytest.mark.mlflow


@pytest.fixture
def files(tmp_path):
    accounts, reps = make_instance(150, 6, 2, random_state=21)
    paths = {name: tmp_path / f"{name}.csv" for name in ("accounts", "reps", "targets")}
    accounts.to_csv(paths["accounts"], index=False)
    reps.to_csv(paths["reps"], index=False)
    make_targets(accounts).to_csv(paths["targets"], index=False)
    return paths


def _args(files, out, *extra):
    return ["territory", "solve", "--accounts", str(files["accounts"]), "--reps",
            str(files["reps"]), "--targets", str(files["targets"]), "--out", str(out),
            "--quiet", *extra]


def test_solve_writes_every_output_and_logs_to_mlflow(files, tmp_path):
    out = tmp_path / "plan"
    assert main(_args(files, out, "--balance-tolerance", "0.15")) == 0
    names = {p.name for p in out.iterdir()}
    assert {"assignments.csv", "rep_summary.csv", "summary.json", "pools.csv",
            "balance_potential.png", "balance_workload.png", "moves.png"} <= names
    assignments = pd.read_csv(out / "assignments.csv", keep_default_na=False)
    assert {"account_id", "rep_id", "previous_rep_id", "moved", "reason"} <= set(assignments.columns)
    moved = assignments[assignments["moved"].astype(str) == "True"]
    assert len(moved) > 0 and (moved["reason"] != "").all()
    reps = pd.read_csv(out / "rep_summary.csv")
    assert {"rep_id", "pool", "accounts", "potential", "workload", "fair_potential",
            "fair_workload", "potential_deviation_pct", "quota", "moved_in", "moved_out"} <= set(reps.columns)
    summary = json.loads((out / "summary.json").read_text())
    for key in ("status", "objective", "certified_gap", "worst_deviation_pct", "moved_share",
                "solver", "unassigned_owner_count"):
        assert key in summary
    assert "solve_seconds" not in summary  # run to run: in MLflow and --json, not in the files
    assert summary["worst_deviation_pct"] <= 15 + 1e-6

    import mlflow

    runs = mlflow.search_runs(experiment_names=["revops-territory"])
    assert len(runs) == 1
    assert runs["metrics.moved_share"].iloc[0] == pytest.approx(summary["moved_share"])
    assert runs["metrics.solve_seconds"].iloc[0] >= 0
    assert runs["params.mip_gap"].iloc[0] == "0.005"


def test_same_inputs_give_byte_identical_tables(files, tmp_path):
    for name in ("a", "b"):
        assert main(_args(files, tmp_path / name, "--no-mlflow", "--balance-tolerance", "0.15")) == 0
    for table in ("assignments.csv", "rep_summary.csv", "pools.csv"):
        assert (tmp_path / "a" / table).read_bytes() == (tmp_path / "b" / table).read_bytes()


@pytest.fixture
def infeasible_files(tmp_path):
    """Three equal accounts, two equal reps: loads are 10 or 20 against a fair 15 +/- 10%."""
    paths = {name: tmp_path / f"small_{name}.csv" for name in ("accounts", "reps", "targets")}
    pd.DataFrame({"account_id": ["A1", "A2", "A3"], "segment": "SMB", "region": "NA",
                  "potential": [10, 10, 10], "workload": [2, 1, 1], "owner_rep_id": ""}
                 ).to_csv(paths["accounts"], index=False)
    pd.DataFrame({"rep_id": ["R1", "R2"], "segment": "SMB", "region": "NA", "capacity": 1}
                 ).to_csv(paths["reps"], index=False)
    pd.DataFrame({"segment": ["SMB"], "period": ["2027Q1"], "target": [20.0]}
                 ).to_csv(paths["targets"], index=False)
    return paths


def test_bad_tolerance_and_infeasible_plans_exit_2(files, infeasible_files, tmp_path, capsys):
    assert main(_args(files, tmp_path / "x", "--balance-tolerance", "1.5", "--no-mlflow")) == 2
    assert "error: command line: --balance-tolerance: Input should be less than 1; got '1.5'" in capsys.readouterr().err
    assert main(_args(infeasible_files, tmp_path / "y", "--no-mlflow", "--no-best-effort")) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: no territory plan satisfies every rule:\n  - pool SMB/NA: no "
                          "assignment keeps every rep within +/-10% of its fair share of potential")
    assert not (tmp_path / "y").exists()


def test_best_effort_flag(infeasible_files, tmp_path, capsys):
    out = tmp_path / "be"
    assert main(_args(infeasible_files, out, "--best-effort", "--no-mlflow", "--json")) == 0
    printed = json.loads(capsys.readouterr().out)
    summary = json.loads((out / "summary.json").read_text())
    assert printed["summary"]["status"] == summary["status"] == "optimal"
    assert summary["best_effort_relaxed"] is True
    assert summary["tolerance_reached"] == pytest.approx(1 / 3, rel=1e-4)
    assert summary["worst_deviation_pct"] <= 100 * summary["tolerance_reached"] + 1e-6
    quotas = pd.read_csv(out / "rep_summary.csv")["quota"]
    assert quotas.sum() == pytest.approx(20.0 * 1.1)
