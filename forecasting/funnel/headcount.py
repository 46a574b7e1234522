"""Capacity: account executives and SDRs the plan needs, against the reps on file.

- AEs needed = target / (productive quota per rep x months x expected attainment). The quota per
  rep and month is the assumption ``quota_per_rep_month``; without it, with ``expected_bookings``
  (the period's bookings forecast per segment), what today's team is expected to book per
  productive FTE and month, divided by the attainment: the need then agrees with the forecast
  (forecast at 96 % of target with 60 AEs -> 62.5 AEs); otherwise history's bookings per rep and
  month divided by the attainment (so that a rep who booked what reps booked before counts as
  one rep). ``needed_from_history`` keeps history's answer beside it, for the explanation.
- SDRs needed = SQLs required per month / SQLs per SDR per month (``needed`` the average month,
  ``needed_peak`` the busiest month of the plan).
- On file: reps of the segment; with a ``role`` column, roles containing "sdr"/"bdr"/"development"
  are SDRs and the rest AEs; without it every rep is an AE and SDRs on file are unknown.
  ``productive_fte`` = sum of capacity x ramp; ``gap`` = needed - productive_fte (> 0: hire).
"""
from __future__ import annotations

from typing import Mapping

import numpy as np
import pandas as pd

from forecasting.funnel.config import FunnelConfig
from forecasting.funnel.prep import OVERALL, prepare_targets, require_columns

HEADCOUNT_COLUMNS = ["segment", "target_period", "role", "needed", "needed_peak", "on_file",
                     "on_file_fte", "productive_fte", "gap", "basis", "needed_from_history"]
# AE needs from the forecast and from history further apart than this are explained in a note.
DISAGREE = 0.15
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
    expected_bookings: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """The ``headcount`` table: one row per segment, target period and role (plus ``ALL``).

    ``expected_bookings``: segment -> the bookings forecast for the (first) target period; the
    AE need then rests on it (see the module doc)."""
    assumptions = assumptions or FunnelConfig()
    attainment = assumptions.expected_attainment
    frame = prepare_targets(targets)
    on_file = _reps_on_file(reps)
    has_roles = reps is not None and "role" in reps.columns
    productive = on_file[on_file["role"] == "ae"].groupby("segment")["productive_fte"].sum()
    first_period = frame["period"].min() if len(frame) else None
    rows = []
    for t in frame.itertuples():
        months = len(pd.period_range(t.start, t.end, freq="M"))
        target = float(t.target) * (1.0 + assumptions.target_growth)
        hit = kpis[(kpis["segment"] == t.segment) & (kpis["kpi"] == "bookings_per_rep_month")]
        history_quota = (float(hit.iloc[0]["value"]) / attainment
                         if not hit.empty and hit.iloc[0]["value"] > 0 else None)
        from_history = (target / (history_quota * months * attainment)
                        if history_quota is not None else np.nan)
        quota = assumptions.get("quota_per_rep_month", t.segment)
        expected = (expected_bookings or {}).get(t.segment) if t.period == first_period else None
        fte = float(productive.get(t.segment, 0.0))
        if quota is not None:
            basis = f"quota_per_rep_month {quota:,.0f} x {months} months x attainment {attainment:g}"
        elif expected is not None and expected > 0 and fte > 0:
            per_month = float(expected) / (fte * months)
            quota = per_month / attainment
            basis = (f"forecast: {float(expected):,.0f} expected in {t.period} from {fte:,.1f} "
                     f"productive FTE = {per_month:,.0f} per AE-month / attainment {attainment:g} "
                     f"= quota {quota:,.0f}")
        elif history_quota is not None:
            quota = history_quota
            basis = (f"history: {hit.iloc[0]['value']:,.0f} bookings per rep-month / attainment "
                     f"{attainment:g} = quota {quota:,.0f}")
        if quota is not None:
            needed_ae = target / (quota * months * attainment)
        else:
            needed_ae, basis = np.nan, "unknown: set quota_per_rep_month (no owner_rep_id in the history)"
        rows.append(dict(segment=t.segment, target_period=t.period, role="ae", needed=needed_ae,
                         needed_peak=needed_ae, basis=basis, needed_from_history=from_history))
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
    if "needed_from_history" not in out.columns:
        out["needed_from_history"] = np.nan
    out = out.merge(on_file, on=["segment", "role"], how="left")
    known = out["role"].eq("ae") | has_roles
    for column in ("on_file", "on_file_fte", "productive_fte"):
        out[column] = out[column].astype(float).where(~known | out[column].notna(), 0.0)
        out.loc[~known, column] = np.nan
    if reps is None:
        out[["on_file", "on_file_fte", "productive_fte"]] = np.nan
    out["gap"] = out["needed"] - out["productive_fte"]
    overall = out.groupby(["target_period", "role"], as_index=False)[
        ["needed", "needed_peak", "on_file", "on_file_fte", "productive_fte", "gap",
         "needed_from_history"]].sum(min_count=1)
    overall["segment"], overall["basis"] = OVERALL, "sum of the segments"
    out = pd.concat([out, overall], ignore_index=True)
    out["segment_order"] = (out["segment"] == OVERALL).astype(int)
    out = out.sort_values(["target_period", "segment_order", "segment", "role"]).drop(columns="segment_order")
    return out[HEADCOUNT_COLUMNS].reset_index(drop=True)


def headcount_notes(headcount: pd.DataFrame) -> list[str]:
    """Where the AE need from the forecast and history's answer disagree (by more than
    :data:`DISAGREE`, all segments together), why: they rest on different bookings per AE."""
    ae = headcount[headcount["role"] == "ae"]
    if not ae["basis"].str.startswith("forecast").any():
        return []
    total = ae[ae["segment"] == OVERALL]
    rows = total if len(total) else ae
    notes = []
    for row in rows.itertuples():
        history = row.needed_from_history
        if not np.isfinite(history) or not np.isfinite(row.needed) or row.needed <= 0:
            continue
        if abs(history - row.needed) / row.needed > DISAGREE:
            notes.append(
                f"AEs needed for {row.target_period}: {row.needed:,.1f} at what the forecast "
                f"expects of today's team per productive FTE; history's bookings per rep and month "
                f"would say {history:,.1f}. History averages the KPI window and divides by every "
                "rep who owned a deal then (including reps who have left); the forecast is this "
                "period's expected bookings from the reps on file, at the same attainment.")
    return notes


# --- Capacity over time -------------------------------------------------------------------------
# The monthly table (the plan's ``funnel/headcount.csv``); plan_headcount's per-period table is
# its summary (``headcount_summary.csv``).
MONTHLY_COLUMNS = ["segment", "target_period", "month", "role", "needed", "on_file", "on_file_fte",
                   "productive_fte", "hires_start", "hires_total", "hires_productive_fte", "gap",
                   "basis", "hire_note"]
UNKNOWN_SDRS = "SDRs on file unknown (the reps table has no role column): no hires planned"


def ramp_at(tenure_months: np.ndarray, curve: tuple[float, ...]) -> np.ndarray:
    """Productivity by month of tenure (0 = the first month): ``curve[t]``, 1 after it, 0 before
    the start (negative tenure)."""
    t = np.asarray(tenure_months, dtype=float)
    values = np.append(np.asarray(curve, dtype=float), 1.0)
    index = np.clip(np.floor(t), 0, len(curve)).astype(int)
    return np.where(t < 0, 0.0, values[index])


def _tenure_now(reps: pd.DataFrame, first: pd.Period, curve: tuple[float, ...]) -> np.ndarray:
    """Months of tenure of each rep at ``first``: from hire_date; without one, where the ramp
    curve reaches the rep's ``ramp`` today (a fully ramped rep: past the curve)."""
    ramp = pd.to_numeric(reps["ramp"], errors="coerce").fillna(1.0).to_numpy() \
        if "ramp" in reps.columns else np.ones(len(reps))
    guess = np.array([next((i for i, v in enumerate(curve) if v >= r - 1e-9), len(curve)) for r in ramp],
                     dtype=float)
    if "hire_date" not in reps.columns:
        return guess
    hired = pd.to_datetime(reps["hire_date"], errors="coerce")
    months = np.array([(first - d.to_period("M")).n if pd.notna(d) else np.nan for d in hired], dtype=float)
    return np.where(np.isnan(months), guess, months)


def _team(reps: pd.DataFrame | None, segment: str, role: str) -> pd.DataFrame | None:
    """The reps of ``segment`` in ``role``; None when SDRs on file are unknown (no role column)."""
    if reps is None:
        return pd.DataFrame(columns=["rep_id", "segment"]) if role == "ae" else None
    team = reps[reps["segment"].astype(str) == str(segment)]
    if "role" not in team.columns:
        return team if role == "ae" else None
    is_sdr = team["role"].astype("string").str.lower().fillna("").str.contains("|".join(SDR_WORDS)).to_numpy()
    return team[is_sdr] if role == "sdr" else team[~is_sdr]


def _sdr_needs(plan: pd.DataFrame | None, assumptions: FunnelConfig) -> dict[str, dict[pd.Period, tuple[str, float]]]:
    """segment -> month -> (target period(s) served, SDRs needed): the SQLs due that month over
    the SQLs one SDR produces a month."""
    if plan is None or plan.empty or "stage" not in plan.columns:
        return {}
    sqls = plan[plan["stage"] == "sql"]
    out: dict[str, dict[pd.Period, tuple[str, float]]] = {}
    for segment, part in sqls.groupby("segment", sort=True):
        per_sdr = assumptions.get("sqls_per_sdr_per_month", segment)
        if per_sdr is None:
            continue
        month = pd.to_datetime(part["period"]).dt.to_period("M")
        by_month = part.groupby(month).agg(required=("required", "sum"),
                                           served=("target_period", lambda s: "+".join(sorted(set(map(str, s))))))
        out[str(segment)] = {m: (row.served, float(row.required) / per_sdr) for m, row in by_month.iterrows()}
    return out


def _plan_role(segment: str, role: str, needs: dict[pd.Period, tuple[str, float]],
               months: pd.PeriodIndex, team: pd.DataFrame | None, first: pd.Period,
               ramp_curve: tuple[float, ...], monthly_survival: float, basis: str) -> list[dict]:
    """The monthly rows of one segment and role: capacity on file month by month, and hires
    planned greedily from the first month short (see :func:`monthly_headcount`)."""
    lead = len(ramp_curve)
    rows: list[dict] = []
    known = team is not None
    team = team if team is not None else pd.DataFrame(columns=["rep_id", "segment"])
    capacity = (pd.to_numeric(team["capacity"], errors="coerce").fillna(1.0).to_numpy()
                if "capacity" in team.columns else np.ones(len(team)))
    tenure0 = _tenure_now(team, first, ramp_curve) if len(team) else np.zeros(0)
    ends = (pd.to_datetime(team["end_date"], errors="coerce") if "end_date" in team.columns
            else pd.Series(pd.NaT, index=team.index))
    end_month = [d.to_period("M") if pd.notna(d) else None for d in ends]
    starts: dict[pd.Period, int] = {}

    def hired_fte(at: pd.Period) -> float:
        return float(sum(n * ramp_at(np.array([(at - s).n]), ramp_curve)[0]
                         * monthly_survival ** (at - s).n for s, n in starts.items()))

    for month in months:
        served, needed = needs.get(month, ("", np.nan))  # a month between two SQL months: no need
        ahead = (month - first).n
        survive = monthly_survival ** max(ahead, 0)
        staying = np.array([e is None or month <= e for e in end_month], dtype=bool)
        on_file_n = float(staying.sum() * survive)
        on_file = float((capacity * staying).sum() * survive)
        productive = float((capacity * ramp_at(tenure0 + ahead, ramp_curve) * staying).sum() * survive)
        note = ""
        if not known:
            rows.append({"segment": segment, "target_period": served, "month": str(month), "role": role,
                         "needed": needed, "on_file": np.nan, "on_file_fte": np.nan,
                         "productive_fte": np.nan, "hires_start": np.nan, "hires_total": np.nan,
                         "hires_productive_fte": np.nan, "gap": np.nan, "basis": basis,
                         "hire_note": UNKNOWN_SDRS})
            continue
        short = needed - productive - hired_fte(month) if np.isfinite(needed) else 0.0
        if short > 1e-9 and month < first:
            # A month already over: what it lacked shows in the gap; nobody can be hired into it.
            note = "month over: no hire planned"
        elif short > 1e-9:
            start = max(month - lead, first)
            per_hire = ramp_at(np.array([(month - start).n]), ramp_curve)[0] \
                * monthly_survival ** (month - start).n
            if per_hire > 0:
                extra = int(np.ceil(short / per_hire - 1e-9))
                starts[start] = starts.get(start, 0) + extra
                if start > month - lead:
                    note = (f"{extra} hire(s) starting {start} are still ramping in {month} "
                            f"({per_hire:.0%} each): they needed to start by {month - lead}")
            else:
                note = f"a hire starting in {start} adds nothing in {month} (ramp 0)"
        hires = hired_fte(month)
        rows.append({"segment": segment, "target_period": served, "month": str(month), "role": role,
                     "needed": needed, "on_file": on_file_n, "on_file_fte": on_file,
                     "productive_fte": productive, "hires_start": 0, "hires_total": 0,
                     "hires_productive_fte": hires,
                     "gap": needed - productive - hires if np.isfinite(needed) else np.nan,
                     "basis": basis, "hire_note": note})
    if not known or not rows:
        return rows
    # Hires are decided while walking forward; the start counts land in their start months.
    # Hires that start before the table's first month (first_month earlier) are said in the
    # first row's note and counted in hires_total from the first month on.
    early = {s: n for s, n in starts.items() if s < months[0]}
    total = sum(early.values())
    for r in rows:
        n = starts.get(pd.Period(r["month"], "M"), 0)
        total += n
        r["hires_start"], r["hires_total"] = n, total
    if early:
        rows[0]["hire_note"] = ", ".join(f"{n} hire(s) start {s}" for s, n in sorted(early.items())) \
            + (f"; {rows[0]['hire_note']}" if rows[0]["hire_note"] else "")
    return rows


def monthly_headcount(headcount: pd.DataFrame, reps: pd.DataFrame | None,
                      assumptions: FunnelConfig | None = None,
                      ramp_curve: tuple[float, ...] = (0.25, 0.5, 0.75),
                      annual_attrition: float = 0.0,
                      first_month: pd.Period | str | None = None,
                      plan: pd.DataFrame | None = None) -> pd.DataFrame:
    """Capacity month by month against the need, and the hires that close the gap with the
    month each must start (``MONTHLY_COLUMNS``; the plan writes it as ``funnel/headcount.csv``).

    AEs, per segment and month of the target periods: ``needed`` is the period's AE need
    (``headcount``, from :func:`plan_headcount`). SDRs, with ``plan`` (:func:`build_funnel_plan`),
    per segment and month an SQL is due: the month's SQLs / ``sqls_per_sdr_per_month``; the SDRs
    on file need a ``role`` column on reps (without one they are unknown and no hire is planned).
    ``productive_fte`` of the reps on file: capacity x ramp by month of tenure (``ramp_curve``:
    productivity in the first, second... month; 1 after) x the chance they are still there
    (``annual_attrition``, spread evenly) and 0 after their ``end_date``. Hires are planned
    greedily from the first month short: a hire must start ``len(ramp_curve)`` months ahead to be
    fully productive in the month it is needed; when that month is already past (before
    ``first_month``), hires start in ``first_month`` and more of them are needed (they are still
    ramping), which ``hire_note`` says; months before ``first_month`` are over and get none.
    ``gap`` = needed - productive_fte - hires_productive_fte (> 0: still short even with the
    hires). Rows per segment (``ALL``, the sum, last), role and month.
    """
    assumptions = assumptions or FunnelConfig()
    monthly_survival = (1.0 - annual_attrition) ** (1.0 / 12.0)
    ae = headcount[(headcount["role"] == "ae") & (headcount["segment"] != OVERALL)]
    sdr_needs = _sdr_needs(plan, assumptions)
    spans = []
    if not ae.empty:
        periods = sorted({str(p) for p in ae["target_period"]})
        spans.append(pd.Period(periods[0]).asfreq("M", "start"))
        spans.append(pd.Period(periods[-1]).asfreq("M", "end"))
    spans += [m for needs in sdr_needs.values() for m in needs]
    if not spans:
        return pd.DataFrame(columns=MONTHLY_COLUMNS)
    first = pd.Period(first_month, "M") if first_month is not None else min(spans)
    rows: list[dict] = []
    for segment, need in ae.groupby("segment", sort=True):
        by_period = dict(zip(need["target_period"].astype(str), need["needed"].astype(float)))
        months = pd.period_range(pd.Period(min(by_period)).asfreq("M", "start"),
                                 pd.Period(max(by_period)).asfreq("M", "end"), freq="M")
        needs = {m: (str(m.asfreq("Q")), by_period.get(str(m.asfreq("Q")), np.nan)) for m in months}
        basis = "; ".join(f"{p}: {b}" for p, b in zip(need["target_period"].astype(str), need["basis"])) \
            if "basis" in need.columns else "the period's AE need"
        rows += _plan_role(str(segment), "ae", needs, months, _team(reps, segment, "ae"), first,
                           ramp_curve, monthly_survival, basis)
    for segment, needs in sdr_needs.items():
        months = pd.period_range(min(needs), max(needs), freq="M")
        per_sdr = assumptions.get("sqls_per_sdr_per_month", segment)
        rows += _plan_role(segment, "sdr", needs, months, _team(reps, segment, "sdr"), first,
                           ramp_curve, monthly_survival, f"SQLs due that month / {per_sdr:g} SQLs per SDR per month")
    out = pd.DataFrame(rows, columns=MONTHLY_COLUMNS)
    numbers = ["needed", "on_file", "on_file_fte", "productive_fte", "hires_start", "hires_total",
               "hires_productive_fte", "gap"]
    overall = out.groupby(["role", "month"], as_index=False).agg(
        target_period=("target_period", lambda s: "+".join(sorted(set("+".join(s).split("+")) - {""}))),
        **{c: (c, lambda s: s.sum(min_count=1)) for c in numbers})
    overall["segment"], overall["basis"], overall["hire_note"] = OVERALL, "sum of the segments", ""
    out = pd.concat([out, overall[MONTHLY_COLUMNS]], ignore_index=True)
    out["segment_order"] = (out["segment"] == OVERALL).astype(int)
    out = out.sort_values(["segment_order", "segment", "role", "month"], kind="stable")
    out = out.drop(columns="segment_order")[MONTHLY_COLUMNS].reset_index(drop=True)
    for column in ("hires_start", "hires_total"):  # counts of people; empty where SDRs are unknown
        out[column] = out[column].round().astype("Int64")
    return out
