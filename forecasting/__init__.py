"""Bookings forecast per segment: backtested model choice, calibrated intervals, coherent
totals, and the coming quarter's pipeline forecast.

Public API (imported lazily so ``import forecasting`` stays light)::

    from forecasting import ForecastConfig, forecast_bookings, forecast_pipeline

    config = ForecastConfig(horizon=12, levels=(80, 95))
    result = forecast_bookings(history, config)          # or forecast_bookings(history, horizon=12)
    result.metrics.overall.mase, result.metrics.to_dict(), result.metrics.metrics()
    figures = fan_charts(result)                          # {"fan_<segment>": Figure, ...}
    pipeline = forecast_pipeline(opportunities, config, as_of="2026-12-31", targets=targets)
"""
from __future__ import annotations

import lazy_loader

# Names load on first use: the plan file and `revops forecast --help` read ForecastConfig alone
# and must not pay for statsforecast, statsmodels or matplotlib.
__getattr__, __dir__, __all__ = lazy_loader.attach(__name__, submod_attrs={
    "config": ["ForecastConfig"],
    "api": ["ForecastResult", "forecast_bookings"],
    "results": ["FailedCandidate", "ForecastMetrics", "OverallAccuracy", "SegmentAccuracy"],
    "pipeline": ["PipelineResult", "forecast_pipeline"],
    "history": ["history_from_opportunities", "validate_history"],
    "errors": ["ForecastInputError"],
    "plots": ["fan_chart", "fan_charts"],
})
