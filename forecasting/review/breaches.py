"""The open leads breaching the SLA now: the list an inside-sales manager works from on Monday."""
from __future__ import annotations

import numpy as np
import pandas as pd

from forecasting.review.config import SlaConfig

BREACH_COLUMNS = ["lead_id", "segment", "owner_rep_id", "created_at", "age_days", "breach",
                  "first_touch_at", "first_touch_deadline", "calls", "emails", "calls_in_window",
                  "emails_in_window", "cadence_window_over"]
# Why a lead is listed (a lead may have several, joined with "; ").
NO_FIRST_TOUCH = "no first touch"
LATE_FIRST_TOUCH = "late first touch"
CADENCE_MISSED = "cadence missed"


def sla_breaches(facts: pd.DataFrame, config: SlaConfig) -> pd.DataFrame:
    """Open leads (no SQL verdict and no sales disposition yet) in breach at ``as_of``: never
    touched past the deadline, touched after it, or their cadence window is over without
    ``min_calls`` calls and ``min_emails`` emails. Oldest first."""
    open_lead = facts["is_sql"].isna() & facts["disposition"].isna()
    touched = facts["first_touch_at"].notna()
    kinds = {
        NO_FIRST_TOUCH: ~touched & ~facts["first_touch_pending"],
        LATE_FIRST_TOUCH: touched & ~facts["first_touch_in_sla"],
        CADENCE_MISSED: facts["cadence_window_over"] & ~facts["cadence_met"],
    }
    breach = pd.Series("", index=facts.index, dtype=object)
    for name, mask in kinds.items():
        breach = np.where(mask, np.where(breach == "", name, breach + "; " + name), breach)
    breach = pd.Series(breach, index=facts.index)
    listed = open_lead & (breach != "")
    out = facts.loc[listed].assign(breach=breach[listed], calls=facts["calls_so_far"],
                                   emails=facts["emails_so_far"])
    out["age_days"] = out["age_days"].round(2)
    out = out.sort_values(["created_at", "lead_id"], kind="stable")
    return out[BREACH_COLUMNS].reset_index(drop=True)
