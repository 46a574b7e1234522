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

_LAZY = {
    "ForecastConfig": "forecasting.config",
    "forecast_bookings": "forecasting.api",
    "ForecastResult": "forecasting.api",
    "ForecastMetrics": "forecasting.results",
    "SegmentAccuracy": "forecasting.results",
    "OverallAccuracy": "forecasting.results",
    "FailedCandidate": "forecasting.results",
    "forecast_pipeline": "forecasting.pipeline",
    "PipelineResult": "forecasting.pipeline",
    "validate_history": "forecasting.history",
    "history_from_opportunities": "forecasting.history",
    "ForecastInputError": "forecasting.errors",
    "fan_chart": "forecasting.plots",
    "fan_charts": "forecasting.plots",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'forecasting' has no attribute {name!r}")
