"""Quotas: per segment they add up to target x (1 + over-assignment), split by potential x ramp."""
from __future__ import annotations

import numpy as np
import pandas as pd

from territory.errors import TerritoryInputError


def segment_targets(targets: pd.DataFrame, period: str | None = None) -> pd.Series:
    """Target per segment for ``period`` (all periods in the table summed when None)."""
    if period is not None:
        chosen = targets[targets["period"] == str(period)]
        if chosen.empty:
            raise TerritoryInputError(
                f"targets: no row for period {period!r}; periods in the table: "
                f"{', '.join(sorted(targets['period'].unique()))}. Hint: pick one of those.")
        targets = chosen
    return targets.groupby("segment", sort=True)["target"].sum()


def quotas(rep_potential: pd.DataFrame, targets: pd.Series, over_assignment: float) -> pd.DataFrame:
    """Quota per rep from columns rep_id, segment, potential, ramp.

    quota_r = target_s (1 + over) * potential_r ramp_r / sum over the segment's reps of the same.
    Reps with nothing to weigh (no potential or ramp 0) get quota 0; a segment without a target
    gets NaN quotas (the plan still stands, the quota column says "unknown").
    """
    frame = rep_potential[["rep_id", "segment", "potential", "ramp"]].copy()
    weight = frame["potential"] * frame["ramp"]
    seg_weight = weight.groupby(frame["segment"]).transform("sum")
    total = frame["segment"].map(targets * (1 + over_assignment))
    with np.errstate(divide="ignore", invalid="ignore"):
        frame["quota"] = np.where(seg_weight > 0, total * weight / seg_weight, np.nan)
    frame.loc[total.notna() & (seg_weight <= 0), "quota"] = np.nan
    frame["quota_per_potential"] = np.where(frame["potential"] > 0,
                                            frame["quota"] / frame["potential"].where(
                                                frame["potential"] > 0), np.nan)
    return frame[["rep_id", "quota", "quota_per_potential"]]


def quota_spread(frame: pd.DataFrame) -> dict[str, dict[str, float]]:
    """Per segment: min, max, and max/min of quota / potential across reps that carry quota."""
    out: dict[str, dict[str, float]] = {}
    for segment, group in frame.groupby("segment", sort=True):
        ratio = group["quota_per_potential"].dropna()
        ratio = ratio[ratio > 0]
        if ratio.empty:
            continue
        out[str(segment)] = {
            "min": float(ratio.min()), "max": float(ratio.max()),
            "max_over_min": float(ratio.max() / ratio.min()),
            "quota_total": float(group["quota"].sum()),
        }
    return out
