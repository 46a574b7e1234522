"""Seeded series generators for the forecasting tests (a module of its own, not conftest.py:
tests/forecasting/funnel has a conftest too, and ``from conftest import`` would find either)."""
from __future__ import annotations

import numpy as np
import pandas as pd


def make_history(n_segments: int = 4, n_months: int = 48, seed: int = 0, noise: float = 0.08,
                 start: str = "2023-01", sparse: int = 0) -> pd.DataFrame:
    """Monthly bookings with growth, a Q4 peak and a summer dip; ``sparse`` extra
    intermittent segments (70% of months without a deal)."""
    rng = np.random.default_rng(seed)
    periods = pd.period_range(start, periods=n_months, freq="M")
    season = np.array([0.8, 0.9, 1.05, 0.95, 1.0, 1.05, 0.8, 0.78, 1.05, 1.0, 1.1, 1.5])
    rows = []
    for i in range(n_segments):
        base = 100.0 * (i + 1)
        t = np.arange(n_months)
        level = base * (1 + rng.uniform(0.0, 0.02)) ** t
        y = level * season[periods.month - 1] * (1 + rng.normal(0, noise, n_months))
        rows += [{"segment": f"S{i}", "period": str(p), "bookings": max(v, 0.0)}
                 for p, v in zip(periods, y)]
    for j in range(sparse):
        y = rng.binomial(1, 0.3, n_months) * rng.gamma(2.0, 50.0, n_months)
        rows += [{"segment": f"Sparse{j}", "period": str(p), "bookings": v}
                 for p, v in zip(periods, y)]
    return pd.DataFrame(rows)
