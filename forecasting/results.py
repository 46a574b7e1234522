"""What a bookings forecast measured about itself, typed: backtest accuracy per segment and
overall, how the totals were reconciled, and the candidates that failed to fit.

``ForecastMetrics.to_dict()`` is the JSON the hub writes as metrics.json (its keys are those of
the nested dicts this replaced); ``metrics()`` is the flat name -> number dict for MLflow.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from forecasting.config import ForecastConfig

# settings that decide where the work runs, never a number: left out of the metrics' config so
# that the same forecast on a laptop or a cluster gives the same metrics.json
EXECUTION_FIELDS = ("n_jobs", "backend", "scheduler")


def _level_key(level: float) -> str:
    return f"{level:g}"


def _finite(value: float | None) -> bool:
    return value is not None and math.isfinite(value)


def metric_key(name: str) -> str:
    """A segment name as an MLflow metric key part: lower case, [a-z0-9_-] only."""
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in name).lower()


@dataclass(frozen=True)
class FailedCandidate:
    """A candidate model that raised a numerical or fit error on one window of one series (it
    dropped out there; a bug is never recorded here: it propagates)."""

    series: str               # segment, region node or "Total"
    model: str                # candidate name, e.g. "arima", "combination(ets_damped+theta)"
    origin: str | None        # last training period of the backtest fold (YYYY-MM-DD); None: the final fit
    error: str                # "ValueError: ..." (first line of the message)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class SegmentAccuracy:
    """One series' model choice and backtest accuracy (the honest "selected" rows).

    ``mase``/``smape``/``bias`` and ``coverage`` are None/empty for a series too short to
    backtest. ``coverage`` and ``interval_factor`` are keyed by level ("80", "95").
    """

    method: str
    kind: str                         # "regular" | "intermittent"
    seasonal: bool
    n_obs: int
    backtest_origins: int
    interval_factor: dict[str, float]
    mase_by_candidate: dict[str, float]
    mase: float | None = None
    smape: float | None = None
    bias: float | None = None
    coverage: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"method": self.method, "kind": self.kind, "seasonal": self.seasonal,
                               "n_obs": self.n_obs, "backtest_origins": self.backtest_origins,
                               "interval_factor": dict(self.interval_factor),
                               "mase_by_candidate": dict(self.mase_by_candidate)}
        if self.mase is not None:
            out.update(mase=self.mase, smape=self.smape, bias=self.bias)
            out.update({f"coverage_{lv}": v for lv, v in self.coverage.items()})
        return out


@dataclass(frozen=True)
class OverallAccuracy:
    """Across segments: MASE and sMAPE averaged over segments (each counts once), bias and
    coverage pooled over all selected backtest rows; seasonal naive's mean MASE to beat."""

    n_segments: int
    mase: float | None = None
    smape: float | None = None
    bias: float | None = None
    coverage: dict[str, float] = field(default_factory=dict)
    mase_seasonal_naive: float | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"n_segments": self.n_segments}
        if self.mase is not None:
            out.update(mase=self.mase, smape=self.smape, bias=self.bias)
            out.update({f"coverage_{lv}": v for lv, v in self.coverage.items()})
        if self.mase_seasonal_naive is not None:
            out["mase_seasonal_naive"] = self.mase_seasonal_naive
        return out


@dataclass(frozen=True)
class ForecastMetrics:
    """Everything a forecast run measured about itself."""

    overall: OverallAccuracy
    segments: dict[str, SegmentAccuracy]        # the history's segments
    aggregates: dict[str, SegmentAccuracy]      # region nodes and "Total"
    reconciliation: str                         # how the totals add up, in words
    reconciliation_method: str                  # "bottom_up" | "mint_shrink" (after any fallback)
    hierarchy: dict[str, tuple[str, ...]]       # aggregate node -> its segments
    failed_candidates: tuple[FailedCandidate, ...]
    notes: tuple[str, ...]
    config: ForecastConfig                      # as run: levels with 80, the step, group_season used

    def metrics(self) -> dict[str, float]:
        """Flat numbers for MLflow: the overall measures, ``failed_candidates`` (a count) and
        ``mase_<segment>`` per segment; a measure that could not be computed is left out."""
        out = self.overall_summary()
        for name, stats in self.segments.items():
            if _finite(stats.mase):
                out[f"mase_{metric_key(name)}"] = float(stats.mase)  # type: ignore[arg-type]
        return out

    def to_dict(self) -> dict[str, Any]:
        """The metrics.json shape: overall, segments, aggregates, reconciliation (method,
        description, hierarchy), notes, config, failed_candidates."""
        config = {k: v for k, v in dataclasses.asdict(self.config).items() if k not in EXECUTION_FIELDS}
        config["levels"] = list(self.config.levels)
        return {
            "overall": self.overall.to_dict(),
            "segments": {k: v.to_dict() for k, v in self.segments.items()},
            "aggregates": {k: v.to_dict() for k, v in self.aggregates.items()},
            "reconciliation": {"method": self.reconciliation_method,
                               "description": self.reconciliation,
                               "hierarchy": {k: list(v) for k, v in self.hierarchy.items()}},
            "notes": list(self.notes),
            "config": config,
            "failed_candidates": [f.to_dict() for f in self.failed_candidates],
        }

    def segment_table(self) -> pd.DataFrame:
        """One row per segment: method, kind, seasonal, n_obs, backtest_origins, mase, smape,
        bias, coverage_<level> (scalars only; empty frame without segments)."""
        rows = [{"segment": name, **{k: v for k, v in stats.to_dict().items() if not isinstance(v, dict)}}
                for name, stats in self.segments.items()]
        return pd.DataFrame(rows)

    def overall_summary(self) -> dict[str, float]:
        """The overall measures and the failed-candidate count, as numbers (a headline)."""
        out = {key: float(value) for key, value in self.overall.to_dict().items()
               if isinstance(value, (int, float)) and _finite(float(value))}
        out["failed_candidates"] = float(len(self.failed_candidates))
        return out
