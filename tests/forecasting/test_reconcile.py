import numpy as np

from forecasting.api import forecast_bookings
from forecasting.reconcile import bottom_up, mint_shrink, shrunk_covariance, summing_matrix

from forecast_data import make_history


def test_summing_matrix_and_bottom_up():
    S = summing_matrix(["a", "b", "c"], {"r1": ["a", "b"], "Total": ["a", "b", "c"]})
    assert S.shape == (5, 3)
    base = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0], [100.0, 100.0], [0.0, 0.0]])
    out = bottom_up(S, base)
    assert np.allclose(out[3], [4.0, 6.0]) and np.allclose(out[4], [9.0, 12.0])
    assert np.allclose(out[:3], base[:3])


def test_mint_shrink_is_coherent_and_trusts_the_precise_node():
    rng = np.random.default_rng(0)
    S = summing_matrix(["a", "b"], {"Total": ["a", "b"]})
    # node a forecasts precisely, the total badly: MinT moves the total, not a
    errors = rng.normal(0, [0.1, 1.0, 5.0], size=(200, 3))
    base = np.array([[10.0], [20.0], [40.0]])
    out = mint_shrink(S, base, errors)
    assert np.isclose(out[2, 0], out[0, 0] + out[1, 0])
    assert abs(out[0, 0] - 10.0) < 0.1
    assert abs(out[2, 0] - 30.0) < 2.0


def test_shrunk_covariance_stays_positive_definite_with_few_samples():
    errors = np.random.default_rng(1).normal(size=(5, 30))
    W = shrunk_covariance(errors)
    assert np.all(np.linalg.eigvalsh(W) > 0)


def test_forecast_totals_add_up_and_output_says_how():
    hist = make_history(n_segments=3, n_months=40, seed=4)
    regions = {"S0": "NA", "S1": "NA", "S2": "EMEA"}
    for method in ("bottom_up", "mint_shrink"):
        res = forecast_bookings(hist, horizon=6, hierarchy=regions, reconciliation=method)
        fc = res.forecast.pivot(index="period", columns="segment", values="p50")
        assert np.allclose(fc["S0"] + fc["S1"], fc["region NA"])
        assert np.allclose(fc["S2"], fc["region EMEA"])
        assert np.allclose(fc[["S0", "S1", "S2"]].sum(axis=1), fc["Total"])
        assert res.metrics.reconciliation_method == method == res.reconciliation
        assert res.metrics.hierarchy["region NA"] == ("S0", "S1")
        assert set(res.metrics.aggregates) == {"region EMEA", "region NA", "Total"}
        described = res.metrics.to_dict()["reconciliation"]
        assert described["method"] == method and described["hierarchy"]["region NA"] == ["S0", "S1"]
        assert described["description"] == res.metrics.reconciliation
        assert res.metrics.reconciliation.startswith(
            "regions and the total are the sums" if method == "bottom_up" else "all nodes reconciled by MinT")
        levels = res.forecast.drop_duplicates("segment").set_index("segment")["level"].to_dict()
        assert levels == {"S0": "segment", "S1": "segment", "S2": "segment",
                          "region EMEA": "region", "region NA": "region", "Total": "total"}
