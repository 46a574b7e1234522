"""The revenue engine's one configuration object: ARR periods, margins, renewals, simulation.

The hub derives the ``revops revenue`` flags, the plan file's ``[revenue]`` keys and the MLflow
parameters from this class. Invalid values raise ``pydantic.ValidationError`` (a ``ValueError``)
when the object is made; a what-if is ``dataclasses.replace(config, gross_margin=0.7)``.
"""
from __future__ import annotations

from typing import Annotated, Literal

from pydantic import ConfigDict, Field
from pydantic.dataclasses import dataclass


@dataclass(frozen=True, config=ConfigDict(extra="forbid"))
class RevenueConfig:
    """How ARR, retention, renewals and unit economics are computed."""

    freq: Annotated[Literal["Q", "M"], Field(
        description="period of the ARR bridge: Q (quarters) or M (months)")] = "Q"
    gross_margin: Annotated[float, Field(
        gt=0, le=1, allow_inf_nan=False,
        description="gross margin of recurring revenue (0-1): CLV, CAC payback and ROI rest on it")] = 0.75
    n_simulations: Annotated[int, Field(
        ge=100, le=1_000_000, description="simulated renewal outcomes behind the p10/p50/p90 of renewed ARR")] = 5000
    seed: Annotated[int, Field(ge=0, le=2**32 - 1, description="random seed of the renewal simulation")] = 0
    renewal_grace_days: Annotated[int, Field(
        ge=0, le=365, description="a subscription of the same account (and product) starting within "
        "this many days of the end of another renews it; renewals due this close to the plan date are "
        "not yet decided")] = 30
    window_months: Annotated[int, Field(
        ge=1, le=60, description="months before the plan date that unit economics (CAC, churn, CLV) cover")] = 12
    min_renewals: Annotated[int, Field(
        ge=10, description="fewest decided renewals (with both outcomes) to train a renewal model; "
        "below it P(renew) is the segment's past renewal rate")] = 50
    rate_uncertainty: Annotated[bool, Field(
        description="widen the renewed-ARR range by the uncertainty of each segment's renewal rate "
        "(the standard error over its decided renewals), not only by which subscriptions renew")] = True
    segment_recalibration: Annotated[bool, Field(
        description="shift each segment's P(renew) so the model's mean over its decided renewals "
        "equals their renewal rate (a regularised model pulls small segments towards the mean)")] = True
    history_periods: Annotated[int | None, Field(
        ge=1, description="periods of the ARR bridge, the newest ending at the plan date; None: every "
        "period the subscriptions cover")] = None
