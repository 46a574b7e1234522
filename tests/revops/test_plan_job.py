"""The plan job writes its folder atomically and records a parent MLflow run."""
import json
from pathlib import Path

import mlflow
import pytest

from revops.config import load_config
from revops.plan import run_plan

pytestmark = pytest.mark.mlflow


def test_plan_writes_summary_report_and_parent_run(sample_data_dir: Path, tmp_path: Path):
    out = tmp_path / "plan"
    config = load_config(overrides={"steps": []})
    summary = run_plan(sample_data_dir, out, config)
    assert sorted(p.name for p in out.iterdir()) == [".revops-output", "plan.toml", "report.html", "summary.json"]
    on_disk = json.loads((out / "summary.json").read_text())
    assert on_disk == json.loads(json.dumps(summary))
    assert on_disk["plan_period"] == "2027Q1" and on_disk["as_of"] == "2026-12-31"
    assert len(on_disk["inputs"]["leads"]["sha256"]) == 64
    run = mlflow.get_run(summary["mlflow_run_id"])
    assert run.data.tags["revops.kind"] == "plan"
    assert run.data.params["input.leads.sha256"] == on_disk["inputs"]["leads"]["sha256"]
    html = (out / "report.html").read_text()
    assert "Quarterly revenue plan 2027Q1" in html and "Inputs" in html


def test_failed_plan_keeps_the_previous_output(sample_data_dir: Path, tmp_path: Path):
    from revops.outputs import MARKER

    out = tmp_path / "plan"
    out.mkdir()
    (out / MARKER).write_text("")  # an earlier revops output
    (out / "keep.txt").write_text("previous plan")
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "targets.csv").write_text("segment,period,target\nSMB,someday,10\n")
    import pytest

    from revops.errors import RevopsError

    with pytest.raises(RevopsError, match="period"):
        run_plan(bad, out, load_config())
    assert (out / "keep.txt").read_text() == "previous plan"


def test_a_failing_step_names_itself_and_writes_nothing(sample_data_dir: Path, tmp_path: Path):
    import shutil

    import pandas as pd
    import pytest

    from revops.plan import StepFailed

    data = tmp_path / "data"
    shutil.copytree(sample_data_dir, data, ignore=shutil.ignore_patterns("truth", "leads.csv"))
    reps = pd.read_csv(data / "reps.csv", keep_default_na=False)
    reps.loc[reps["segment"] == "SMB", "capacity"] = 0.0  # SMB accounts but no SMB capacity
    reps.to_csv(data / "reps.csv", index=False)
    out = tmp_path / "plan"
    config = load_config(overrides={"steps": ["territory"], "territory": {"best_effort": False}})
    with pytest.raises(StepFailed, match=r"plan step 'territory' stopped the plan") as info:
        run_plan(data, out, config)
    assert "SMB" in str(info.value)
    assert not out.exists()
