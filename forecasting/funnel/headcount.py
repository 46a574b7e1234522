"""Capacity: account executives and SDRs the plan needs, against the reps on file.

- AEs needed = target / (productive quota per rep x months x expected attainment). The quota per
  rep and month is the assumption ``quota_per_rep_month``; without it, history's bookings per
  rep and month divided by the attainment (so that a rep who booked what reps booked before
  counts as one rep).
- SDRs needed = SQLs required per month / SQLs per SDR per month (``needed`` the average month,
  ``needed_peak`` the busiest month of the plan).
- On file: reps of the segment; with a ``role`` column, roles containing "sdr"/"bdr"/"development"
  are SDRs and the rest AEs; without it every rep is an AE and SDRs on file are unknown.
  ``productive_fte`` = sum of capacity x ramp; ``gap`` = needed - productive_fte (> 0: hire).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from forecasting.funnel.config import FunnelConfig
from forecasting.funnel.prep import OVERALL, prepare_targets, require_columns

HEADCOUNT_COLUMNS = ["segment", "target_period", "role", "needed", "needed_peak", "on_file",
                     "on_file_fte", "productive_fte", "gap", "basis"]
SDR_WORDS = ("sdr", "bdr", "development")


def _reps_on_file(reps: pd.DataFrame | None) -> pd.DataFrame:
    """segment, role, on_file, on_file_fte, productive_fte."""
    columns = ["segment", "role", "on_file", "on_file_fte", "productive_fte"]
    if reps is None:
        return pd.DataFrame(columns=columns)
    require_columns(reps, "reps", ["rep_id", "segment"], "a reps table has rep_id, segment, region, capacity")
    frame = reps.copy()
    for column in ("capacity", "ramp"):  # both default to 1: a full-time, fully ramped rep
        values = frame[column] if column in frame.columns else pd.Series(1.0, index=frame.index)
        frame[column] = pd.to_numeric(values, errors="coerce").fillna(1.0)
    if "role" in frame.columns:
        text = frame["role"].astype("string").str.lower().fillna("")
        frame["role"] = np.where(text.str.contains("|".join(SDR_WORDS)), "sdr", "ae")
    else:
        frame["role"] = "ae"
    frame["productive"] = frame["capacity"] * frame["ramp"]
    grouped = frame.groupby(["segment", "role"]).agg(
        on_file=("rep_id", "size"), on_file_fte=("capacity", "sum"), productive_fte=("productive", "sum"))
    return grouped.reset_index()[columns]


def plan_headcount(
    targets: pd.DataFrame,
    plan: pd.DataFrame,
    kpis: pd.DataFrame,
    reps: pd.DataFrame | None = None,
    assumptions: FunnelConfig | None = None,
) -> pd.DataFrame:
    """The ``headcount`` table: one row per segment, target period and role (plus ``ALL``)."""
    assumptions = assumptions or FunnelConfig()
    frame = prepare_targets(targets)
    on_file = _reps_on_file(reps)
    has_roles = reps is not None and "role" in reps.columns
    rows = []
    for t in frame.itertuples():
        months = len(pd.period_range(t.start, t.end, freq="M"))
        target = float(t.target) * (1.0 + assumptions.target_growth)
        quota = assumptions.get("quota_per_rep_month", t.segment)
        if quota is not None:
            basis = f"quota_per_rep_month {quota:,.0f} x {months} months x attainment {assumptions.expected_attainment:g}"
        else:
            hit = kpis[(kpis["segment"] == t.segment) & (kpis["kpi"] == "bookings_per_rep_month")]
            if not hit.empty and hit.iloc[0]["value"] > 0:
                quota = float(hit.iloc[0]["value"]) / assumptions.expected_attainment
                basis = (f"history: {hit.iloc[0]['value']:,.0f} bookings per rep-month / attainment "
                         f"{assumptions.expected_attainment:g} = quota {quota:,.0f}")
        if quota is not None:
            needed_ae = target / (quota * months * assumptions.expected_attainment)
        else:
            needed_ae, basis = np.nan, "unknown: set quota_per_rep_month (no owner_rep_id in the history)"
        rows.append(dict(segment=t.segment, target_period=t.period, role="ae", needed=needed_ae,
                         needed_peak=needed_ae, basis=basis))
        sqls = plan[(plan["segment"] == t.segment) & (plan["target_period"] == t.period)
                    & (plan["stage"] == "sql")]
        per_sdr = assumptions.get("sqls_per_sdr_per_month", t.segment)
        if sqls.empty or per_sdr is None:
            needed, peak, basis = np.nan, np.nan, "unknown: no SQL stage in the plan (no leads)"
        else:
            by_month = sqls.groupby("period")["required"].sum()
            needed, peak = by_month.mean() / per_sdr, by_month.max() / per_sdr
            basis = f"SQLs per month / {per_sdr:g} SQLs per SDR per month"
        rows.append(dict(segment=t.segment, target_period=t.period, role="sdr", needed=needed,
                         needed_peak=peak, basis=basis))
    out = pd.DataFrame(rows)
    out = out.merge(on_file, on=["segment", "role"], how="left")
    known = out["role"].eq("ae") | has_roles
    for column in ("on_file", "on_file_fte", "productive_fte"):
        out[column] = out[column].astype(float).where(~known | out[column].notna(), 0.0)
        out.loc[~known, column] = np.nan
    if reps is None:
        out[["on_file", "on_file_fte", "productive_fte"]] = np.nan
    out["gap"] = out["needed"] - out["productive_fte"]
    overall = out.groupby(["target_period", "role"], as_index=False)[
        ["needed", "needed_peak", "on_file", "on_file_fte", "productive_fte", "gap"]].sum(min_count=1)
    overall["segment"], overall["basis"] = OVERALL, "sum of the segments"
    out = pd.concat([out, overall], ignore_index=True)
    out["segment_order"] = (out["segment"] == OVERALL).astype(int)
    out = out.sort_values(["target_period", "segment_order", "segment", "role"]).drop(columns="segment_order")
    return out[HEADCOUNT_COLUMNS].reset_index(drop=True)
