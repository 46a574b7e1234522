"""The funnel plan's assumptions: everything a notebook may override for a what-if.

A value left as ``None`` is estimated from the data (the KPI table). A value may be one number
for every segment or a mapping ``{segment: number}``; segments missing from the mapping fall
back to the data. Use :func:`dataclasses.replace` to derive a what-if from a base case::

    base = FunnelAssumptions()
    tougher = dataclasses.replace(base, win_rate={"Enterprise": 0.18}, target_growth=0.10)
"""
from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Mapping, Union

from forecasting.funnel.errors import input_error

Value = Union[float, Mapping[str, float], None]

RATE_FIELDS = ("win_rate", "sql_to_opportunity_rate", "mql_to_sql_rate")
POSITIVE_FIELDS = ("avg_deal_size", "quota_per_rep_month", "sqls_per_sdr_month")
DAY_FIELDS = ("sales_cycle_days", "sql_to_opportunity_days", "mql_to_sql_days")
MONTHLY_SPLITS = ("history", "even")


@dataclass(frozen=True)
class FunnelAssumptions:
    """Overrides and knobs of the funnel plan (``None`` = estimate from the data).

    Rates are fractions in (0, 1]; days are calendar days; money is in the targets' currency.
    ``sales_cycle_days`` runs from opportunity creation to close; ``sql_to_opportunity_days`` from
    SQL to opportunity; ``mql_to_sql_days`` from MQL to SQL. When the data cannot measure the
    lead-side lags (no SQL date, no lead-to-opportunity link) the two ``default_*`` values apply.
    """

    mql_to_sql_rate: Value = None
    sql_to_opportunity_rate: Value = None
    win_rate: Value = None
    avg_deal_size: Value = None
    sales_cycle_days: Value = None
    sql_to_opportunity_days: Value = None
    mql_to_sql_days: Value = None
    target_growth: float = 0.0
    attainment: float = 0.8
    quota_per_rep_month: Value = None
    sqls_per_sdr_month: Value = 20.0
    default_mql_to_sql_days: float = 7.0
    default_lead_to_opportunity_days: float = 30.0
    monthly_split: str = "history"
    fallback_to_overall: bool = True

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            for segment, number in _items(value):
                if f.name in ("monthly_split", "fallback_to_overall"):
                    continue
                _check(f.name, segment, number)
        if self.monthly_split not in MONTHLY_SPLITS:
            raise input_error("assumptions", "monthly_split", "an unknown way to split targets into months",
                              f"one of {', '.join(MONTHLY_SPLITS)}", repr(self.monthly_split),
                              "use 'history' (the seasonality of past bookings) or 'even'")

    def get(self, name: str, segment: str) -> float | None:
        """The override for ``segment`` (None when the data should decide)."""
        value = getattr(self, name)
        if value is None:
            return None
        if isinstance(value, Mapping):
            found = value.get(segment)
            return None if found is None else float(found)
        return float(value)


def _items(value: object) -> list[tuple[str, object]]:
    if value is None or isinstance(value, (str, bool)):
        return []
    if isinstance(value, Mapping):
        return [(str(k), v) for k, v in value.items()]
    return [("every segment", value)]


def _check(name: str, segment: str, number: object) -> None:
    try:
        x = float(number)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        x = math.nan
    ok = math.isfinite(x)
    if name in RATE_FIELDS:
        ok, expected = ok and 0.0 < x <= 1.0, "a rate in (0, 1]"
    elif name in POSITIVE_FIELDS:
        ok, expected = ok and x > 0.0, "a number > 0"
    elif name == "attainment":
        ok, expected = ok and 0.0 < x <= 2.0, "a fraction in (0, 2], e.g. 0.8"
    elif name == "target_growth":
        ok, expected = ok and x > -1.0, "a growth > -1, e.g. 0.10 for +10%"
    else:
        ok, expected = ok and x >= 0.0, "a number of days >= 0"
    if not ok:
        raise input_error("assumptions", name, f"a bad value for {segment}", expected, repr(number),
                          "fix the override, or leave it as None to estimate it from the data")
