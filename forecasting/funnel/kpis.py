"""Funnel KPIs per segment and overall, as one tidy long table.

Every row says what it measures (``kpi``, ``detail``), its value and interval, the dates it
covers, how many records are behind it and whether that is fewer than ``min_records``
(``low_sample``: flagged, never hidden). Methods, per KPI (also in the ``method`` column):

- mql_to_sql_rate: SQLs / leads with a decided outcome (``is_sql`` not empty), leads created in
  the window; Wilson interval.
- sql_to_opportunity_rate: SQL leads created in the window that became an opportunity (see
  :mod:`forecasting.funnel.links` for the three link methods); Wilson interval.
- lead_to_opportunity_days_*: days from the lead's creation to its first linked opportunity.
- win_rate: won / (won + lost) among deals closed in the window; win_loss_ratio = won / lost.
- avg_deal_size: mean amount of the deals won in the window; bootstrap interval.
- sales_cycle_days_median/p25/p75: days from creation to close of the deals won in the window.
- stage_conversion_rate: see :mod:`forecasting.funnel.stages` (deals created in the window).
- open_opportunities, open_pipeline_amount: open deals at the as-of date.
- pipeline_coverage: open amount expected to close in a target period (close date inside the
  period, or no close date) / that period's target.
- pipeline_velocity: open deals x win rate x average deal size / median sales cycle (per day).
- bookings / bookings_growth_qoq / bookings_growth_yoy: won amount per complete calendar quarter.
- bookings_per_rep_month: bookings in the window / (reps owning a deal in the window x months).
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from forecasting.funnel.bookings import bookings_by_period, bookings_growth
from forecasting.funnel.links import choose_link, link_sqls
from forecasting.funnel.prep import (
    OVERALL, Window, data_as_of, kpi_window, prepare_leads, prepare_opportunities, prepare_targets,
)
from forecasting.funnel.stages import infer_stage_order, stage_conversions
from forecasting.funnel.stats import bootstrap_interval, wilson_interval

KPI_COLUMNS = ["segment", "kpi", "detail", "value", "value_low", "value_high", "period_start",
               "period_end", "n_records", "low_sample", "method"]
DEFAULT_MIN_RECORDS = 30


class _Rows:
    """Collects KPI rows for one segment and window (keeps the call sites one line each)."""

    def __init__(self, segment: str, window: Window):
        self.segment, self.window, self.rows = segment, window, []

    def add(self, kpi: str, value: float, n: int, low: float = np.nan, high: float = np.nan,
            detail: str = "", method: str = "", start: pd.Timestamp | None = None,
            end: pd.Timestamp | None = None) -> None:
        self.rows.append(dict(
            segment=self.segment, kpi=kpi, detail=detail, value=float(value), value_low=float(low),
            value_high=float(high), period_start=(start or self.window.start).strftime("%Y-%m-%d"),
            period_end=(end or self.window.end).strftime("%Y-%m-%d"), n_records=int(n), method=method,
        ))

    def rate(self, kpi: str, k: float, n: int, confidence: float, detail: str = "", method: str = "") -> None:
        low, high = wilson_interval(k, n, confidence)
        self.add(kpi, k / n if n else np.nan, n, low, high, detail, method)

    def days(self, prefix: str, days: np.ndarray, confidence: float, n_boot: int, seed: int | None,
             method: str) -> None:
        n = int(days.size)
        if n == 0:
            for q in ("median", "p25", "p75"):
                self.add(f"{prefix}_{q}", np.nan, 0, method=method)
            return
        low, high = bootstrap_interval(days, "median", confidence, n_boot, seed)
        self.add(f"{prefix}_median", np.median(days), n, low, high, method=method)
        self.add(f"{prefix}_p25", np.quantile(days, 0.25), n, method=method)
        self.add(f"{prefix}_p75", np.quantile(days, 0.75), n, method=method)


def compute_kpis(
    opportunities: pd.DataFrame,
    leads: pd.DataFrame | None = None,
    targets: pd.DataFrame | None = None,
    *,
    min_records: int = DEFAULT_MIN_RECORDS,
    window_months: int | None = 12,
    as_of: str | pd.Timestamp | None = None,
    link: str = "auto",
    stage_order: Sequence[str] | None = None,
    confidence: float = 0.95,
    n_boot: int = 500,
    random_state: int | None = 0,
) -> pd.DataFrame:
    """The funnel KPIs per segment and for ``ALL`` segments (long format, see the module doc).

    ``as_of`` defaults to the last date in the data (never the clock: reruns stay identical);
    rates use the ``window_months`` before it (None: all history).
    """
    opps = prepare_opportunities(opportunities)
    lead_frame = prepare_leads(leads, opps) if leads is not None else None
    as_of = pd.Timestamp(as_of).normalize() if as_of is not None else data_as_of(opps, lead_frame)
    firsts = [opps["created_at"].min()] + ([lead_frame["created_at"].min()] if lead_frame is not None else [])
    window = kpi_window(as_of, window_months, min(d for d in firsts if pd.notna(d)))
    target_frame = prepare_targets(targets) if targets is not None else None
    order = list(stage_order) if stage_order else infer_stage_order(opps, as_of)

    method = choose_link(lead_frame, opps, link) if lead_frame is not None else "none"
    sqls = link_sqls(lead_frame, opps, method) if lead_frame is not None else None

    segments = sorted(opps["segment"].unique().tolist()) + [OVERALL]
    rows: list[dict] = []
    for segment in segments:
        seg_opps = opps if segment == OVERALL else opps[opps["segment"] == segment]
        seg_leads = None if lead_frame is None else (
            lead_frame if segment == OVERALL else lead_frame[lead_frame["segment"] == segment])
        seg_sqls = None if sqls is None else (sqls if segment == OVERALL else sqls[sqls["segment"] == segment])
        seg_targets = None
        if target_frame is not None:
            seg_targets = (target_frame.groupby(["period", "start", "end"], as_index=False)["target"].sum()
                           if segment == OVERALL else target_frame[target_frame["segment"] == segment])
        out = _Rows(segment, window)
        _segment_kpis(out, seg_opps, seg_leads, seg_sqls, seg_targets, method, order, as_of,
                      confidence, n_boot, random_state)
        rows += out.rows
    rows += _bookings_rows(opps, as_of)
    frame = pd.DataFrame(rows, columns=[c for c in KPI_COLUMNS if c != "low_sample"])
    frame["low_sample"] = frame["n_records"] < int(min_records)
    return frame[KPI_COLUMNS].reset_index(drop=True)


def _segment_kpis(out: _Rows, opps: pd.DataFrame, leads: pd.DataFrame | None, sqls: pd.DataFrame | None,
                  targets: pd.DataFrame | None, link: str, order: list[str], as_of: pd.Timestamp,
                  confidence: float, n_boot: int, seed: int | None) -> None:
    window = out.window
    if leads is not None:
        decided = leads[window.contains(leads["created_at"]) & leads["is_sql"].notna()]
        out.rate("mql_to_sql_rate", decided["is_sql"].sum(), len(decided), confidence,
                 method="SQLs / decided leads created in the window")
        if "sql_at" in leads.columns:
            became = decided[decided["is_sql"] == 1.0]
            lag = (pd.to_datetime(became["sql_at"]) - became["created_at"]).dt.days.dropna().to_numpy(float)
            out.days("mql_to_sql_days", lag, confidence, n_boot, seed, "days from lead creation to sql_at")
        recent = sqls[window.contains(sqls["created_at"])]
        if link == "counts":
            n_opps = int(window.contains(opps["created_at"]).sum())
            k = min(n_opps, len(recent))
            out.rate("sql_to_opportunity_rate", k, len(recent), confidence,
                     method="counts: opportunities / SQLs created in the window, capped at 1")
        else:
            linked = recent["opportunity_created_at"].notna()
            out.rate("sql_to_opportunity_rate", linked.sum(), len(recent), confidence,
                     method=f"SQLs created in the window linked to an opportunity by {link}")
            lag = (recent.loc[linked, "opportunity_created_at"] - recent.loc[linked, "created_at"]).dt.days
            out.days("lead_to_opportunity_days", lag.to_numpy(float), confidence, n_boot, seed,
                     f"days from lead creation to its first opportunity (by {link})")

    closed = opps[window.contains(opps["closed_on"])]
    won = closed[closed["is_won"] == 1.0]
    n_won, n_lost = len(won), int((closed["is_won"] == 0.0).sum())
    out.rate("win_rate", n_won, len(closed), confidence, method="won / closed in the window")
    win_low, win_high = wilson_interval(n_won, len(closed), confidence)
    ratio = (lambda p: p / (1.0 - p) if p < 1.0 else np.inf)
    out.add("win_loss_ratio", n_won / n_lost if n_lost else np.nan, len(closed),
            ratio(win_low) if len(closed) else np.nan, ratio(win_high) if len(closed) else np.nan,
            method="won / lost in the window; interval from the win rate's")
    amounts = won["amount"].dropna().to_numpy(float)
    low, high = bootstrap_interval(amounts, "mean", confidence, n_boot, seed)
    out.add("avg_deal_size", amounts.mean() if amounts.size else np.nan, amounts.size, low, high,
            method="mean amount of deals won in the window; bootstrap interval")
    cycle = (won["closed_on"] - won["created_at"]).dt.days.dropna().to_numpy(float)
    out.days("sales_cycle_days", cycle, confidence, n_boot, seed,
             "days from creation to close of deals won in the window")

    cohort = opps[window.contains(opps["created_at"])]
    for row in stage_conversions(cohort, order).itertuples():
        out.rate("stage_conversion_rate", row.advanced, row.decided, confidence,
                 detail=f"{row.from_stage}->{row.to_stage}",
                 method="snapshot of deals created in the window; see forecasting.funnel.stages")

    open_opps = opps[opps["is_won"].isna() & ~(opps["created_at"] > as_of)]  # undated deals count
    n_open = len(open_opps)
    out.add("open_opportunities", n_open, n_open, method="open deals at the as-of date",
            start=as_of, end=as_of)
    # Open deals without any amount (exports that price a deal only when it closes) leave the
    # open amount unknown (n/a), not zero.
    out.add("open_pipeline_amount", open_opps["amount"].sum(min_count=1) if n_open else 0.0, n_open,
            method="amount of open deals at the as-of date", start=as_of, end=as_of)
    if targets is not None:
        for t in targets.itertuples():
            in_period = open_opps["close_date"].isna() | open_opps["close_date"].between(t.start, t.end)
            amount = open_opps.loc[in_period, "amount"].sum(min_count=1) if in_period.any() else 0.0
            out.add("pipeline_coverage", amount / t.target if t.target > 0 else np.nan, int(in_period.sum()),
                    detail=str(t.period), start=t.start, end=t.end,
                    method="open amount closing in the period (or undated) / target")
    win_rate = n_won / len(closed) if len(closed) else np.nan
    cycle_median = np.median(cycle) if cycle.size else np.nan
    velocity = n_open * win_rate * (amounts.mean() if amounts.size else np.nan) / cycle_median \
        if cycle_median and cycle_median > 0 else np.nan
    out.add("pipeline_velocity", velocity, min(n_open, len(closed), amounts.size), detail="amount per day",
            method="open deals x win rate x avg deal size / median sales cycle days")
    if "owner_rep_id" in opps.columns:
        active = opps[window.contains(opps["created_at"]) | window.contains(opps["closed_on"])]
        reps = active["owner_rep_id"].dropna().nunique()
        if reps:
            out.add("bookings_per_rep_month", won["amount"].fillna(0.0).sum() / (reps * window.months),
                    n_won, detail=f"{reps} reps",
                    method="bookings in the window / (reps owning a deal in the window x months)")


def _bookings_rows(opps: pd.DataFrame, as_of: pd.Timestamp) -> list[dict]:
    quarterly = bookings_growth(bookings_by_period(opps, "Q", as_of))
    rows = []
    for q in quarterly.itertuples():
        base = dict(segment=q.segment, detail=q.period, value_low=np.nan, value_high=np.nan,
                    period_start=q.start.strftime("%Y-%m-%d"), period_end=q.end.strftime("%Y-%m-%d"))
        rows.append(dict(base, kpi="bookings", value=float(q.bookings), n_records=int(q.n_won),
                         method="won amount by close date, complete calendar quarters"))
        for name, label in (("qoq", "previous quarter"), ("yoy", "same quarter a year earlier")):
            value = getattr(q, f"growth_{name}")
            if np.isfinite(value):
                rows.append(dict(base, kpi=f"bookings_growth_{name}", value=float(value),
                                 n_records=int(min(q.n_won, getattr(q, f"n_prior_{name}"))),
                                 method=f"bookings / bookings of the {label} - 1"))
    return rows



HEADLINE_KPIS = ("mql_to_sql_rate", "sql_to_opportunity_rate", "win_rate", "win_loss_ratio", "avg_deal_size",
                 "sales_cycle_days_median", "sales_cycle_days_p25", "sales_cycle_days_p75", "open_opportunities",
                 "open_pipeline_amount", "pipeline_velocity")


def kpi_summary(kpis: pd.DataFrame) -> pd.DataFrame:
    """The headline KPIs as one wide table (a row per KPI, a column per segment) for a report.

    Values resting on fewer than ``min_records`` records get a trailing ``*`` (flagged, not hidden);
    coverage per target period is added as ``pipeline_coverage <period>`` rows.
    """
    rows = kpis[kpis["kpi"].isin(HEADLINE_KPIS) | (kpis["kpi"] == "pipeline_coverage")].copy()
    rows["name"] = np.where(rows["detail"].ne("") & rows["kpi"].eq("pipeline_coverage"),
                            rows["kpi"] + " " + rows["detail"], rows["kpi"])

    def fmt(row: pd.Series) -> str:
        value = row["value"]
        if not np.isfinite(value):
            return "n/a"
        text = f"{value:.1%}" if row["kpi"].endswith("_rate") else f"{value:,.2f}" \
            if row["kpi"] in ("win_loss_ratio", "pipeline_coverage") else f"{value:,.0f}"
        return text + ("*" if row["low_sample"] else "")

    rows["text"] = rows.apply(fmt, axis=1)
    order = [k for k in HEADLINE_KPIS if k in set(rows["name"])] + sorted(
        n for n in rows["name"].unique() if n.startswith("pipeline_coverage"))
    segments = [s for s in rows["segment"].unique() if s != OVERALL] + [OVERALL]
    wide = rows.pivot(index="name", columns="segment", values="text").reindex(index=order, columns=segments)
    return wide.fillna("n/a").rename_axis(index="kpi", columns=None).reset_index()
