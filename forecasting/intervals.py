"""Interval calibration from backtest residuals.

A model's own interval is ``mean +- q_L * sigma_h``. Backtests tell how wide it should have
been: with standardised errors ``z = (actual - forecast) / sigma_h``, the factor
``c_L = quantile(|z|, L%) / q_L`` makes the interval cover L% of past errors. With only a few
folds per segment that quantile is noisy, so each segment's factor is shrunk towards the
factor pooled over all segments (weight n / (n + prior_weight)). Factors both widen
intervals that were too narrow and narrow those that were too wide, within [min, max].
"""
from __future__ import annotations

import numpy as np

from forecasting.metrics import normal_quantile

PRIOR_WEIGHT = 24.0     # pooled factor counts like 24 of the segment's own errors
MIN_FACTOR, MAX_FACTOR = 0.5, 5.0


def raw_factor(abs_z: np.ndarray, level: float) -> float:
    """Factor making ``level``% of these standardised errors fall inside (NaN if none)."""
    abs_z = np.asarray(abs_z, dtype=float)
    abs_z = abs_z[np.isfinite(abs_z)]
    if abs_z.size == 0:
        return float("nan")
    return float(np.quantile(abs_z, level / 100.0) / normal_quantile(level))


def shrunk_factor(own_abs_z: np.ndarray, pooled_abs_z: np.ndarray, level: float,
                  prior_weight: float = PRIOR_WEIGHT) -> float:
    """Segment factor shrunk to the pooled one; 1.0 (the model's own width) without data."""
    return shrink_to_pool(own_abs_z, raw_factor(pooled_abs_z, level), level, prior_weight)


def shrink_to_pool(own_abs_z: np.ndarray, pooled_factor: float, level: float,
                   prior_weight: float = PRIOR_WEIGHT) -> float:
    """``shrunk_factor`` with the pooled factor given: the pool is the same for every
    segment, and its quantile over ~100,000 errors is what costs, so it is taken once."""
    own = raw_factor(own_abs_z, level)
    pooled = pooled_factor if np.isfinite(pooled_factor) else 1.0
    n = int(np.isfinite(np.asarray(own_abs_z, dtype=float)).sum())
    if not np.isfinite(own):
        factor = pooled
    else:
        w = n / (n + prior_weight)
        factor = w * own + (1 - w) * pooled
    return float(np.clip(factor, MIN_FACTOR, MAX_FACTOR))


def interval(mean: np.ndarray, sigma: np.ndarray, level: float, factor: float,
             non_negative: bool) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper bound of the central ``level``% interval."""
    half = normal_quantile(level) * factor * np.asarray(sigma, dtype=float)
    lower, upper = mean - half, mean + half
    if non_negative:
        lower, upper = np.maximum(lower, 0.0), np.maximum(upper, 0.0)
    return lower, upper
