"""Sales' verdict on the leads marketing passed: acceptance and rejection by lead source, score
tier and rejection reason, and the labels a rejection gives the next scoring training."""
from __future__ import annotations

import numpy as np
import pandas as pd

FEEDBACK_COLUMNS = ["by", "value", "leads", "dispositioned", "accepted", "rejected",
                    "acceptance_rate", "share_of_rejections"]
NO_REASON = "(no reason given)"
NOT_SCORED = "(not scored)"


def lead_feedback(facts: pd.DataFrame, leads: pd.DataFrame, scores: pd.DataFrame | None = None,
                  source_column: str = "lead_source") -> pd.DataFrame:
    """Long table: ``by`` (ALL, lead_source, score_tier, rejection_reason), ``value``, the leads,
    how many sales decided on (``dispositioned``), accepted and rejected, the acceptance rate
    among those decided, and the share of all rejections. Empty when no lead has a disposition."""
    frame = facts[["lead_id", "disposition", "rejection_reason"]].copy()
    if not frame["disposition"].notna().any():
        return pd.DataFrame(columns=FEEDBACK_COLUMNS)
    frame["ALL"] = "ALL"
    dims = ["ALL"]
    if source_column in leads.columns:
        source = leads.set_index("lead_id")[source_column]
        frame[source_column] = frame["lead_id"].map(source).astype(object).where(
            lambda s: s.notna(), "(none)").astype(str)
        dims.append(source_column)
    if scores is not None and "tier" in scores.columns:
        tier = scores.assign(lead_id=scores["lead_id"].astype(str)).set_index("lead_id")["tier"]
        frame["score_tier"] = frame["lead_id"].map(tier).astype(object).where(lambda s: s.notna(), NOT_SCORED)
        frame["score_tier"] = frame["score_tier"].astype(str)
        dims.append("score_tier")
    rejected = frame["disposition"] == "rejected"
    frame["rejection_reason"] = np.where(rejected, frame["rejection_reason"].fillna(NO_REASON), None)
    total_rejections = int(rejected.sum())
    parts = []
    for dim in dims + ["rejection_reason"]:
        part = frame if dim != "rejection_reason" else frame[rejected]
        grouped = part.groupby(dim)
        table = pd.DataFrame({
            "leads": grouped.size(),
            "dispositioned": grouped["disposition"].count(),
            "accepted": grouped["disposition"].apply(lambda s: int((s == "accepted").sum())),
            "rejected": grouped["disposition"].apply(lambda s: int((s == "rejected").sum())),
        }).reset_index().rename(columns={dim: "value"})
        table.insert(0, "by", dim)
        parts.append(table)
    out = pd.concat(parts, ignore_index=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["acceptance_rate"] = np.where(out["dispositioned"] > 0, out["accepted"] / out["dispositioned"], np.nan)
        out["share_of_rejections"] = out["rejected"] / total_rejections if total_rejections else np.nan
    return out[FEEDBACK_COLUMNS]


def rejection_labels(facts: pd.DataFrame) -> pd.DataFrame:
    """lead_id, is_sql, rejection_reason: the still-unlabelled leads sales rejected, labelled not an
    SQL (0), so the next scoring training learns from them instead of leaving them out as open."""
    rejected = (facts["disposition"] == "rejected") & facts["is_sql"].isna()
    out = facts.loc[rejected, ["lead_id", "rejection_reason"]].copy()
    out.insert(1, "is_sql", 0)
    return out.reset_index(drop=True)
