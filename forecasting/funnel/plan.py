"""The funnel worked back from the target: won deals, opportunities, SQLs and MQLs per month.

Per segment and month of each target period (the *close* month, ``for_close_period``):

    won         = bookings target of the month / average deal size
    opportunity = won / win rate
    sql         = opportunity / SQL->opportunity rate
    mql         = sql / MQL->SQL rate

so every row's ``required`` is the row above divided by its ``rate`` (``rate_name`` says which;
for ``won`` the divisor is the deal size). ``required_low``/``required_high`` chain the
optimistic/pessimistic ends of every interval. Each requirement is placed in the month it must
happen (``period``): the close month minus the cumulative lag of the stages below it, rounded to
whole months (an MQL needed in March for a deal closing in June when the three lags add to ~90
days).

What can still be done (:func:`net_plan`): a month before the first month after ``as_of`` is
``in_past``; it shows what happened (``actual``) and the resulting ``gap`` (required - actual;
negative: ahead of plan), and nothing is ``still_needed`` there. From the as-of month on, each
cohort (close month) is worked top-down: the won deals it needs, less those already won this
month and less the open opportunities' expected wins (``expected_from_open``: their expected
bookings at the deal size, earliest month first), are what new opportunities must bring; those
opportunities, turned into SQLs, are netted against the open MQLs' expected SQLs (from their
lead scores, earliest month first), and the rest turned into MQLs. A cohort whose stage month is
already past needs nothing more at that stage or below: its shortfall shows as the ``gap``.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from forecasting.funnel.config import FunnelConfig
from forecasting.funnel.bookings import month_shares
from forecasting.funnel.drivers import driver_table, estimate_drivers
from forecasting.funnel.errors import input_error
from forecasting.funnel.prep import (
    DAYS_PER_MONTH, OVERALL, prepare_leads, prepare_opportunities, prepare_targets,
)

STAGES = ("won", "opportunity", "sql", "mql")
# stage -> (driver dividing the stage above into this one, the lag added on the way down)
STAGE_DRIVERS = {
    "won": ("avg_deal_size", None),
    "opportunity": ("win_rate", "sales_cycle_days"),
    "sql": ("sql_to_opportunity_rate", "sql_to_opportunity_days"),
    "mql": ("mql_to_sql_rate", "mql_to_sql_days"),
}
PLAN_COLUMNS = [
    "segment", "target_period", "for_close_period", "period", "stage", "required", "required_low",
    "required_high", "rate", "rate_low", "rate_high", "rate_name", "rate_source", "lag_days",
    "lag_months", "bookings_target", "in_past", "actual", "gap", "expected_from_open", "still_needed",
]


def months_back(days: float) -> int:
    """Whole months a lag spans, rounded to the nearest (half a month rounds up): 90 days -> 3."""
    return int(math.floor(days / DAYS_PER_MONTH + 0.5))


def monthly_targets(targets: pd.DataFrame, opportunities: pd.DataFrame | None,
                    assumptions: FunnelConfig, shares: pd.DataFrame | None = None) -> pd.DataFrame:
    """segment, target_period, month (Timestamp), bookings_target: each target split into months.

    ``history``: each month's share of its calendar quarter in past bookings (segment, else all
    segments, else even); ``even``: equal months. ``shares`` (from
    :func:`forecasting.funnel.bookings.month_shares`) saves recomputing them in a loop.
    """
    frame = prepare_targets(targets)
    if assumptions.monthly_split != "history":
        shares = None
    elif shares is None and opportunities is not None:
        shares = month_shares(prepare_opportunities(opportunities))
    rows = []
    for t in frame.itertuples():
        months = pd.period_range(t.start, t.end, freq="M")
        weights = np.ones(len(months))
        if shares is not None:
            for label in (t.segment, OVERALL):
                part = shares[shares["segment"] == label].set_index("month_of_year")["share"]
                found = [part.get(m.month, np.nan) for m in months]
                if np.all(np.isfinite(found)) and sum(found) > 0:
                    weights = np.asarray(found, dtype=float)
                    break
        weights = weights / weights.sum()
        total = float(t.target) * (1.0 + assumptions.target_growth)
        for month, weight in zip(months, weights):
            rows.append(dict(segment=t.segment, target_period=t.period, month=month.start_time,
                             bookings_target=total * weight))
    return pd.DataFrame(rows, columns=["segment", "target_period", "month", "bookings_target"])


def build_funnel_plan(
    targets: pd.DataFrame,
    kpis: pd.DataFrame,
    *,
    opportunities: pd.DataFrame | None = None,
    leads: pd.DataFrame | None = None,
    lead_scores: pd.DataFrame | None = None,
    assumptions: FunnelConfig | None = None,
    min_records: int | None = None,
    drivers: pd.DataFrame | None = None,
    shares: pd.DataFrame | None = None,
    open_sqls: pd.Series | None = None,
    open_bookings: pd.Series | None = None,
    as_of: str | pd.Timestamp | None = None,
) -> pd.DataFrame:
    """The ``funnel_plan`` table (columns :data:`PLAN_COLUMNS`); see the module doc.

    ``kpis`` comes from :func:`forecasting.funnel.kpis.compute_kpis`; ``opportunities`` (optional)
    gives the monthly seasonality of the targets; ``lead_scores`` (lead_id, probability of the
    open MQLs) with ``leads`` (for the segment and which leads are open) lowers the MQL goal.
    Without lead KPIs the plan stops at the opportunity stage. ``drivers``, ``shares`` and
    ``open_sqls`` (expected SQLs from open MQLs per segment) may be passed precomputed (what-if loops).
    ``open_bookings``: per segment, the bookings expected from today's open opportunities within
    the plan (e.g. the pipeline forecast's win probability x amount); None: with
    ``opportunities``, each open deal at the segment's win rate (:func:`open_bookings_at_win_rate`).
    ``as_of``: the plan date (None: the last date of the KPIs). ``min_records``: None takes
    ``assumptions.min_records``.
    """
    assumptions = assumptions or FunnelConfig()
    monthly = monthly_targets(targets, opportunities, assumptions, shares)
    segments = sorted(monthly["segment"].unique().tolist())
    if drivers is None:
        drivers = estimate_drivers(kpis, segments, assumptions, min_records)
    table = driver_table(drivers)
    as_of = pd.Timestamp(as_of).normalize() if as_of is not None else _data_as_of(kpis)
    as_of_month = as_of.to_period("M").start_time if as_of is not None else None
    # The first month anything can still happen in: a plan made on 31 December starts in January.
    open_month = (as_of + pd.Timedelta(days=1)).to_period("M").start_time if as_of is not None else None
    stages = [s for s in STAGES if STAGE_DRIVERS[s][0] in table[segments[0]]] if segments else []
    rows = []
    for m in monthly.itertuples():
        d = table[m.segment]
        need = low_need = high_need = m.bookings_target
        lag_days = 0.0
        for stage in stages:
            rate_name, lag_name = STAGE_DRIVERS[stage]
            r = d[rate_name]
            if lag_name is not None:
                lag_days += d[lag_name]["value"]
            need, low_need, high_need = need / r["value"], low_need / r["high"], high_need / r["low"]
            lag_months = months_back(lag_days)
            period = (m.month.to_period("M") - lag_months).start_time
            rows.append(dict(
                segment=m.segment, target_period=m.target_period, for_close_period=m.month,
                period=period, stage=stage, required=need, required_low=low_need, required_high=high_need,
                rate=r["value"], rate_low=r["low"], rate_high=r["high"], rate_name=rate_name,
                rate_source=r["source"], lag_days=lag_days, lag_months=lag_months,
                bookings_target=m.bookings_target, expected_from_open=np.nan, still_needed=need,
                in_past=bool(open_month is not None and period < open_month), actual=np.nan,
                gap=np.nan,
            ))
    plan = pd.DataFrame(rows, columns=PLAN_COLUMNS)
    if open_sqls is None and lead_scores is not None:
        open_sqls = expected_sqls_from_open(lead_scores, leads, opportunities)
    if open_bookings is None and opportunities is not None and as_of is not None:
        open_bookings = open_bookings_at_win_rate(opportunities, drivers, as_of)
    if as_of_month is not None:
        plan = add_actuals(plan, opportunities, leads, as_of_month)
        plan = net_plan(plan, open_month, as_of_month, open_bookings,
                        open_sqls if "sql" in stages else None)
    plan["stage_order"] = plan["stage"].map({s: i for i, s in enumerate(STAGES)})
    plan = plan.sort_values(["segment", "target_period", "for_close_period", "stage_order"]) \
        .drop(columns="stage_order").reset_index(drop=True)
    for column in ("for_close_period", "period"):
        plan[column] = plan[column].dt.strftime("%Y-%m-%d")
    return plan


def _data_as_of(kpis: pd.DataFrame) -> pd.Timestamp | None:
    rows = kpis[kpis["kpi"] == "win_rate"]
    if rows.empty:
        return None
    return pd.Timestamp(rows["period_end"].max()).normalize()


def open_bookings_at_win_rate(opportunities: pd.DataFrame, drivers: pd.DataFrame,
                              as_of: pd.Timestamp) -> pd.Series:
    """Per segment: the open opportunities' amounts (the average deal size where empty) x the
    segment's win rate; the fallback when no pipeline forecast gives each deal's probability."""
    opps = prepare_opportunities(opportunities)
    open_deals = opps[opps["is_won"].isna() & ~(opps["created_at"] > as_of)]
    table = driver_table(drivers)
    out = {}
    for segment, deals in open_deals.groupby("segment"):
        if segment not in table or "win_rate" not in table[segment]:
            continue
        size = table[segment]["avg_deal_size"]["value"]
        out[segment] = float(deals["amount"].fillna(size).sum() * table[segment]["win_rate"]["value"])
    return pd.Series(out, dtype=float)


def expected_sqls_from_open(lead_scores: pd.DataFrame, leads: pd.DataFrame | None,
                            opportunities: pd.DataFrame | None = None) -> pd.Series:
    """Per segment, the sum of the SQL probabilities of the MQLs still open.

    A scored lead counts only if the leads table says it is open (``is_sql`` empty); without a
    leads table the scores must carry a ``segment`` column and are taken as all open.
    """
    for column in ("lead_id", "probability"):
        if column not in lead_scores.columns:
            raise input_error("lead scores", column, "a missing column", "columns lead_id, probability",
                              f"columns {', '.join(map(str, lead_scores.columns))}",
                              "pass the lead scorer's output: lead_id and probability per open lead")
    probs = pd.to_numeric(lead_scores["probability"], errors="coerce")
    bad = probs.isna() | (probs < 0) | (probs > 1)
    if bad.any():
        raise input_error("lead scores", "probability", "values outside [0, 1]", "a probability in [0, 1]",
                          repr(lead_scores.loc[bad, "probability"].astype(str).tolist()[:3]),
                          "pass probabilities, not 0-100 scores", rows=np.flatnonzero(bad.to_numpy()))
    scores = lead_scores.assign(probability=probs)
    if leads is not None:
        frame = prepare_leads(leads, prepare_opportunities(opportunities) if opportunities is not None else None)
        open_leads = frame.loc[frame["is_sql"].isna(), ["lead_id", "segment"]]
        scores = scores.drop(columns=["segment"], errors="ignore").merge(open_leads, on="lead_id", how="inner")
    elif "segment" not in scores.columns:
        raise input_error("lead scores", "segment", "no way to tell each lead's segment",
                          "a leads table, or a segment column in the scores", "neither",
                          "pass the leads file too")
    return scores.dropna(subset=["segment"]).groupby("segment")["probability"].sum()


def net_plan(plan: pd.DataFrame, open_month: pd.Timestamp, as_of_month: pd.Timestamp,
             open_bookings: pd.Series | None = None, open_sqls: pd.Series | None = None) -> pd.DataFrame:
    """``still_needed``, ``expected_from_open`` and ``gap`` of every row (see the module doc).

    ``open_bookings``: bookings expected from the open opportunities per segment (they cover won
    deals at the segment's deal size); ``open_sqls``: SQLs expected from the open MQLs per
    segment. Both are used up earliest month first, from ``open_month`` on.
    """
    plan = plan.copy()
    past = plan["period"] < open_month
    plan["in_past"] = past
    plan["still_needed"] = 0.0
    plan["expected_from_open"] = np.nan
    plan["gap"] = np.where(past, plan["required"] - plan["actual"], np.nan)
    if open_bookings is not None:
        plan.loc[plan["stage"] == "won", "expected_from_open"] = 0.0
    if open_sqls is not None:
        plan.loc[plan["stage"].isin(["sql", "mql"]), "expected_from_open"] = 0.0
    won_rows = plan[plan["stage"] == "won"]
    deal_size = won_rows.groupby("segment")["rate"].first()
    won_pool = {} if open_bookings is None else {
        s: float(v) / float(deal_size[s]) for s, v in open_bookings.items()
        if s in deal_size.index and deal_size[s] > 0 and np.isfinite(v)}
    sql_pool = {s: float(v) for s, v in open_sqls.items()} if open_sqls is not None else {}
    order = {s: i for i, s in enumerate(STAGES)}
    keyed = plan.assign(_order=plan["stage"].map(order)).sort_values(
        ["segment", "for_close_period", "_order"])
    for (segment, _), cohort in keyed.groupby(["segment", "for_close_period"], sort=False):
        carry = 0.0        # volume the stage above still needs from new work
        sql_open = 0.0     # SQLs of this cohort covered by open MQLs (shown on the MQL row too)
        for idx in cohort.index:
            stage = plan.at[idx, "stage"]
            if past[idx]:  # too late for this stage, and for every stage below (earlier months)
                carry = 0.0
                continue
            if stage == "won":
                need = float(plan.at[idx, "required"])
                done = plan.at[idx, "actual"]
                if plan.at[idx, "period"] <= as_of_month and np.isfinite(done):
                    need = max(need - float(done), 0.0)  # won already this month
                used = min(won_pool.get(segment, 0.0), need)
                if used:
                    won_pool[segment] -= used
                if open_bookings is not None:
                    plan.at[idx, "expected_from_open"] = used
                need -= used
            else:
                need = carry / float(plan.at[idx, "rate"])
                if stage == "sql":
                    used = min(sql_pool.get(segment, 0.0), need)
                    if used:
                        sql_pool[segment] -= used
                    if open_sqls is not None:
                        plan.at[idx, "expected_from_open"] = used
                    sql_open = used
                    need -= used
                elif stage == "mql" and open_sqls is not None:
                    plan.at[idx, "expected_from_open"] = sql_open / float(plan.at[idx, "rate"])
            plan.at[idx, "still_needed"] = need
            carry = need
    return plan


def monthly_actuals(opportunities: pd.DataFrame | None, leads: pd.DataFrame | None) -> pd.DataFrame:
    """segment, stage, period (month start), actual: what each stage produced per month in the data.

    mql = leads created; sql = leads created that became SQLs (the SQL date itself is rarely
    exported); opportunity = opportunities created; won = deals won, by close date.
    """
    parts = []
    if opportunities is not None:
        opps = prepare_opportunities(opportunities)
        parts.append(opps.assign(stage="opportunity", period=opps["created_at"]))
        won = opps[opps["is_won"] == 1.0]
        parts.append(won.assign(stage="won", period=won["closed_on"]))
    if leads is not None:
        frame = prepare_leads(leads, prepare_opportunities(opportunities) if opportunities is not None else None)
        parts.append(frame.assign(stage="mql", period=frame["created_at"]))
        sqls = frame[frame["is_sql"] == 1.0]
        parts.append(sqls.assign(stage="sql", period=sqls["created_at"]))
    if not parts:
        return pd.DataFrame(columns=["segment", "stage", "period", "actual"])
    rows = pd.concat([p[["segment", "stage", "period"]] for p in parts], ignore_index=True).dropna()
    rows["period"] = rows["period"].dt.to_period("M").dt.start_time
    return rows.groupby(["segment", "stage", "period"]).size().rename("actual").astype(float).reset_index()


def add_actuals(plan: pd.DataFrame, opportunities: pd.DataFrame | None, leads: pd.DataFrame | None,
                as_of_month: pd.Timestamp) -> pd.DataFrame:
    """``actual`` = the data's volume for rows in past months or the as-of month (else NaN).

    For information: a past month's requirement was due already, and the actual shows how much of
    it the funnel produced (0 when the data has none; NaN when the table was not given).
    """
    actuals = monthly_actuals(opportunities, leads)
    known = {"opportunity", "won"} if opportunities is not None else set()
    known |= {"mql", "sql"} if leads is not None else set()
    merged = plan.drop(columns="actual").merge(actuals, on=["segment", "stage", "period"], how="left")
    due = (merged["period"] <= as_of_month) & merged["stage"].isin(known)
    actual = pd.to_numeric(merged["actual"], errors="coerce").astype(float)
    merged["actual"] = np.where(due, actual.fillna(0.0), np.nan)
    return merged[PLAN_COLUMNS]


TOTAL_COLUMNS = ["segment", "stage", "required", "due_before_as_of", "actual", "gap",
                 "expected_from_open", "still_needed"]


def funnel_totals(plan: pd.DataFrame) -> pd.DataFrame:
    """segment (and ``ALL``), stage and, over the whole plan: ``required``; of it, what was
    ``due_before_as_of`` (months already past), what those months produced (``actual``) and the
    ``gap`` (due - actual; negative: ahead); what the open pipeline and open leads are expected
    to bring (``expected_from_open``); and what is ``still_needed`` from now on: the SLA headline."""
    frame = plan.assign(
        due_before_as_of=plan["required"].where(plan["in_past"].astype(bool), 0.0),
        actual=plan["actual"].where(plan["in_past"].astype(bool)),
        gap=plan["gap"].where(plan["in_past"].astype(bool)))
    columns = TOTAL_COLUMNS[2:]
    totals = frame.groupby(["segment", "stage"], as_index=False)[columns].sum(min_count=1)
    totals["required"] = totals["required"].fillna(0.0)
    totals["due_before_as_of"] = totals["due_before_as_of"].fillna(0.0)
    totals["still_needed"] = totals["still_needed"].fillna(0.0)
    overall = totals.groupby("stage", as_index=False)[columns].sum(min_count=1).assign(segment=OVERALL)
    out = pd.concat([totals, overall], ignore_index=True)
    out["stage_order"] = out["stage"].map({s: i for i, s in enumerate(STAGES)})
    out["segment_order"] = (out["segment"] == OVERALL).astype(int)
    return out.sort_values(["segment_order", "segment", "stage_order"])[TOTAL_COLUMNS].reset_index(drop=True)
