"""The plan and the commands, tried as a careless user would: the registry only moves after a
whole plan succeeded, a command and the plan agree, --json is one JSON document, and no CSV
output can run as a spreadsheet formula."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from revops.cli import main

pytestmark = [pytest.mark.mlflow, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]


def _versions(name: str = "lead-scoring") -> list[str]:
    from mlflow.tracking import MlflowClient

    return sorted(v.version for v in MlflowClient().search_model_versions(f"name = '{name}'"))


def _champion() -> str | None:
    from mlflow.exceptions import MlflowException
    from mlflow.tracking import MlflowClient

    try:
        return MlflowClient().get_model_version_by_alias("lead-scoring", "champion").version
    except MlflowException:
        return None


def test_a_plan_failing_in_its_forecast_step_leaves_the_registry_as_it_was(sample_data_dir, tmp_path):
    assert main(["plan", "--data", str(sample_data_dir), "--out", str(tmp_path / "first"),
                 "--steps", "scoring", "--quiet"]) == 0
    before = (_versions(), _champion())
    assert before[1] is not None
    data = tmp_path / "data"
    shutil.copytree(sample_data_dir, data, ignore=shutil.ignore_patterns("truth"))
    # A booking history with a month missing: the forecast step refuses it (fill_missing unset).
    pd.DataFrame({"segment": ["SMB"] * 3, "period": ["2026-01", "2026-02", "2026-04"],
                  "bookings": [10.0, 12.0, 11.0]}).to_csv(data / "bookings.csv", index=False)
    out = tmp_path / "second"
    assert main(["plan", "--data", str(data), "--out", str(out), "--steps", "scoring,forecast",
                 "--quiet"]) == 2
    assert not out.exists()
    assert (_versions(), _champion()) == before


def test_territory_solve_and_the_plan_assign_every_account_alike(sample_data_dir, tmp_path):
    solo = tmp_path / "solo"
    assert main(["territory", "solve", "--accounts", str(sample_data_dir / "accounts.csv"),
                 "--reps", str(sample_data_dir / "reps.csv"), "--targets", str(sample_data_dir / "targets.csv"),
                 "--out", str(solo), "--quiet", "--no-mlflow"]) == 0
    plan = tmp_path / "plan"
    assert main(["plan", "--data", str(sample_data_dir), "--out", str(plan), "--steps", "territory",
                 "--quiet"]) == 0
    a = pd.read_csv(solo / "assignments.csv").set_index("account_id")["rep_id"]
    b = pd.read_csv(plan / "territory" / "assignments.csv").set_index("account_id")["rep_id"]
    assert len(a) == 600
    pd.testing.assert_series_equal(a.sort_index(), b.sort_index())
    s_solo = json.loads((solo / "summary.json").read_text())
    s_plan = json.loads((plan / "territory" / "summary.json").read_text())
    assert s_solo["unassigned_owner_count"] == s_plan["unassigned_owner_count"]


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "revops", *args], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=600)


def test_json_output_is_one_parseable_document(sample_data_dir, tmp_path):
    solve = _run("territory", "solve", "--accounts", str(sample_data_dir / "accounts.csv"),
                 "--reps", str(sample_data_dir / "reps.csv"), "--out", str(tmp_path / "t"), "--json",
                 cwd=tmp_path)
    assert solve.returncode == 0, solve.stderr
    assert json.loads(solve.stdout)["summary"]["accounts"] == 600
    plan = _run("plan", "--data", str(sample_data_dir), "--out", str(tmp_path / "p"),
                "--steps", "territory", "--json", cwd=tmp_path)
    assert plan.returncode == 0, plan.stderr
    assert json.loads(plan.stdout)["steps"]["territory"]["status"] == "ok"


def test_a_formula_in_a_segment_name_is_neutralised_in_every_csv(sample_data_dir, tmp_path):
    evil = '=HYPERLINK("x")'
    data = tmp_path / "data"
    shutil.copytree(sample_data_dir, data, ignore=shutil.ignore_patterns("truth"))
    for path in data.glob("*.csv"):
        frame = pd.read_csv(path, keep_default_na=False, dtype=str)
        if "segment" in frame.columns:
            frame["segment"] = frame["segment"].replace({"SMB": evil})
            frame.to_csv(path, index=False)
    out = tmp_path / "plan"
    assert main(["plan", "--data", str(data), "--out", str(out), "--quiet",
                 "--config", str(ROOT / "examples" / "sample" / "plan.toml")]) == 0
    csvs = sorted(out.rglob("*.csv"))
    assert len(csvs) >= 10
    seen = 0
    for path in csvs:
        frame = pd.read_csv(path, keep_default_na=False, dtype=str)
        cells = frame.to_numpy().ravel().tolist() + list(frame.columns)
        assert not [c for c in cells if c.startswith(("=", "+", "@", "\t", "\r"))], path
        seen += sum(c == "'" + evil for c in cells)
    assert seen > 0
    metrics = json.loads((out / "forecast" / "metrics.json").read_text())
    assert evil in metrics["segments"]  # JSON keeps the original value
