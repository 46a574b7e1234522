"""What a stricter or looser SLA would have meant: leads in breach, compliance, expected SQLs.

The extra SQLs are what the leads not worked to an SLA would have brought at the SQL rate of the
leads that were: an association seen in the data, not a controlled experiment (leads worked
harder may have been the better ones to begin with).
"""
from __future__ import annotations

import dataclasses
from typing import Any, Mapping

import pandas as pd

from forecasting.review.api import review
from forecasting.review.config import SlaConfig
from forecasting.review.sla import ALL

SCENARIO_COLUMNS = ["scenario", "first_touch", "cadence", "compliant_share", "open_leads_in_breach",
                    "sql_rate_compliant", "sql_rate_compliant_low", "sql_rate_compliant_high",
                    "sql_rate_non_compliant", "sql_rate_non_compliant_low", "sql_rate_non_compliant_high",
                    "sqls", "expected_extra_sqls"]


def sla_scenarios(leads: pd.DataFrame, activities: pd.DataFrame, *, as_of: pd.Timestamp | str,
                  scenarios: Mapping[str, Mapping[str, Any]], base: SlaConfig | None = None,
                  **review_options: Any) -> pd.DataFrame:
    """One row per scenario (name -> SlaConfig fields changed from ``base``): the share of leads
    compliant (cadence window over), the open leads in breach, the SQL rates of compliant and
    non-compliant leads (Wilson intervals), the SQLs observed and ``expected_extra_sqls``: the
    non-compliant labelled leads x (compliant rate - non-compliant rate)."""
    base = base or SlaConfig()
    rows = []
    for name, changes in scenarios.items():
        config = dataclasses.replace(base, **dict(changes))
        result = review(leads, activities, as_of=as_of, config=config, **review_options)
        row = result.sla_summary.query("segment == @ALL and month == @ALL").iloc[0]
        gap = row["sql_rate_compliant"] - row["sql_rate_non_compliant"]
        rows.append({
            "scenario": name,
            "first_touch": "same day" if config.first_touch == "same_day" else f"{config.first_touch:g} business hours",
            "cadence": config.cadence_label,
            "compliant_share": row["compliant"] / row["cadence_due"] if row["cadence_due"] else float("nan"),
            "open_leads_in_breach": len(result.sla_breaches),
            **{k: row[k] for k in SCENARIO_COLUMNS if k.startswith("sql_rate")},
            "sqls": int(row["compliant_sqls"] + row["non_compliant_sqls"]),
            "expected_extra_sqls": float(row["non_compliant_labelled"] * gap) if pd.notna(gap) else float("nan"),
        })
    return pd.DataFrame(rows, columns=SCENARIO_COLUMNS)


def sql_rate_by_cadence(facts: pd.DataFrame, level: float = 0.95, max_calls: int = 7) -> pd.DataFrame:
    """calls (in the cadence window, capped at ``max_calls``), emails (0, 1, 2+), leads, SQL rate
    and its Wilson interval, over the labelled leads whose window is over."""
    from forecasting.review.sla import wilson

    done = facts[facts["cadence_window_over"] & facts["is_sql"].notna()]
    frame = pd.DataFrame({"calls": done["calls_in_window"].clip(upper=max_calls),
                          "emails": done["emails_in_window"].clip(upper=2).map({0: "0", 1: "1", 2: "2+"}),
                          "is_sql": done["is_sql"]})
    table = frame.groupby(["calls", "emails"])["is_sql"].agg(["size", "sum"]).reset_index()
    rate, low, high = wilson(table["sum"].to_numpy(), table["size"].to_numpy(), level)
    return pd.DataFrame({"calls": table["calls"], "emails": table["emails"], "leads": table["size"],
                         "sql_rate": rate, "sql_rate_low": low, "sql_rate_high": high})
