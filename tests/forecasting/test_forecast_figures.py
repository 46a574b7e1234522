"""Fan charts come back as Figures (the hub saves them), and the metrics feed the notebooks' table."""
import pandas as pd
from matplotlib.figure import Figure

from forecasting import fan_charts, forecast_bookings
from forecasting.scenarios import backtest_accuracy

from forecast_data import make_history


def test_one_fan_chart_per_segment_and_the_total_none_written(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    hist = make_history(n_segments=3, n_months=30, seed=2).replace({"segment": {"S2": "Mid Market"}})
    result = forecast_bookings(hist, horizon=3, levels=(80,), hierarchy={"S0": "NA", "S1": "NA",
                                                                          "Mid Market": "EMEA"})
    figures = fan_charts(result)
    # regions stay in the table; names are file stems (lower case, no spaces)
    assert list(figures) == ["fan_mid_market", "fan_s0", "fan_s1", "fan_total"]
    assert all(isinstance(f, Figure) for f in figures.values())
    assert figures["fan_total"].axes[0].get_title() == "Total: bookings forecast"
    history_line = figures["fan_s0"].axes[0].get_lines()[0]
    assert len(history_line.get_xdata()) == 30   # the segment's own history, then its p50
    assert list(tmp_path.iterdir()) == []


def test_one_segment_is_its_own_total():
    hist = make_history(n_segments=1, n_months=30, seed=2)
    figures = fan_charts(forecast_bookings(hist, horizon=3))
    assert list(figures) == ["fan_s0", "fan_total"]


def test_backtest_accuracy_reads_the_typed_metrics():
    result = forecast_bookings(make_history(n_segments=2, n_months=36, seed=3), horizon=3)
    table = backtest_accuracy(result.metrics)
    assert list(table["segment"]) == ["S0", "S1", "overall"]
    assert table.set_index("segment").at["S1", "mase"] == result.metrics.segments["S1"].mase
    pd.testing.assert_frame_equal(table, backtest_accuracy(result.metrics.to_dict()))
