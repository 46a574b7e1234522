"""The funnel's one configuration object: what the KPIs rest on, and every assumption a user may
set for the plan worked back from the target.

A driver left as ``None`` is estimated from the data (the KPI table). A driver may be one number
for every segment or a mapping ``{segment: number}``; segments missing from the mapping fall
back to the data. Invalid values raise ``pydantic.ValidationError`` (a ``ValueError``) when the
object is made. A what-if is a copy with some values changed::

    base = FunnelConfig()
    tougher = dataclasses.replace(base, win_rate={"Enterprise": 0.18}, target_growth=0.10)

The hub derives the ``revops funnel`` flags, the plan file's ``[funnel]`` keys and the MLflow
parameters from this class.
"""
from __future__ import annotations

from typing import Annotated, Literal, Mapping

from pydantic import ConfigDict, Field
from pydantic.dataclasses import dataclass

Rate = Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)]
Positive = Annotated[float, Field(gt=0, allow_inf_nan=False)]
Days = Annotated[float, Field(ge=0, allow_inf_nan=False)]

# the driver overrides, by kind (the sensitivity and the what-ifs cap rates at 1)
RATE_FIELDS = ("win_rate", "sql_to_opportunity_rate", "mql_to_sql_rate")
POSITIVE_FIELDS = ("avg_deal_size", "quota_per_rep_month", "sqls_per_sdr_per_month")
DAY_FIELDS = ("sales_cycle_days", "sql_to_opportunity_days", "mql_to_sql_days")
MONTHLY_SPLITS = ("history", "even")


@dataclass(frozen=True, config=ConfigDict(extra="forbid"))
class FunnelConfig:
    """How the funnel KPIs are measured and the target worked back to MQLs and headcount.

    Rates are fractions in (0, 1]; days are calendar days; money is in the targets' currency.
    ``sales_cycle_days`` runs from opportunity creation to close; ``sql_to_opportunity_days`` from
    SQL to opportunity; ``mql_to_sql_days`` from MQL to SQL. When the data cannot measure the
    lead-side lags (no SQL date, no lead-to-opportunity link) the two ``default_*`` values apply.

    ``expected_attainment`` is capped at 1.5: it is the average share of quota the reps reach,
    which stays near 0.6-1.1 for a team; a team average above 150% means the quota itself is
    wrong, and the cap catches a percentage typed as a number (80 for 0.8).
    """

    min_records: Annotated[int, Field(
        ge=1, description="KPIs built on fewer records are flagged, and such a segment borrows "
        "the all-segment rate")] = 30
    expected_attainment: Annotated[float, Field(
        gt=0, le=1.5, allow_inf_nan=False, description="expected quota attainment of the reps "
        "(0.8: 80% of quota)")] = 0.8
    sqls_per_sdr_per_month: Annotated[Positive | dict[str, Positive], Field(
        description="SQLs one SDR produces per month (one number, or per segment)")] = 20.0
    quota_per_rep_month: Annotated[Positive | dict[str, Positive] | None, Field(
        description="productive quota per AE per month; none: from history's bookings per "
        "rep and month")] = None
    window_months: Annotated[int | None, Field(
        ge=1, description="months of history behind the rates; none: all history")] = 12
    stage_order: Annotated[tuple[str, ...] | None, Field(
        min_length=1, description="the open stages in order; none: inferred from the "
        "data")] = None
    target_growth: Annotated[float, Field(
        gt=-1, allow_inf_nan=False, description="what-if: every target x (1 + growth), e.g. "
        "0.10 for +10%")] = 0.0
    mql_to_sql_rate: Annotated[Rate | dict[str, Rate] | None, Field(
        description="share of MQLs that become SQLs; none: from the data")] = None
    sql_to_opportunity_rate: Annotated[Rate | dict[str, Rate] | None, Field(
        description="share of SQLs that become opportunities; none: from the data")] = None
    win_rate: Annotated[Rate | dict[str, Rate] | None, Field(
        description="share of opportunities won; none: from the data")] = None
    avg_deal_size: Annotated[Positive | dict[str, Positive] | None, Field(
        description="average won deal; none: from the data")] = None
    sales_cycle_days: Annotated[Days | dict[str, Days] | None, Field(
        description="days from opportunity creation to close; none: from the data")] = None
    sql_to_opportunity_days: Annotated[Days | dict[str, Days] | None, Field(
        description="days from SQL to opportunity; none: from the data")] = None
    mql_to_sql_days: Annotated[Days | dict[str, Days] | None, Field(
        description="days from MQL to SQL; none: from the data")] = None
    default_mql_to_sql_days: Annotated[Days, Field(
        description="MQL to SQL days when the leads carry no SQL date")] = 7.0
    default_lead_to_opportunity_days: Annotated[Days, Field(
        description="lead to opportunity days when leads and opportunities do not link")] = 30.0
    monthly_split: Annotated[Literal["history", "even"], Field(
        description="how a quarter's target is split into months: history (the season of past "
        "bookings) or even")] = "history"
    fallback_to_overall: Annotated[bool, Field(
        description="a segment with too few records borrows the all-segment rate")] = True
    ramp_curve: Annotated[tuple[Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)], ...], Field(
        description="a new AE's productivity in the first, second, ... month of tenure (1 after "
        "the last); hires start that many months before they are needed")] = (0.25, 0.5, 0.75)
    annual_attrition: Annotated[float, Field(
        ge=0, lt=1, allow_inf_nan=False, description="share of AEs who leave in a year (0.15: "
        "15%), taken off the capacity month by month")] = 0.0

    def get(self, name: str, segment: str) -> float | None:
        """The value of driver ``name`` for ``segment`` (None when the data should decide)."""
        value = getattr(self, name)
        if value is None:
            return None
        if isinstance(value, Mapping):
            found = value.get(segment)
            return None if found is None else float(found)
        return float(value)


FunnelAssumptions = FunnelConfig  # the former name, kept for notebooks and scripts that use it
