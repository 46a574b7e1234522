"""Activities and leads as the review reads them: touches, dispositions, owners, labels.

A touch is any activity (call, email, meeting, other) except a recorded disposition: an
activity whose ``outcome`` is ``accepted`` or ``rejected`` (optionally ``rejected: <reason>``) is
sales' verdict on the lead, logged as a task in many CRMs, not a touch. A lead's own
``disposition`` / ``rejection_reason`` columns win over such activities.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from forecasting.review.clock import local_times
from forecasting.review.errors import ReviewInputError, input_error

CHANNELS = ("call", "email", "meeting", "other")
DISPOSITIONS = ("accepted", "rejected")
UNKNOWN_SEGMENT = "Unknown"
_VERDICT = r"^\s*(accepted|rejected)\s*(?:[:\-–]\s*(.*?))?\s*$"


def _flag(series: pd.Series, table: str, column: str) -> pd.Series:
    """1.0 / 0.0 / NaN (open) from the label column as the contract hands it over."""
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        values = pd.to_numeric(series, errors="coerce").astype(float)
    else:
        text = series.astype("string").str.strip().str.lower()
        mapping = {"1": 1.0, "0": 0.0, "1.0": 1.0, "0.0": 0.0, "true": 1.0, "false": 0.0,
                   "yes": 1.0, "no": 0.0, "y": 1.0, "n": 0.0, "": np.nan}
        values = text.map(mapping).astype(float)
        bad = text.notna() & ~text.isin(list(mapping))
        if bad.any():
            raise input_error(table, column, "value(s) are not true/false", np.flatnonzero(bad.to_numpy()),
                              "use 1/0, true/false or yes/no; empty = still open")
    bad = values.notna() & ~values.isin([0.0, 1.0])
    if bad.any():
        raise input_error(table, column, "value(s) are not 1 or 0", np.flatnonzero(bad.to_numpy()))
    return values


def prepare_leads(leads: pd.DataFrame, timezone: str, label: str = "is_sql",
                  segments: pd.Series | None = None) -> pd.DataFrame:
    """lead_id, segment, created_at (local), is_sql (1/0/NaN), owner_rep_id, disposition,
    rejection_reason, plus the leads' other columns. ``segments``: account_id -> segment, for
    leads without a segment column."""
    for column in ("lead_id", "created_at"):
        if column not in leads.columns:
            raise ReviewInputError(f"leads: no '{column}' column; the review needs lead_id and created_at.")
    out = leads.copy()
    out["lead_id"] = out["lead_id"].astype(str)
    out["created_at"] = local_times(out["created_at"], timezone)
    undated = out["created_at"].isna()
    if undated.any():
        raise input_error("leads", "created_at", "lead(s) without a creation date",
                          np.flatnonzero(undated.to_numpy()), "every lead needs the date it arrived")
    out["is_sql"] = _flag(out[label], "leads", label) if label in out.columns else np.nan
    if "segment" in out.columns:
        segment = out["segment"]
    elif segments is not None and "account_id" in out.columns:
        segment = out["account_id"].map(segments)
    else:
        segment = pd.Series(None, index=out.index, dtype=object)
    out["segment"] = segment.astype(object).where(segment.notna() & (segment.astype(str).str.strip() != ""),
                                                  UNKNOWN_SEGMENT).astype(str)
    for column in ("owner_rep_id", "disposition", "rejection_reason"):
        if column not in out.columns:
            out[column] = None
        out[column] = out[column].astype(object).where(out[column].notna(), None)
    disposition = out["disposition"].map(lambda v: None if v is None else str(v).strip().lower() or None)
    bad = disposition.notna() & ~disposition.isin(DISPOSITIONS)
    if bad.any():
        raise input_error("leads", "disposition", "value(s) are neither accepted nor rejected",
                          np.flatnonzero(bad.to_numpy()), "use accepted or rejected (empty: not decided)")
    out["disposition"] = disposition
    return out


def prepare_activities(activities: pd.DataFrame | None, lead_ids: pd.Series, timezone: str) -> pd.DataFrame:
    """activity_id, lead_id, at (local), channel, rep_id, outcome, verdict, reason, is_touch.

    Refuses unknown channels and activities of leads not in the leads table, naming the rows."""
    columns = ["activity_id", "lead_id", "at", "channel", "rep_id", "outcome", "verdict", "reason", "is_touch"]
    if activities is None or len(activities) == 0:
        return pd.DataFrame({c: pd.Series(dtype="datetime64[ns]" if c == "at" else object) for c in columns})
    for column in ("activity_id", "lead_id", "at", "channel"):
        if column not in activities.columns:
            raise ReviewInputError(f"activities: no '{column}' column; expected activity_id, lead_id, at, channel.")
    out = activities.copy()
    out["lead_id"] = out["lead_id"].astype(str)
    channel = out["channel"].astype("string").str.strip().str.lower()
    bad = channel.isna() | ~channel.isin(CHANNELS)
    if bad.any():
        found = ", ".join(repr(v) for v in pd.unique(out.loc[bad, "channel"].astype(str))[:5])
        raise input_error("activities", "channel", f"unknown channel(s) {found}",
                          np.flatnonzero(bad.to_numpy()), f"use one of {', '.join(CHANNELS)}")
    out["channel"] = channel.astype(object)
    unknown = ~out["lead_id"].isin(set(lead_ids.astype(str)))
    if unknown.any():
        found = ", ".join(repr(v) for v in pd.unique(out.loc[unknown, "lead_id"])[:5])
        raise input_error("activities", "lead_id", f"activity(ies) of lead(s) not in the leads table: {found}",
                          np.flatnonzero(unknown.to_numpy()),
                          "export the leads and the activities together, or drop those activities")
    out["at"] = local_times(out["at"], timezone)
    undated = out["at"].isna()
    if undated.any():
        raise input_error("activities", "at", "activity(ies) without a date",
                          np.flatnonzero(undated.to_numpy()), "every activity needs the time it happened")
    for column in ("rep_id", "outcome"):
        if column not in out.columns:
            out[column] = None
        out[column] = out[column].astype(object).where(out[column].notna(), None)
    verdict = out["outcome"].astype("string").str.extract(_VERDICT, flags=2)  # IGNORECASE
    out["verdict"] = verdict[0].str.lower().astype(object).where(verdict[0].notna(), None)
    out["reason"] = verdict[1].astype(object).where(verdict[1].notna() & (verdict[1] != ""), None)
    out["is_touch"] = out["verdict"].isna()
    return out[columns]


def dispositions(leads: pd.DataFrame, activities: pd.DataFrame) -> pd.DataFrame:
    """lead_id, disposition, rejection_reason, owner_rep_id: the lead's own columns, else the
    latest verdict recorded as an activity; the owner is the lead's, else the rep of its latest touch."""
    verdicts = activities[activities["verdict"].notna()].sort_values("at", kind="stable")
    verdicts = verdicts.drop_duplicates("lead_id", keep="last").set_index("lead_id")
    touches = activities[activities["is_touch"] & activities["rep_id"].notna()].sort_values("at", kind="stable")
    last_rep = touches.drop_duplicates("lead_id", keep="last").set_index("lead_id")["rep_id"]
    out = leads[["lead_id", "disposition", "rejection_reason", "owner_rep_id"]].copy()
    own = out["disposition"].notna()
    out["disposition"] = out["disposition"].where(own, out["lead_id"].map(verdicts["verdict"]))
    reason = out["rejection_reason"].where(own, out["lead_id"].map(verdicts["reason"]))
    out["rejection_reason"] = reason.where(out["disposition"] == "rejected", None)
    out["owner_rep_id"] = out["owner_rep_id"].where(out["owner_rep_id"].notna(), out["lead_id"].map(last_rep))
    return out.astype(object).where(out.notna(), None)
