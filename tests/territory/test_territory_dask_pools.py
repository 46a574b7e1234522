"""Territory pools solved in parallel on a Dask cluster (two worker processes) give the local
plan; the executor hook takes any map-like callable; a bad cluster is exit 2 with the fix."""
from __future__ import annotations

import time

import pandas as pd
import pytest

from revops.cli import main
from territory import TerritoryConfig, plan_territories
from territory.synthetic import make_instance

distributed = pytest.importorskip("distributed", reason="the dask extra is not installed")


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None) as local:
        yield local


@pytest.fixture(scope="module")
def instance():
    return make_instance(80, 8, 4, random_state=3)  # four independent pools


def _plan_frames(plan):
    return plan.assignments.sort_values("account_id").reset_index(drop=True), plan.rep_summary


def test_pools_on_two_worker_processes_give_the_local_plan(cluster, instance):
    accounts, reps = instance
    config = TerritoryConfig(time_limit=None)
    local = plan_territories(accounts, reps, config=config)
    lines: list[str] = []
    remote = plan_territories(accounts, reps, config=TerritoryConfig(
        time_limit=None, backend="dask", scheduler=cluster.scheduler_address),
        progress=lines.append)
    assert local.summary.pools == 4 and sum(line.startswith("pool ") for line in lines) >= 4
    pd.testing.assert_frame_equal(_plan_frames(remote)[0], _plan_frames(local)[0])
    pd.testing.assert_frame_equal(remote.rep_summary, local.rep_summary, rtol=1e-9)
    with distributed.Client(cluster.scheduler_address, timeout=5) as client:
        done = client.run(lambda dask_worker: dask_worker.state.executed_count)
    assert len(done) == 2 and sum(done.values()) >= 4


def test_any_map_like_executor_solves_the_pools(instance):
    accounts, reps = instance
    calls: list[int] = []

    def recording_map(func, *lists):
        calls.append(len(lists[0]))
        return map(func, *lists)

    config = TerritoryConfig(time_limit=None)
    local = plan_territories(accounts, reps, config=config)
    mapped = plan_territories(accounts, reps, config=config, executor=recording_map)
    assert calls and calls[0] == 4
    pd.testing.assert_frame_equal(_plan_frames(mapped)[0], _plan_frames(local)[0])


def test_backend_and_scheduler_go_together():
    with pytest.raises(ValueError, match="backend 'dask' needs a scheduler address"):
        TerritoryConfig(backend="dask")
    with pytest.raises(ValueError, match="only used with backend='dask'"):
        TerritoryConfig(scheduler="tcp://127.0.0.1:8786")


def test_unreachable_scheduler_is_exit_2_quickly(instance, tmp_path, capsys, monkeypatch):
    from territory import pools

    assert pools.CONNECT_TIMEOUT <= 5
    monkeypatch.setattr(pools, "CONNECT_TIMEOUT", 1.0)
    accounts, reps = instance
    accounts.to_csv(tmp_path / "accounts.csv", index=False)
    reps.to_csv(tmp_path / "reps.csv", index=False)
    started = time.monotonic()
    code = main(["territory", "solve", "--accounts", str(tmp_path / "accounts.csv"), "--reps",
                 str(tmp_path / "reps.csv"), "--out", str(tmp_path / "out"), "--backend", "dask",
                 "--scheduler", "tcp://127.0.0.1:9", "--no-mlflow", "--quiet"])
    assert code == 2 and time.monotonic() - started < 15
    err = capsys.readouterr().err
    assert "scheduler 'tcp://127.0.0.1:9': no Dask scheduler answered within 1 s" in err
    assert "backend='local'" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()
