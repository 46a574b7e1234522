"""Which assumption moves the MQL goal most: each driver nudged by +/- ``change``, one at a time."""
from __future__ import annotations

import dataclasses

import pandas as pd

from forecasting.funnel.config import RATE_FIELDS, FunnelConfig
from forecasting.funnel.drivers import estimate_drivers
from forecasting.funnel.bookings import month_shares
from forecasting.funnel.plan import build_funnel_plan, expected_sqls_from_open, monthly_targets
from forecasting.funnel.prep import OVERALL, prepare_opportunities

SENSITIVITY_DRIVERS = ("avg_deal_size", "win_rate", "sql_to_opportunity_rate", "mql_to_sql_rate",
                       "target", "sales_cycle_days", "sql_to_opportunity_days", "mql_to_sql_days")
SENSITIVITY_COLUMNS = ["method", "segment", "assumption", "change", "value", "mql_goal", "base_mql_goal", "delta",
                       "delta_pct"]


def _mql_goal(plan: pd.DataFrame) -> pd.Series:
    goal = plan[plan["stage"] == "mql"].groupby("segment")["still_needed"].sum()
    goal[OVERALL] = goal.sum()
    return goal


def funnel_sensitivity(
    targets: pd.DataFrame,
    kpis: pd.DataFrame,
    *,
    assumptions: FunnelConfig | None = None,
    change: float = 0.10,
    min_records: int | None = None,
    **plan_kwargs,
) -> pd.DataFrame:
    """The MQL goal (``still_needed`` summed over the plan) with one driver moved at a time.

    Two ways (``method`` column): ``percent``, each driver at (1 +/- change) x its value (rates
    capped at 1), which shows the elasticities; ``interval``, each driver at the low and high end
    of its estimated interval (``change`` is then the relative move), which shows where the
    uncertainty of the data matters most. The target moves by +/- change in both. The lags only
    shift requirements between months, so they change the goal only through the open MQLs (which
    cover SQL months from the as-of date on). Within each method the rows are sorted by the
    largest absolute effect over all segments first.
    """
    assumptions = assumptions or FunnelConfig()
    if min_records is None:
        min_records = assumptions.min_records
    segments = sorted(monthly_targets(targets, None, assumptions)["segment"].unique())
    drivers = estimate_drivers(kpis, segments, assumptions, min_records)
    if "mql_to_sql_rate" not in set(drivers["driver"]):
        return pd.DataFrame(columns=SENSITIVITY_COLUMNS)
    # The seasonality and the open MQLs do not change with the assumptions: compute them once.
    opportunities, leads, scores = (plan_kwargs.pop(k, None) for k in ("opportunities", "leads", "lead_scores"))
    if opportunities is not None and "shares" not in plan_kwargs:
        plan_kwargs["shares"] = month_shares(prepare_opportunities(opportunities))
    if scores is not None and "open_sqls" not in plan_kwargs:
        plan_kwargs["open_sqls"] = expected_sqls_from_open(scores, leads, opportunities)
    common = dict(plan_kwargs, min_records=min_records)
    base = _mql_goal(build_funnel_plan(targets, kpis, assumptions=assumptions, drivers=drivers, **common))
    frames = []
    for method in ("percent", "interval"):
        rows = []
        for name in SENSITIVITY_DRIVERS:
            for end, sign in (("low", -1.0), ("high", 1.0)):
                if name == "target":
                    factor = 1.0 + sign * change
                    what_if = dataclasses.replace(
                        assumptions, target_growth=(1.0 + assumptions.target_growth) * factor - 1.0)
                    nudged = {s: factor for s in segments}  # for a target, the factor applied
                    moved = {s: sign * change for s in segments}
                else:
                    current = drivers[drivers["driver"] == name].set_index("segment")
                    if method == "percent":
                        nudged = {s: v * (1.0 + sign * change) for s, v in current["value"].items()}
                    else:
                        nudged = {s: float(v) for s, v in current[end].items()}
                    if name in RATE_FIELDS:
                        nudged = {s: min(1.0, v) for s, v in nudged.items()}
                    moved = {s: (nudged[s] / v - 1.0) if v else float("nan")
                             for s, v in current["value"].items()}
                    what_if = dataclasses.replace(assumptions, **{name: nudged})
                goal = _mql_goal(build_funnel_plan(targets, kpis, assumptions=what_if, **common))
                for segment in base.index:
                    rows.append(dict(method=method, segment=segment, assumption=name,
                                     change=moved.get(segment, sign * change if method == "percent" else float("nan")),
                                     value=nudged.get(segment, float("nan")),
                                     mql_goal=float(goal.get(segment, 0.0)), base_mql_goal=float(base[segment])))
        out = pd.DataFrame(rows)
        out["delta"] = out["mql_goal"] - out["base_mql_goal"]
        out["delta_pct"] = out["delta"] / out["base_mql_goal"].where(out["base_mql_goal"] != 0)
        impact = out[out["segment"] == OVERALL].groupby("assumption")["delta"].apply(lambda d: d.abs().max())
        out["rank"] = out["assumption"].map(impact.rank(ascending=False, method="first"))
        frames.append(out.sort_values(["rank", "assumption", "segment", "change"]).drop(columns="rank"))
    return pd.concat(frames, ignore_index=True)[SENSITIVITY_COLUMNS]
