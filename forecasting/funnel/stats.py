"""Intervals for the funnel's estimates: Wilson for rates, a seeded bootstrap for amounts and days."""
from __future__ import annotations

from statistics import NormalDist
from typing import Callable

import numpy as np


def z_value(confidence: float) -> float:
    """Two-sided normal quantile, e.g. 1.96 for 0.95."""
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1); got {confidence!r}")
    return NormalDist().inv_cdf(0.5 + confidence / 2.0)


def wilson_interval(successes: float, trials: float, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a proportion; (nan, nan) when there are no trials.

    Wilson rather than the normal approximation because funnel rates are often near 0 or 1
    on small segments, where the normal interval leaves [0, 1].
    """
    if trials <= 0:
        return float("nan"), float("nan")
    z = z_value(confidence)
    p = successes / trials
    denom = 1.0 + z * z / trials
    centre = (p + z * z / (2.0 * trials)) / denom
    half = z * np.sqrt(p * (1.0 - p) / trials + z * z / (4.0 * trials * trials)) / denom
    return float(max(0.0, centre - half)), float(min(1.0, centre + half))


def bootstrap_interval(
    values: np.ndarray,
    statistic: Callable[[np.ndarray], np.ndarray] | str = "mean",
    confidence: float = 0.95,
    n_boot: int = 500,
    random_state: int | None = 0,
) -> tuple[float, float]:
    """Percentile bootstrap interval of ``statistic`` ('mean', 'median' or a row-wise callable).

    Resamples are drawn in one (n_boot, n) matrix so the cost is one vectorised pass.
    """
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    if values.size == 0:
        return float("nan"), float("nan")
    if values.size == 1:
        return float(values[0]), float(values[0])
    rng = np.random.default_rng(random_state)
    # Cap the matrix size: beyond ~2e6 cells the interval no longer moves but memory does.
    n_boot = int(max(50, min(n_boot, 2_000_000 // values.size)))
    samples = values[rng.integers(0, values.size, size=(n_boot, values.size))]
    if statistic == "mean":
        stats = samples.mean(axis=1)
    elif statistic == "median":
        stats = np.median(samples, axis=1)
    elif callable(statistic):
        stats = statistic(samples)
    else:
        raise ValueError(f"statistic must be 'mean', 'median' or a callable; got {statistic!r}")
    alpha = (1.0 - confidence) / 2.0
    low, high = np.quantile(stats, [alpha, 1.0 - alpha])
    return float(low), float(high)
