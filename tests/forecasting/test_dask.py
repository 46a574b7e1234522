"""The forecast on a real Dask cluster (two worker processes) gives the local numbers; a missing
extra or an unreachable scheduler is exit 2 with the fix, quickly."""
import math
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

from forecasting import forecast_bookings
from revops.cli import main

from forecast_data import make_history

distributed = pytest.importorskip("distributed", reason="the dask extra is not installed")

RTOL = 1e-9  # worker processes may differ from this one in the last bit (BLAS, summation order)


@pytest.fixture(scope="module")
def cluster():
    # separate worker processes, as on a real cluster: everything crosses a pickle and a socket
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None) as local:
        yield local


def assert_close(a, b, path="metrics"):
    """Equal structure and text; numbers equal within RTOL (NaN equals NaN)."""
    if isinstance(a, dict):
        assert isinstance(b, dict) and sorted(a) == sorted(b), path
        for key in a:
            assert_close(a[key], b[key], f"{path}.{key}")
    elif isinstance(a, (list, tuple)):
        assert isinstance(b, (list, tuple)) and len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b)):
            assert_close(x, y, f"{path}[{i}]")
    elif isinstance(a, float) or isinstance(b, float):
        assert (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=RTOL, abs_tol=1e-12), \
            f"{path}: {a!r} != {b!r}"
    else:
        assert a == b, f"{path}: {a!r} != {b!r}"


def test_two_worker_processes_give_the_local_numbers(cluster):
    hist = make_history(n_segments=2, n_months=30, seed=9)
    local = forecast_bookings(hist, horizon=6, n_jobs=1)
    remote = forecast_bookings(hist, horizon=6, n_jobs=2, backend="dask",
                               scheduler=cluster.scheduler_address)
    # the work really ran on the workers: both report tasks
    with distributed.Client(cluster.scheduler_address, timeout=5) as client:
        processed = client.run(lambda dask_worker: len(dask_worker.data) + dask_worker.state.executed_count)
    assert len(processed) == 2 and all(n > 0 for n in processed.values())
    np.testing.assert_allclose(remote.forecast[["p10", "p50", "p90"]].to_numpy(),
                               local.forecast[["p10", "p50", "p90"]].to_numpy(), rtol=RTOL)
    assert list(local.forecast["method"]) == list(remote.forecast["method"])
    # the same metrics.json: where the work ran is not part of it
    assert_close(remote.metrics.to_dict(), local.metrics.to_dict())
    assert remote.metrics.config.backend == "dask"


@pytest.fixture
def history_file(tmp_path):
    path = tmp_path / "bookings.csv"
    make_history(n_segments=2, n_months=30, seed=5).to_csv(path, index=False)
    return path


def test_unreachable_scheduler_is_exit_2_naming_the_fix_quickly(tmp_path, history_file, capsys,
                                                                monkeypatch):
    from forecasting import cluster as forecast_cluster

    assert forecast_cluster.CONNECT_TIMEOUT <= 5  # not distributed's 30 s default
    monkeypatch.setattr(forecast_cluster, "CONNECT_TIMEOUT", 1.0)
    started = time.monotonic()
    code = main(["forecast", "--history", str(history_file), "--horizon", "3", "--out",
                 str(tmp_path / "fc"), "--backend", "dask", "--scheduler", "tcp://127.0.0.1:9",
                 "--no-mlflow", "--quiet"])
    seconds = time.monotonic() - started
    err = capsys.readouterr().err
    assert code == 2
    assert "scheduler 'tcp://127.0.0.1:9': no Dask scheduler answered within 1 s" in err
    assert "dask scheduler" in err and "backend='loky'" in err and "Traceback" not in err
    assert seconds < 10
    assert not (tmp_path / "fc").exists()


def test_missing_distributed_is_exit_2_naming_the_extra(tmp_path, history_file):
    # a fresh interpreter where `import distributed` fails, as without the extra
    script = textwrap.dedent(f"""
        import sys
        sys.modules["distributed"] = None
        from revops.cli import main
        sys.exit(main(["forecast", "--history", {str(history_file)!r}, "--horizon", "3",
                       "--out", {str(tmp_path / "fc")!r}, "--backend", "dask",
                       "--scheduler", "tcp://127.0.0.1:9", "--no-mlflow", "--quiet"]))
        """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 2, done.stderr
    assert "backend 'dask' needs the 'distributed' package, which is not installed" in done.stderr
    assert 'pip install "revops[dask]"' in done.stderr and "Traceback" not in done.stderr
