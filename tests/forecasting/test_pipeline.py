import numpy as np
import pandas as pd
import pytest

from forecasting import ForecastConfig, ForecastInputError, forecast_pipeline


@pytest.fixture(scope="module")
def sample(sample_data_dir):
    opps = pd.read_csv(sample_data_dir / "opportunities.csv")
    targets = pd.read_csv(sample_data_dir / "targets.csv")
    truth = pd.read_csv(sample_data_dir / "truth" / "opportunities_truth.csv")
    return opps, targets, truth


@pytest.fixture(scope="module")
def result(sample):
    opps, targets, _ = sample
    return forecast_pipeline(opps, targets=targets, n_simulations=4000, random_state=3)


def test_table_contract(result):
    t = result.table
    assert list(t["segment"]) == ["Enterprise", "Mid-Market", "SMB", "Total"]
    assert (t["period"] == "2027Q1").all()
    for col in ("closed_to_date", "weighted_pipeline", "expected_new", "expected_total", "p10",
                "p50", "p90", "target", "gap_to_target", "probability_of_target"):
        assert col in t.columns
    assert (t["p10"] <= t["p50"]).all() and (t["p50"] <= t["p90"]).all()
    assert t["probability_of_target"].between(0, 1).all()
    body = t[t["segment"] != "Total"]
    total = t[t["segment"] == "Total"].iloc[0]
    assert np.isclose(body["expected_total"].sum(), total["expected_total"])
    assert np.allclose(t["gap_to_target"], t["target"] - t["expected_total"])
    assert result.notes and "stage not used" in result.notes[0]


def test_win_probabilities_match_what_happened(sample, result):
    """Expected count of deals won in the quarter vs the truth file's outcome."""
    _, _, truth = sample
    deals = result.open_deals.merge(truth, on="opportunity_id")
    won_in_q = (deals["will_win"] == 1) & (deals["true_close_date"] <= "2027-03-31")
    assert len(deals) == len(result.open_deals) > 100
    expected, actual = deals["probability"].sum(), won_in_q.sum()
    # the sample's win rate rises over time; the time-decayed model still lags it a little
    assert abs(expected - actual) <= 0.15 * actual
    # and they rank better than chance (the sample's deals carry little signal: AUC ~0.6)
    from sklearn.metrics import roc_auc_score

    assert roc_auc_score(won_in_q, deals["probability"]) > 0.55


def test_seeded_and_reproducible(sample):
    opps, targets, _ = sample
    a = forecast_pipeline(opps, targets=targets, n_simulations=2000, random_state=5).table
    b = forecast_pipeline(opps, targets=targets, n_simulations=2000, random_state=5).table
    pd.testing.assert_frame_equal(a, b)


def test_backdated_as_of_has_closed_to_date(sample):
    opps, _, _ = sample
    res = forecast_pipeline(opps, as_of="2026-11-15", n_simulations=1000)
    assert str(res.period) == "2026Q4"
    won = opps[(opps["is_won"] == 1) & (opps["closed_at"] >= "2026-10-01")
               & (opps["closed_at"] <= "2026-11-15")]
    seg = res.table.set_index("segment")
    assert np.isclose(seg.loc["Total", "closed_to_date"], won["amount"].sum())


def test_settings_come_from_the_forecast_config(sample, result):
    opps, _, _ = sample
    # the default levels (80, 95) add the 95% interval; 0 calibration quarters: the raw spread
    config = ForecastConfig(n_simulations=1000, calibration_quarters=0)
    res = forecast_pipeline(opps, config, random_state=3)
    assert {"lo_95", "hi_95"} <= set(res.table.columns) and res.spread == 1.0
    assert (res.table["lo_95"] <= res.table["p10"]).all() and (res.table["hi_95"] >= res.table["p90"]).all()
    only_80 = forecast_pipeline(opps, config, random_state=3, levels=(80,))   # a keyword override
    assert "lo_95" not in only_80.table.columns
    pd.testing.assert_frame_equal(only_80.table, res.table.drop(columns=["lo_95", "hi_95"]))
    assert result.spread > 1.0  # the default calibrates on four past quarters
    with pytest.raises(TypeError, match=r"forecast_pipeline: unknown setting\(s\) \['draws'\]"):
        forecast_pipeline(opps, draws=10)


def test_targets_for_another_quarter_are_refused(sample):
    opps, targets, _ = sample
    wrong = targets.assign(period="2030Q1")
    with pytest.raises(ForecastInputError, match=r"targets: no row for period 2027Q1"):
        forecast_pipeline(opps, targets=wrong, n_simulations=100)


def test_interval_is_calibrated_on_past_quarters(sample, result):
    from forecasting.pipeline import calibrated_spread, canonical_opportunities, simulate_quarter

    opps = canonical_opportunities(sample[0])
    spread, points = calibrated_spread(opps, result.as_of, 4, random_state=3)
    assert points == 16 and spread >= 1.0                     # 4 quarters x (3 segments + total)
    assert result.spread > 1.0                                # the sample's swings need it
    assert any("widened" in note for note in result.notes)
    # the widening: medians kept, distance to the median scaled, never below what is closed
    deals = pd.DataFrame({"segment": ["A"] * 3, "amount": [100.0, 50.0, 10.0],
                          "probability": [0.5, 0.3, 0.9]})
    new = pd.DataFrame({"segment": ["A"], "new_mean": [40.0], "new_sd": [20.0]})
    own = simulate_quarter(deals, {"A": 25.0}, new, n_simulations=4000, random_state=1)
    wide = simulate_quarter(deals, {"A": 25.0}, new, n_simulations=4000, random_state=1, spread=2.0)
    middle = np.median(own["A"])
    assert np.median(wide["A"]) == pytest.approx(middle)
    assert wide["A"].min() >= 25.0
    free = middle + 2 * (own["A"] - middle) >= 25.0           # rows not held up by the floor
    assert 0 < free.mean() < 1
    np.testing.assert_allclose(wide["A"][free] - middle, 2 * (own["A"][free] - middle))
    assert (wide["A"][~free] == 25.0).all()


def test_win_model_needs_both_outcomes():
    from forecasting.pipeline import WinProbabilityModel

    X = pd.DataFrame({"segment": ["A", "B"] * 20, "stage": ["Open"] * 40, "log_amount": 1.0,
                      "log_age": 2.0, "days_left": 30.0, "age_ratio": 0.5})
    with pytest.raises(ForecastInputError, match="no won deals"):
        WinProbabilityModel().fit(X, np.zeros(40, dtype=int), {"Open"}, {"Closed Lost"})


def test_won_per_quarter_keeps_whole_quarters_and_zeros():
    from forecasting.pipeline import won_per_quarter

    opps = pd.DataFrame({
        "created": pd.to_datetime(["2025-02-10", "2025-04-01", "2025-05-01", "2025-11-01"]),
        "closed": pd.to_datetime(["2025-03-01", "2025-05-15", "2025-06-20", "2025-12-01"]),
        "won": [1, 1, 0, 1], "amount": [7.0, 10.0, 99.0, 5.0], "segment": "A"})
    won = won_per_quarter(opps, pd.Period("2026Q1", "Q"))
    # 2025Q1 began before the first deal was created: only part of it is in the export
    assert list(won.index.astype(str)) == ["2025Q2", "2025Q3", "2025Q4"]
    assert list(won) == [10.0, 0.0, 5.0]                      # lost deals count nothing


def test_seasonal_ratio_carries_season_and_growth():
    from forecasting.pipeline import seasonal_ratio

    quarters = pd.period_range("2023Q1", "2025Q4", freq="Q")
    season = {1: 0.8, 2: 1.0, 3: 0.9, 4: 1.3}
    won = pd.Series([100 * 1.02 ** i * season[q.quarter] for i, q in enumerate(quarters)],
                    index=quarters)
    ratio, years = seasonal_ratio(won, pd.Period("2026Q4", "Q"))
    assert years == 2                                         # 2025Q4 and 2024Q4 have 4 before
    mean_before = np.mean([1.02 ** -k * season[q] for k, q in zip(range(1, 5), (3, 2, 1, 4))])
    assert ratio == pytest.approx(1.3 / mean_before)
    assert ratio > 1.3                                        # a peak quarter, and growth on top
    ratio_q1, _ = seasonal_ratio(won, pd.Period("2026Q1", "Q"))
    assert ratio_q1 < 1.0                                     # a trough
    assert seasonal_ratio(won.iloc[:4], pd.Period("2024Q1", "Q")) == (1.0, 0)


def test_win_model_learns_the_quarter_of_the_year():
    from forecasting.pipeline import WinProbabilityModel

    rng = np.random.default_rng(0)
    n = 4000
    quarter = rng.choice(["Q1", "Q2", "Q3", "Q4"], n)
    X = pd.DataFrame({"segment": "A", "stage": "Open", "quarter": quarter,
                      "log_amount": rng.normal(8, 1, n), "log_age": rng.normal(3, 0.5, n),
                      "days_left": 60.0, "age_ratio": rng.uniform(0, 2, n)})
    y = (rng.random(n) < np.where(quarter == "Q4", 0.6, 0.2)).astype(int)
    model = WinProbabilityModel().fit(X, y, {"Open"}, {"Closed Lost"})
    assert model.use_quarter_                                 # all four quarters were seen
    p = model.predict_proba(X)
    assert p[quarter == "Q4"].mean() == pytest.approx(0.6, abs=0.05)
    assert p[quarter != "Q4"].mean() == pytest.approx(0.2, abs=0.05)
    blind = WinProbabilityModel(use_quarter=False).fit(X, y, {"Open"}, {"Closed Lost"})
    seen = blind.predict_proba(X)
    assert abs(seen[quarter == "Q4"].mean() - seen[quarter != "Q4"].mean()) < 0.05  # no Q4 lift
    only_two = WinProbabilityModel().fit(X[np.isin(quarter, ["Q1", "Q2"])],
                                         y[np.isin(quarter, ["Q1", "Q2"])], {"Open"}, {"Closed Lost"})
    assert not only_two.use_quarter_                          # a quarter never seen would be a guess


def test_new_business_is_scaled_by_the_seasonal_ratio(sample, result):
    from forecasting.pipeline import (canonical_opportunities, known_at, new_business_history,
                                      seasonal_ratio, won_per_quarter)

    opps = canonical_opportunities(sample[0])
    known = known_at(opps, result.as_of)
    ratio, years = seasonal_ratio(won_per_quarter(known, result.period), result.period)
    assert years == 2                                         # 2026Q1 and 2025Q1 (2024Q1-2025Q4 before)
    hist = new_business_history(known, result.as_of, result.period)
    plain = hist.groupby("segment")["new_bookings"].apply(lambda v: v.to_numpy()[-4:].mean())
    np.testing.assert_allclose(result.new_business.set_index("segment")["new_mean"],
                               plain * ratio)
    assert any(f"x{ratio:.2f}" in note for note in result.notes)
    assert result.model.use_quarter_
