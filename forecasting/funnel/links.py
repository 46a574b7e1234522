"""Which SQL became an opportunity, and how long it took.

Three ways, best first (``method='auto'`` takes the first the data allows):

- ``lead_id``: the opportunities carry the lead they came from;
- ``account_id``: among the SQLs that carry an account, one converted when its account has an
  opportunity created on or after the lead's ``created_at`` (the first such opportunity gives
  the lag); SQLs without an account are left out of this rate rather than counted as lost;
- ``counts``: no link at all; per segment, opportunities created in the window / SQLs created in
  the window, capped at 1 (opportunities from other sources would otherwise push it above 1),
  and no lag can be measured.
"""
from __future__ import annotations

import pandas as pd

from forecasting.funnel.errors import input_error

METHODS = ("auto", "lead_id", "account_id", "counts")


def choose_link(leads: pd.DataFrame, opps: pd.DataFrame, method: str = "auto") -> str:
    if method not in METHODS:
        raise input_error("settings", "link", "an unknown lead-to-opportunity link",
                          f"one of {', '.join(METHODS)}", repr(method), "use 'auto'")
    by_lead = "lead_id" in opps.columns and opps["lead_id"].notna().any()
    by_account = ("account_id" in leads.columns and "account_id" in opps.columns
                  and leads["account_id"].notna().any() and opps["account_id"].notna().any())
    if method == "auto":
        return "lead_id" if by_lead else "account_id" if by_account else "counts"
    if (method == "lead_id" and not by_lead) or (method == "account_id" and not by_account):
        raise input_error("opportunities", method, f"link '{method}' asked for but not possible",
                          f"a non-empty '{method}' column in both leads and opportunities",
                          "no such values", "use link='auto'")
    return method


def link_sqls(leads: pd.DataFrame, opps: pd.DataFrame, method: str) -> pd.DataFrame:
    """One row per SQL lead: lead_id, segment, created_at, opportunity_created_at (NaT if none).

    For ``counts`` the opportunity columns stay empty: the rate is computed from counts.
    """
    sqls = leads.loc[leads["is_sql"] == 1.0, ["lead_id", "segment", "created_at"]
                     + (["account_id"] if "account_id" in leads.columns else [])].copy()
    sqls["opportunity_created_at"] = pd.NaT
    if method == "counts" or sqls.empty:
        return sqls.drop(columns=["account_id"], errors="ignore")
    if method == "lead_id":
        first = opps.dropna(subset=["lead_id"]).groupby("lead_id")["created_at"].min()
        sqls["opportunity_created_at"] = sqls["lead_id"].map(first)
    else:
        sqls = sqls[sqls["account_id"].notna() & (sqls["account_id"].astype(str).str.strip() != "")].copy()
        pairs = sqls[["lead_id", "account_id", "created_at"]].dropna(subset=["account_id"]).merge(
            opps[["account_id", "created_at"]].rename(columns={"created_at": "opp_created"}),
            on="account_id", how="inner",
        )
        pairs = pairs[pairs["opp_created"] >= pairs["created_at"]]
        first = pairs.groupby("lead_id")["opp_created"].min()
        sqls["opportunity_created_at"] = sqls["lead_id"].map(first)
    return sqls.drop(columns=["account_id"], errors="ignore")
