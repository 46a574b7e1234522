"""The last plan's funnel against what happened: every stage and month, and the bottleneck.

Each stage's goal is the next stage's base, so the stage that broke the chain is the one whose
attainment fell most below the attainment of the stage feeding it (MQLs: below 100 %): MQLs at
100 % and SQLs at 70 % point at the MQL->SQL link, not at marketing.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from forecasting.funnel.plan import monthly_actuals

STAGE_ORDER = ("mql", "sql", "opportunity", "won")
PLAN_VS_ACTUAL_COLUMNS = ["segment", "period", "stage", "planned", "actual", "attainment", "gap", "bottleneck"]
STAGE_TOTAL_COLUMNS = ["segment", "stage", "planned", "actual", "attainment", "relative_to_previous",
                       "bottleneck"]
ALL = "ALL"


def plan_vs_actual(funnel_plan: pd.DataFrame, as_of: pd.Timestamp,
                   opportunities: pd.DataFrame | None, leads: pd.DataFrame | None
                   ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(monthly rows, stage totals). ``funnel_plan``: the last plan's ``funnel_plan.csv``
    (segment, period, stage, required, ...). A month after ``as_of``'s month has no actual yet
    (NaN); the totals and the bottleneck use the months that have one."""
    plan = funnel_plan.copy()
    plan["period"] = pd.to_datetime(plan["period"]).dt.to_period("M").dt.start_time
    plan["required"] = pd.to_numeric(plan["required"], errors="coerce")
    planned = plan.groupby(["segment", "period", "stage"], as_index=False)["required"].sum()
    planned = planned.rename(columns={"required": "planned"})
    actuals = monthly_actuals(opportunities, leads)
    known = ({"opportunity", "won"} if opportunities is not None else set()) | \
        ({"mql", "sql"} if leads is not None else set())
    out = planned.merge(actuals, on=["segment", "period", "stage"], how="left")
    due = (out["period"] <= pd.Timestamp(as_of).to_period("M").start_time) & out["stage"].isin(known)
    out["actual"] = np.where(due, out["actual"].fillna(0.0), np.nan)
    # ALL sums the segments' planned rows only: a segment with nothing planned that month (or
    # leads without a segment) must not inflate the company's attainment.
    totals = out.groupby(["period", "stage"], as_index=False).agg(
        planned=("planned", "sum"), actual=("actual", lambda s: s.sum(min_count=1))).assign(segment=ALL)
    out = pd.concat([out, totals], ignore_index=True)
    due = (out["period"] <= pd.Timestamp(as_of).to_period("M").start_time) & out["stage"].isin(known)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["attainment"] = np.where(out["planned"] > 0, out["actual"] / out["planned"], np.nan)
    out["gap"] = out["planned"] - out["actual"]
    stage_totals = _stage_totals(out[due])
    flagged = stage_totals[stage_totals["bottleneck"]][["segment", "stage"]].assign(bottleneck=True)
    out = out.merge(flagged, on=["segment", "stage"], how="left")
    out["bottleneck"] = out["bottleneck"].eq(True)  # NaN (not merged): not the bottleneck
    out["_order"] = out["stage"].map({s: i for i, s in enumerate(STAGE_ORDER)})
    out["_all"] = out["segment"] == ALL
    out = out.sort_values(["_all", "segment", "_order", "period"], kind="stable")
    out["period"] = out["period"].dt.strftime("%Y-%m")
    return out[PLAN_VS_ACTUAL_COLUMNS].reset_index(drop=True), stage_totals


def _stage_totals(rows: pd.DataFrame) -> pd.DataFrame:
    if rows.empty:
        return pd.DataFrame(columns=STAGE_TOTAL_COLUMNS)
    totals = rows.groupby(["segment", "stage"], as_index=False)[["planned", "actual"]].sum()
    totals["_order"] = totals["stage"].map({s: i for i, s in enumerate(STAGE_ORDER)})
    totals["_all"] = totals["segment"] == ALL
    totals = totals.sort_values(["_all", "segment", "_order"], kind="stable")
    with np.errstate(invalid="ignore", divide="ignore"):
        totals["attainment"] = np.where(totals["planned"] > 0, totals["actual"] / totals["planned"], np.nan)
    previous = totals.groupby("segment")["attainment"].shift(1).fillna(1.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        totals["relative_to_previous"] = np.where(previous > 0, totals["attainment"] / previous, np.nan)
    # The weakest link, when one is below plan at all.
    totals["bottleneck"] = False
    for _, group in totals.groupby("segment"):
        ratios = group["relative_to_previous"].dropna()
        if len(ratios) and ratios.min() < 1:
            totals.loc[ratios.idxmin(), "bottleneck"] = True
    return totals[STAGE_TOTAL_COLUMNS].reset_index(drop=True)
