"""Bookings forecast per segment: backtested model choice, calibrated intervals, coherent
totals, and the coming quarter's pipeline forecast.

Public API (imported lazily so ``import forecasting`` stays light)::

    from forecasting import forecast_bookings, forecast_pipeline, ForecastResult
"""
from __future__ import annotations

_LAZY = {
    "forecast_bookings": "forecasting.api",
    "ForecastResult": "forecasting.api",
    "forecast_pipeline": "forecasting.pipeline",
    "PipelineResult": "forecasting.pipeline",
    "validate_history": "forecasting.history",
    "history_from_opportunities": "forecasting.history",
    "ForecastInputError": "forecasting.errors",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'forecasting' has no attribute {name!r}")
