"""``revops score predict --backend dask``: chunks scored on the workers of a real cluster (two
worker processes), results in input order, the bytes of the local run; a missing extra or an
unreachable scheduler is exit 2 with the fix."""
import os
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest

from revops.cli import main
from scoring import LeadScorer, ScoringConfig
from scoring.synthetic import make_leads

distributed = pytest.importorskip("distributed", reason="the dask extra is not installed")

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None) as local:
        yield local


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("scoring")
    train, _ = make_leads(600, seed=4)
    scorer = LeadScorer.from_config(ScoringConfig(candidates=("logistic_regression",), threads=1),
                                    random_state=0).fit(train)
    joblib.dump(scorer, folder / "scorer.joblib")
    leads, _ = make_leads(1_200, seed=12)
    # shuffled ids: input order is not id order
    leads["lead_id"] = np.random.default_rng(3).permutation(len(leads)) + 10_000
    leads.drop(columns=["is_sql"]).to_csv(folder / "leads.csv", index=False)
    return folder


def predict(files, out, *extra):
    return main(["score", "predict", "--leads", str(files / "leads.csv"), "--out", str(out),
                 "--model", str(files / "scorer.joblib"), "--quiet", *extra])


def executed(address):
    with distributed.Client(address, timeout=5) as client:
        return client.run(lambda dask_worker: dask_worker.state.executed_count)


def test_chunks_scored_on_two_worker_processes_give_the_local_bytes(cluster, files, tmp_path):
    assert predict(files, tmp_path / "local.csv", "--chunk-rows", "0") == 0
    before = executed(cluster.scheduler_address)
    assert predict(files, tmp_path / "cluster.csv", "--chunk-rows", "100", "--backend", "dask",
                   "--scheduler", cluster.scheduler_address) == 0
    after = executed(cluster.scheduler_address)
    assert all(after[w] > before.get(w, 0) for w in after) and len(after) == 2, (before, after)  # both worked
    assert (tmp_path / "cluster.csv").read_bytes() == (tmp_path / "local.csv").read_bytes()
    ids = pd.read_csv(tmp_path / "cluster.csv")["lead_id"]
    assert ids.tolist() == pd.read_csv(files / "leads.csv")["lead_id"].tolist()


def test_unreachable_scheduler_is_exit_2_quickly(files, tmp_path, capsys, monkeypatch):
    from scoring import batch

    assert batch.CONNECT_TIMEOUT <= 5
    monkeypatch.setattr(batch, "CONNECT_TIMEOUT", 1.0)
    started = time.monotonic()
    assert predict(files, tmp_path / "s.csv", "--backend", "dask", "--scheduler",
                   "tcp://127.0.0.1:9") == 2
    assert time.monotonic() - started < 10
    err = capsys.readouterr().err
    assert "error: scheduler 'tcp://127.0.0.1:9': no Dask scheduler answered within 1 s" in err
    assert "backend='local'" in err and "Traceback" not in err
    assert not (tmp_path / "s.csv").exists() and not list(tmp_path.glob(".*partial"))


def test_scheduler_without_backend_dask_is_refused(files, tmp_path, capsys):
    assert predict(files, tmp_path / "s.csv", "--scheduler", "tcp://127.0.0.1:9") == 2
    assert "--scheduler is only used with --backend dask" in capsys.readouterr().err


def test_missing_distributed_is_exit_2_naming_the_extra(files, tmp_path):
    script = textwrap.dedent(f"""
        import sys
        sys.modules["distributed"] = None  # as without the dask extra
        from revops.cli import main
        sys.exit(main(["score", "predict", "--leads", {str(files / "leads.csv")!r},
                       "--out", {str(tmp_path / "s.csv")!r}, "--quiet",
                       "--model", {str(files / "scorer.joblib")!r},
                       "--backend", "dask", "--scheduler", "tcp://127.0.0.1:9"]))
        """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 2, done.stderr
    assert "needs the 'distributed' package, which is not installed" in done.stderr
    assert 'pip install "revops[dask]"' in done.stderr and "Traceback" not in done.stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_dask_scheduler_and_workers_as_separate_processes(files, tmp_path):
    """The cluster a team runs: `dask scheduler` and two `dask worker` processes on 127.0.0.1;
    the forecast and batch scoring give the local numbers on it."""
    address = f"tcp://127.0.0.1:{_free_port()}"
    dask = str(Path(sys.executable).with_name("dask"))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    common = dict(cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    procs = [subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port",
                               address.rsplit(":", 1)[1], "--no-dashboard"], **common)]
    try:
        procs += [subprocess.Popen([dask, "worker", address, "--nthreads", "1", "--no-dashboard",
                                    "--name", f"w{i}"], **common) for i in range(2)]
        client = distributed.Client(address, timeout=30)
        client.wait_for_workers(2, timeout=60)
        client.close()
        assert predict(files, tmp_path / "local.csv", "--chunk-rows", "0") == 0
        # 100-row chunks, as on the LocalCluster: enough tasks that both workers get some
        assert predict(files, tmp_path / "cluster.csv", "--chunk-rows", "100", "--backend", "dask",
                       "--scheduler", address) == 0
        assert (tmp_path / "cluster.csv").read_bytes() == (tmp_path / "local.csv").read_bytes()
        counts = executed(address)
        assert len(counts) == 2 and all(n > 0 for n in counts.values()), counts  # both scored

        # `revops forecast`, as a team runs it, locally and on the cluster: the same numbers
        sys.path.insert(0, str(ROOT / "tests" / "forecasting"))
        try:
            from forecast_data import make_history
        finally:
            sys.path.remove(str(ROOT / "tests" / "forecasting"))
        make_history(n_segments=2, n_months=30, seed=9).to_csv(tmp_path / "history.csv",
                                                               index=False)
        common_args = ["forecast", "--history", str(tmp_path / "history.csv"), "--horizon", "4",
                       "--no-mlflow", "--quiet"]
        assert main([*common_args, "--out", str(tmp_path / "fc_local"), "--n-jobs", "1"]) == 0
        before = executed(address)
        assert main([*common_args, "--out", str(tmp_path / "fc_cluster"), "--n-jobs", "2",
                     "--backend", "dask", "--scheduler", address]) == 0
        after = executed(address)
        assert all(after[w] > before[w] for w in after), (before, after)  # both workers forecast
        local = pd.read_csv(tmp_path / "fc_local" / "forecast.csv")
        remote = pd.read_csv(tmp_path / "fc_cluster" / "forecast.csv")
        numbers = ["p10", "p50", "p90", "lo_95", "hi_95"]
        # worker processes may differ from this one in the last bit (BLAS, summation order)
        np.testing.assert_allclose(remote[numbers].to_numpy(), local[numbers].to_numpy(),
                                   rtol=1e-9)
        assert remote.drop(columns=numbers).equals(local.drop(columns=numbers))
    finally:
        for proc in reversed(procs):
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
