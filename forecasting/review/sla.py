"""SLA compliance: each lead's first touch and first-week cadence, and the monthly summary.

Per lead (:func:`lead_sla`): when it was first touched (any channel), whether that was the same
day and within the SLA's deadline, the calls and emails within ``cadence_days`` of arrival, and
whether the cadence window is over at ``as_of``. A lead whose window is not over is counted
apart: it can still meet the cadence, so it is neither compliant nor not.
"""
from __future__ import annotations

from statistics import NormalDist

import numpy as np
import pandas as pd

from forecasting.review.clock import first_touch_deadline
from forecasting.review.config import SlaConfig

ALL = "ALL"
SUMMARY_COLUMNS = [
    "segment", "month", "leads", "first_touch_same_day", "first_touch_same_day_share",
    "first_touch_in_sla", "first_touch_in_sla_share", "first_touch_pending",
    "median_minutes_to_first_touch", "cadence_window_open", "cadence_due", "cadence_met",
    "cadence_met_share", "compliant", "non_compliant", "compliant_labelled", "compliant_sqls",
    "sql_rate_compliant", "sql_rate_compliant_low", "sql_rate_compliant_high",
    "non_compliant_labelled", "non_compliant_sqls", "sql_rate_non_compliant",
    "sql_rate_non_compliant_low", "sql_rate_non_compliant_high",
]


def wilson(successes: np.ndarray | float, trials: np.ndarray | float, level: float = 0.95):
    """Wilson score interval of a proportion: (rate, low, high); NaN where there are no trials.
    Unlike rate +/- z*se it stays inside [0, 1] and is honest for small counts and rates near 0."""
    k = np.asarray(successes, dtype=float)
    n = np.asarray(trials, dtype=float)
    z = NormalDist().inv_cdf(0.5 + level / 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = k / n
        centre = (rate + z * z / (2 * n)) / (1 + z * z / n)
        half = z / (1 + z * z / n) * np.sqrt(rate * (1 - rate) / n + z * z / (4 * n * n))
    empty = n <= 0
    nan = np.nan
    # Clipped: at k = 0 or k = n the bound is exactly 0 or 1, not a rounding error away.
    low = np.where(k <= 0, 0.0, np.clip(centre - half, 0, 1))
    high = np.where(k >= n, 1.0, np.clip(centre + half, 0, 1))
    return np.where(empty, nan, rate), np.where(empty, nan, low), np.where(empty, nan, high)


def lead_sla(leads: pd.DataFrame, activities: pd.DataFrame, as_of: pd.Timestamp,
             config: SlaConfig) -> pd.DataFrame:
    """One row per lead (prepared by :func:`forecasting.review.activities.prepare_leads`), with
    its SLA facts as of the end of ``as_of``'s day. Activities after that are not counted."""
    end = pd.Timestamp(as_of).normalize() + pd.Timedelta(days=1)
    acts = activities[activities["is_touch"] & (activities["at"] < end)]
    created = leads.set_index("lead_id")["created_at"]
    acts = acts.assign(created=acts["lead_id"].map(created))
    # A touch logged before the lead existed is an export quirk, not a first touch.
    acts = acts[acts["at"] >= acts["created"]]
    window_end = acts["created"] + pd.Timedelta(days=config.cadence_days)
    in_window = acts[acts["at"] < window_end]
    first = acts.groupby("lead_id")["at"].min()
    count = lambda frame, channel: frame[frame["channel"] == channel].groupby("lead_id").size()  # noqa: E731
    out = leads[["lead_id", "segment", "created_at", "is_sql", "disposition", "rejection_reason",
                 "owner_rep_id"]].copy()
    ids = out["lead_id"]
    out["month"] = out["created_at"].dt.strftime("%Y-%m")
    out["first_touch_at"] = ids.map(first)
    out["minutes_to_first_touch"] = (out["first_touch_at"] - out["created_at"]) / pd.Timedelta(minutes=1)
    out["first_touch_deadline"] = first_touch_deadline(out["created_at"], config)
    touched = out["first_touch_at"].notna()
    out["first_touch_same_day"] = touched & (out["first_touch_at"].dt.normalize() == out["created_at"].dt.normalize())
    out["first_touch_in_sla"] = touched & (out["first_touch_at"] < out["first_touch_deadline"])
    # Not touched yet, and still in time: undecided.
    out["first_touch_pending"] = ~touched & (out["first_touch_deadline"] > end)
    out["calls_in_window"] = ids.map(count(in_window, "call")).fillna(0).astype(int)
    out["emails_in_window"] = ids.map(count(in_window, "email")).fillna(0).astype(int)
    out["calls_so_far"] = ids.map(count(acts, "call")).fillna(0).astype(int)
    out["emails_so_far"] = ids.map(count(acts, "email")).fillna(0).astype(int)
    out["touches_so_far"] = ids.map(acts.groupby("lead_id").size()).fillna(0).astype(int)
    out["cadence_window_over"] = out["created_at"] + pd.Timedelta(days=config.cadence_days) <= end
    out["cadence_met"] = ((out["calls_in_window"] >= config.min_calls)
                          & (out["emails_in_window"] >= config.min_emails))
    # Compliant: the first touch in time and the cadence done; decided once the window is over.
    out["compliant"] = out["first_touch_in_sla"] & out["cadence_met"]
    out["age_days"] = (end - out["created_at"]) / pd.Timedelta(days=1)
    return out


def sla_summary(facts: pd.DataFrame, config: SlaConfig) -> pd.DataFrame:
    """Per segment (and ALL) and month (and ALL): counts, shares, minutes to first touch, and the
    SQL rate of compliant vs non-compliant leads with Wilson intervals (:data:`SUMMARY_COLUMNS`)."""
    frame = facts.copy()
    due = frame["cadence_window_over"]
    labelled = frame["is_sql"].notna()
    frame["_lead"] = 1
    frame["_ft_same"] = frame["first_touch_same_day"].astype(int)
    frame["_ft_sla"] = frame["first_touch_in_sla"].astype(int)
    frame["_ft_pending"] = frame["first_touch_pending"].astype(int)
    frame["_open"] = (~due).astype(int)
    frame["_due"] = due.astype(int)
    frame["_met"] = (due & frame["cadence_met"]).astype(int)
    frame["_c"] = (due & frame["compliant"]).astype(int)
    frame["_n"] = (due & ~frame["compliant"]).astype(int)
    frame["_c_lab"] = (due & frame["compliant"] & labelled).astype(int)
    frame["_c_sql"] = (due & frame["compliant"] & (frame["is_sql"] == 1)).astype(int)
    frame["_n_lab"] = (due & ~frame["compliant"] & labelled).astype(int)
    frame["_n_sql"] = (due & ~frame["compliant"] & (frame["is_sql"] == 1)).astype(int)
    counts = [c for c in frame.columns if c.startswith("_")]
    parts = []
    for seg_all in (False, True):
        for month_all in (False, True):
            part = frame.assign(**({"segment": ALL} if seg_all else {}), **({"month": ALL} if month_all else {}))
            grouped = part.groupby(["segment", "month"])
            sums = grouped[counts].sum()
            sums["median_minutes_to_first_touch"] = grouped["minutes_to_first_touch"].median()
            parts.append(sums.reset_index())
    table = pd.concat(parts, ignore_index=True)
    out = pd.DataFrame({"segment": table["segment"], "month": table["month"], "leads": table["_lead"]})
    out["first_touch_same_day"] = table["_ft_same"]
    decided = table["_lead"] - table["_ft_pending"]
    with np.errstate(invalid="ignore", divide="ignore"):
        out["first_touch_same_day_share"] = np.where(decided > 0, table["_ft_same"] / decided, np.nan)
        out["first_touch_in_sla"] = table["_ft_sla"]
        out["first_touch_in_sla_share"] = np.where(decided > 0, table["_ft_sla"] / decided, np.nan)
        out["first_touch_pending"] = table["_ft_pending"]
        out["median_minutes_to_first_touch"] = table["median_minutes_to_first_touch"]
        out["cadence_window_open"] = table["_open"]
        out["cadence_due"] = table["_due"]
        out["cadence_met"] = table["_met"]
        out["cadence_met_share"] = np.where(table["_due"] > 0, table["_met"] / table["_due"], np.nan)
    out["compliant"], out["non_compliant"] = table["_c"], table["_n"]
    for name, lab, sql in (("compliant", "_c_lab", "_c_sql"), ("non_compliant", "_n_lab", "_n_sql")):
        out[f"{name}_labelled"], out[f"{name}_sqls"] = table[lab], table[sql]
        rate, low, high = wilson(table[sql].to_numpy(), table[lab].to_numpy(), config.level)
        out[f"sql_rate_{name}"], out[f"sql_rate_{name}_low"], out[f"sql_rate_{name}_high"] = rate, low, high
    # ALL last, in each of segment and month.
    out["_s"], out["_m"] = out["segment"] == ALL, out["month"] == ALL
    out = out.sort_values(["_s", "segment", "_m", "month"], kind="stable").drop(columns=["_s", "_m"])
    return out[SUMMARY_COLUMNS].reset_index(drop=True)
