"""Accuracy and calibration measures on numpy arrays (pure functions)."""
from __future__ import annotations

import numpy as np
from statistics import NormalDist


def seasonal_scale(y: np.ndarray, season_length: int) -> float:
    """MASE denominator: in-sample mean absolute seasonal-naive error (lag 1 if too short).

    Falls back to the mean absolute value, then 1, so a flat series never divides by zero.
    """
    y = np.asarray(y, dtype=float)
    lag = season_length if len(y) > season_length else 1
    if len(y) > lag:
        scale = float(np.mean(np.abs(y[lag:] - y[:-lag])))
        if scale > 0:
            return scale
    level = float(np.mean(np.abs(y))) if len(y) else 0.0
    return level if level > 0 else 1.0


def mase(actual: np.ndarray, forecast: np.ndarray, scale: float) -> float:
    return float(np.mean(np.abs(np.asarray(actual) - np.asarray(forecast))) / scale)


def smape(actual: np.ndarray, forecast: np.ndarray) -> float:
    """Symmetric MAPE in percent; a period where both are zero counts as a perfect forecast."""
    actual = np.asarray(actual, dtype=float)
    forecast = np.asarray(forecast, dtype=float)
    denom = np.abs(actual) + np.abs(forecast)
    ratio = np.divide(2 * np.abs(actual - forecast), denom, out=np.zeros_like(denom),
                      where=denom > 0)
    return float(100 * np.mean(ratio))


def bias(actual: np.ndarray, forecast: np.ndarray) -> float:
    """Mean (forecast - actual) relative to the mean absolute actual: +0.05 = 5% too high."""
    actual = np.asarray(actual, dtype=float)
    level = float(np.mean(np.abs(actual)))
    diff = float(np.mean(np.asarray(forecast, dtype=float) - actual))
    return diff / level if level > 0 else diff


def coverage(actual: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> float:
    actual = np.asarray(actual, dtype=float)
    return float(np.mean((actual >= lower) & (actual <= upper)))


def normal_quantile(level: float) -> float:
    """Half-width multiplier of a central ``level``% normal interval (80 -> 1.2816)."""
    return NormalDist().inv_cdf(0.5 + level / 200.0)  # stdlib: 100x faster than scipy's ppf


def level_bounds(level: float) -> tuple[float, float]:
    """Quantile probabilities of a central interval: 80 -> (0.1, 0.9)."""
    return 0.5 - level / 200.0, 0.5 + level / 200.0
