"""Unit economics per segment (and ALL) over the window before the plan date.

    CAC                spend / new customers (accounts whose first subscription started in the window)
    cost per lead      spend / leads created in the window
    cost per SQL       spend / SQLs among them
    ARPA               ARR at the plan date / accounts with ARR then
    churn rate         accounts with ARR at the window's start and none at its end / those at its
                       start, per year
    CLV                ARPA x gross margin / churn rate
    CLV:CAC            CLV / CAC
    CAC payback months CAC / (new customers' average ARR x gross margin / 12)
    ROI of spend       (new ARR x gross margin / churn rate - spend) / spend: the margin the
                       window's new customers bring over their lifetime, per unit of spend
Each row says the period it covers and the records behind it.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from forecasting.revenue.arr import OVERALL, account_arr, account_segments, prepare_subscriptions
from forecasting.revenue.config import RevenueConfig
from forecasting.revenue.errors import input_error

UE_COLUMNS = ["segment", "metric", "value", "unit", "period_from", "period_to", "records", "basis"]


def _spend_in_window(spend: pd.DataFrame | None, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame | None:
    if spend is None:
        return None
    for column in ("period", "segment", "amount"):
        if column not in spend.columns:
            raise input_error("spend", column, "missing column", "period (2026Q1 or 2026-01), segment, amount")
    out = spend.copy().reset_index(drop=True)
    periods = []
    for i, text in enumerate(out["period"].astype(str)):
        try:
            periods.append(pd.Period(text))
        except (ValueError, TypeError):
            raise input_error("spend", "period", f"{text!r} is not a period", "a quarter such as 2026Q1 or "
                              "a month such as 2026-01", rows=[i]) from None
    out["start"] = [p.start_time.normalize() for p in periods]
    out["end"] = [p.end_time.normalize() for p in periods]
    out["amount"] = pd.to_numeric(out["amount"], errors="coerce")
    bad = out["amount"].isna() | (out["amount"] < 0)
    if bad.any():
        raise input_error("spend", "amount", "value(s) missing, not numbers or negative", "an amount >= 0",
                          rows=np.flatnonzero(bad.to_numpy()))
    # Whole periods inside the window only: a period half in it would be counted whole.
    return out[(out["start"] >= start) & (out["end"] <= end)]


def unit_economics(subscriptions: pd.DataFrame, as_of: str | pd.Timestamp, *, spend: pd.DataFrame | None = None,
                   leads: pd.DataFrame | None = None, opportunities: pd.DataFrame | None = None,
                   config: RevenueConfig | None = None) -> pd.DataFrame:
    """The unit-economics table (:data:`UE_COLUMNS`): one row per segment and metric. A metric
    whose inputs are missing (no spend table, no churn in the window) is left empty with the
    reason in ``basis``."""
    config = config or RevenueConfig()
    subs = prepare_subscriptions(subscriptions)
    as_of = pd.Timestamp(as_of).normalize()
    start = (as_of + pd.Timedelta(days=1) - pd.DateOffset(months=config.window_months)).normalize()
    years = config.window_months / 12.0
    window = _spend_in_window(spend, start, as_of)
    wide = account_arr(subs, [start - pd.Timedelta(days=1), as_of])
    segment = account_segments(subs).reindex(wide.index)
    first = subs.groupby("account_id")["start_date"].min().reindex(wide.index)
    arr0, arr1 = wide.iloc[:, 0], wide.iloc[:, 1]
    is_new = (first >= start) & (first <= as_of)
    # The new customers' ARR: what they pay at the plan date.
    new_arr = arr1.where(is_new, 0.0)
    lead_frame = None
    if leads is not None and "created_at" in leads.columns:
        created = pd.to_datetime(leads["created_at"], errors="coerce")
        lead_frame = leads[(created >= start) & (created <= as_of + pd.Timedelta(days=1))]
    won = None
    if opportunities is not None and {"is_won", "close_date"} <= set(opportunities.columns):
        close = pd.to_datetime(opportunities["close_date"], errors="coerce")
        mask = (pd.to_numeric(opportunities["is_won"], errors="coerce") == 1) & (close >= start) & (close <= as_of)
        if "type" in opportunities.columns:
            kind = opportunities["type"].astype("string").str.strip().str.lower()
            mask &= kind.isna() | (kind == "") | (kind == "new")
        won = opportunities[mask]
    segments = sorted(set(segment.dropna())) + [OVERALL]
    rows = []
    period_from, period_to = start.date().isoformat(), as_of.date().isoformat()

    def add(seg: str, metric: str, value: float | None, unit: str, records: int, basis: str) -> None:
        ok = value is not None and np.isfinite(value)
        rows.append({"segment": seg, "metric": metric, "value": float(value) if ok else np.nan, "unit": unit,
                     "period_from": period_from, "period_to": period_to, "records": int(records),
                     "basis": basis})

    for seg in segments:
        pick = np.ones(len(wide), dtype=bool) if seg == OVERALL else (segment == seg).to_numpy()
        n_new = int(is_new[pick].sum())
        start_accounts = int((arr0[pick] > 0).sum())
        churned = int(((arr0[pick] > 0) & (arr1[pick] <= 0)).sum())
        active = int((arr1[pick] > 0).sum())
        arpa = float(arr1[pick].sum()) / active if active else np.nan
        churn = churned / start_accounts / years if start_accounts and churned else np.nan
        new_total = float(new_arr[pick].sum())
        if window is not None:
            seg_spend = window if seg == OVERALL else window[window["segment"].astype(str) == seg]
            cost = float(seg_spend["amount"].sum())
            n_spend = len(seg_spend)
        else:
            cost, n_spend = np.nan, 0
        no_spend = "no spend table" if window is None else None
        add(seg, "new_customers", n_new, "accounts", n_new, "accounts whose first subscription started in the window")
        add(seg, "spend", cost, "currency", n_spend, no_spend or f"{n_spend} spend rows (whole periods in the window)")
        add(seg, "cac", cost / n_new if n_new else np.nan, "currency per customer", n_new,
            no_spend or f"spend / {n_new} new customers")
        if won is not None:
            seg_won = won if seg == OVERALL else won[won["segment"].astype(str) == seg]
            add(seg, "cost_per_won_deal", cost / len(seg_won) if len(seg_won) else np.nan, "currency per deal",
                len(seg_won), no_spend or f"spend / {len(seg_won)} won new-business opportunities")
        if lead_frame is not None:
            seg_leads = lead_frame if seg == OVERALL or "segment" not in lead_frame.columns else \
                lead_frame[lead_frame["segment"].astype(str) == seg]
            sqls = 0
            if "is_sql" in seg_leads.columns:
                sqls = int((pd.to_numeric(seg_leads["is_sql"], errors="coerce") == 1).sum())
            add(seg, "cost_per_lead", cost / len(seg_leads) if len(seg_leads) else np.nan, "currency per lead",
                len(seg_leads), no_spend or f"spend / {len(seg_leads)} leads created in the window")
            add(seg, "cost_per_sql", cost / sqls if sqls else np.nan, "currency per SQL", sqls,
                no_spend or f"spend / {sqls} SQLs among them")
        add(seg, "arpa", arpa, "ARR per account", active, f"ARR at {period_to} / {active} accounts with ARR")
        add(seg, "churn_rate", churn, "share of accounts per year", start_accounts,
            f"{churned} of {start_accounts} accounts with ARR at the window's start had none at its end"
            + ("" if churned else "; no churn in the window: CLV is not estimated"))
        clv = arpa * config.gross_margin / churn if np.isfinite(churn) else np.nan
        add(seg, "clv", clv, "currency per customer", active, f"ARPA x gross margin {config.gross_margin} / churn rate")
        cac = cost / n_new if n_new else np.nan
        add(seg, "clv_to_cac", clv / cac if np.isfinite(cac) and cac > 0 else np.nan, "ratio", n_new,
            no_spend or "CLV / CAC")
        new_arpa = new_total / n_new if n_new else np.nan
        payback = cac / (new_arpa * config.gross_margin / 12) if n_new and new_arpa > 0 else np.nan
        add(seg, "cac_payback_months", payback, "months", n_new,
            no_spend or f"CAC / (new customers' average ARR {new_arpa:,.0f} x gross margin / 12)")
        value = new_total * config.gross_margin / churn if np.isfinite(churn) else np.nan
        add(seg, "roi_of_spend", (value - cost) / cost if cost and cost > 0 else np.nan, "ratio", n_spend,
            no_spend or "(new ARR x gross margin / churn rate - spend) / spend")
    return pd.DataFrame(rows, columns=UE_COLUMNS)
