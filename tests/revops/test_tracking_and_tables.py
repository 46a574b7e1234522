"""Runs of a killed plan are marked FAILED; [data.tables] cannot reach outside the data folder."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from revops.errors import RevopsError
from revops.inputs import load_inputs


@pytest.mark.mlflow
def test_runs_left_running_by_a_dead_process_are_marked_failed():
    import mlflow
    from mlflow.tracking import MlflowClient

    from revops.mlflow_setup import configure, ensure_experiment
    from revops.tracking import fail_dead_runs

    configure()
    experiment_id = ensure_experiment("revops-plan")
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    client = MlflowClient()
    killed = client.create_run(experiment_id, tags={"revops.pid": dead, "revops.host": socket.gethostname()})
    alive = client.create_run(experiment_id, tags={"revops.pid": str(os.getpid()),
                                                   "revops.host": socket.gethostname()})
    elsewhere = client.create_run(experiment_id, tags={"revops.pid": dead, "revops.host": "another-host"})
    assert fail_dead_runs(experiment_id) == 1
    status = {r: client.get_run(r.info.run_id).info.status for r in (killed, alive, elsewhere)}
    assert status[killed] == "FAILED"
    assert status[alive] == "RUNNING" and status[elsewhere] == "RUNNING"
    assert mlflow.active_run() is None


def _data(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    data.mkdir()
    (tmp_path / "secret.csv").write_text("segment,period,target\nSMB,2027Q1,1\n", encoding="utf-8")
    return data


@pytest.mark.parametrize("name", ["../secret.csv", "ABSOLUTE", "link.csv"])
def test_data_tables_stay_inside_the_data_folder(tmp_path, name):
    data = _data(tmp_path)
    if name == "ABSOLUTE":
        name = str(tmp_path / "secret.csv")
    if name == "link.csv":
        (data / "link.csv").symlink_to(tmp_path / "secret.csv")
    with pytest.raises(RevopsError, match=r"outside the data folder .* allow_outside = true") as info:
        load_inputs(data, file_names={"targets": name})
    assert "SMB" not in str(info.value)  # nothing of the file is echoed
    bundle = load_inputs(data, file_names={"targets": name}, allow_outside=True)
    assert bundle.tables["targets"]["target"].tolist() == [1.0]
