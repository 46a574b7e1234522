"""The Dask backend gives the same numbers as the local run."""
import numpy as np
import pytest

from forecasting import forecast_bookings

from forecast_data import make_history

distributed = pytest.importorskip("distributed")


def test_dask_local_cluster_equals_local_run():
    hist = make_history(n_segments=3, n_months=36, seed=9)
    local = forecast_bookings(hist, horizon=6, n_jobs=1)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  host="127.0.0.1", protocol="tcp://",
                                  dashboard_address=None) as cluster:
        remote = forecast_bookings(hist, horizon=6, n_jobs=2, backend="dask",
                                   scheduler=cluster.scheduler_address)
    assert np.array_equal(local.forecast[["p10", "p50", "p90"]].to_numpy(),
                          remote.forecast[["p10", "p50", "p90"]].to_numpy())
    assert list(local.forecast["method"]) == list(remote.forecast["method"])
    # the same metrics.json: where the work ran is not part of it
    assert local.metrics.to_dict() == remote.metrics.to_dict()
    assert remote.metrics.config.backend == "dask"
