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


def make_long_history(n_segments: int = 12, n_months: int = 180, seed: int = 0) -> pd.DataFrame:
    """Years of monthly bookings that compound: growth of about 1% a month, a yearly season
    whose swing grows with the level, multiplicative noise (the shape of ``bench_forecast
    --long``'s series, fewer of them and none sparse)."""
    rng = np.random.default_rng(seed)
    periods = pd.period_range("2010-01", periods=n_months, freq="M").astype(str)
    t = np.arange(n_months)
    frames = []
    for i in range(n_segments):
        level = rng.lognormal(5, 1)
        growth = rng.normal(0.01, 0.005)
        season = 1 + rng.uniform(0.1, 0.4) * np.sin(2 * np.pi * t / 12 + rng.uniform(0, 2 * np.pi))
        y = level * (1 + growth) ** t * season * rng.lognormal(0, rng.uniform(0.05, 0.2), n_months)
        frames.append(pd.DataFrame({"segment": f"L{i:02d}", "period": periods, "bookings": y}))
    return pd.concat(frames, ignore_index=True)
