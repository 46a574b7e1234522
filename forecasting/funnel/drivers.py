"""The funnel's drivers per segment: deal size, the three rates and the three lags.

Each comes from, in order: an override in :class:`FunnelConfig`; the segment's KPI when it
rests on at least ``min_records`` records; the all-segment KPI (``fallback_to_overall``; a thin
segment borrows the company's rate rather than trusting 3 deals); the segment's thin KPI; a
default (the two lead-side lags only). The ``source`` column says which.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from forecasting.funnel.config import FunnelConfig
from forecasting.funnel.errors import input_error
from forecasting.funnel.prep import OVERALL

# driver -> (KPI it comes from, the plan stage it converts into)
DRIVERS = {
    "avg_deal_size": "avg_deal_size",
    "win_rate": "win_rate",
    "sql_to_opportunity_rate": "sql_to_opportunity_rate",
    "mql_to_sql_rate": "mql_to_sql_rate",
    "sales_cycle_days": "sales_cycle_days_median",
    "lead_to_opportunity_days": "lead_to_opportunity_days_median",
    "mql_to_sql_days": "mql_to_sql_days_median",
}
LEAD_DRIVERS = ("sql_to_opportunity_rate", "mql_to_sql_rate")
DRIVER_COLUMNS = ["segment", "driver", "value", "low", "high", "source", "n_records", "kpi_segment"]


def _kpi_lookup(kpis: pd.DataFrame) -> dict[tuple[str, str], dict]:
    """{(segment, kpi): row} of the KPIs without a detail and with a finite value."""
    plain = kpis[(kpis["detail"].fillna("") == "") & np.isfinite(kpis["value"].astype(float))]
    return {(r["segment"], r["kpi"]): r for r in plain.to_dict("records")}


def _from_kpis(lookup: dict, segment: str, kpi: str, min_records: int, fallback: bool) -> dict | None:
    own = lookup.get((segment, kpi))
    overall = lookup.get((OVERALL, kpi)) if fallback and segment != OVERALL else None
    if own is not None and own["n_records"] >= min_records:
        chosen, source = own, "segment"
    elif overall is not None:
        n_own = 0 if own is None else int(own["n_records"])
        chosen, source = overall, f"{OVERALL} (segment has {n_own} records < {min_records})"
    elif own is not None:
        chosen, source = own, f"segment, low sample ({int(own['n_records'])} < {min_records})"
    else:
        return None
    return dict(value=float(chosen["value"]), low=float(chosen["value_low"]), high=float(chosen["value_high"]),
                source=source, n_records=int(chosen["n_records"]), kpi_segment=str(chosen["segment"]))


def _fixed(value: float, source: str) -> dict:
    return dict(value=float(value), low=float(value), high=float(value), source=source, n_records=0,
                kpi_segment="")


def estimate_drivers(kpis: pd.DataFrame, segments: list[str], assumptions: FunnelConfig,
                     min_records: int | None = None) -> pd.DataFrame:
    """One row per segment and driver, plus the derived ``sql_to_opportunity_days``.

    ``min_records``: None takes ``assumptions.min_records``."""
    if min_records is None:
        min_records = assumptions.min_records
    history = set(kpis["segment"].unique()) - {OVERALL}
    lead_side = has_lead_side(kpis, assumptions)
    lookup = _kpi_lookup(kpis)
    rows = []
    for segment in segments:
        known = segment in history or segment == OVERALL
        found: dict[str, dict] = {}
        for driver, kpi in DRIVERS.items():
            override = assumptions.get(driver, segment) if driver != "lead_to_opportunity_days" else None
            if override is not None:
                found[driver] = _fixed(override, "assumption")
                continue
            estimate = _from_kpis(lookup, segment, kpi, min_records, assumptions.fallback_to_overall) \
                if known else None
            if estimate is not None:
                found[driver] = estimate
            elif driver == "mql_to_sql_days":
                found[driver] = _fixed(assumptions.default_mql_to_sql_days, "default (no SQL date in the leads)")
            elif driver == "lead_to_opportunity_days":
                found[driver] = _fixed(assumptions.default_lead_to_opportunity_days,
                                       "default (no lead-to-opportunity link)")
        needed = ["avg_deal_size", "win_rate", "sales_cycle_days"] + (list(LEAD_DRIVERS) if lead_side else [])
        # A zero rate first: it is the cause when nothing else can be estimated (no deal ever won).
        for rate in [r for r in needed if r in found and r != "sales_cycle_days"]:
            if found[rate]["value"] <= 0.0:
                raise input_error(
                    "opportunities" if rate in ("win_rate", "avg_deal_size") else "leads", None,
                    f"the {rate.replace('_', ' ')} of segment '{segment}' is 0 "
                    f"({found[rate]['n_records']} records, source: {found[rate]['source']}), so no number of "
                    "deals upstream reaches the target", f"{rate} > 0", "0",
                    f"check the is_won / is_sql labels, or set {rate} in FunnelConfig",
                )
        missing = [d for d in needed if d not in found]
        if missing:
            if not known:
                raise input_error(
                    "targets", "segment", f"segment '{segment}' has a target but no history",
                    f"a segment of the opportunities ({', '.join(sorted(history))})", repr(segment),
                    "check the spelling in the targets file, or give "
                    f"{', '.join(missing)} for it in FunnelConfig",
                )
            raise input_error(
                "opportunities" if missing[0] in ("avg_deal_size", "win_rate", "sales_cycle_days") else "leads",
                None, f"cannot estimate {', '.join(missing)} for segment '{segment}'",
                "closed deals (and decided leads) in the KPI window", "none",
                "widen the window (window_months), provide the leads file, or set the value in FunnelConfig",
            )
        if not lead_side:
            # No leads: the plan stops at opportunities (a note, not an error).
            found = {d: v for d, v in found.items() if d in ("avg_deal_size", "win_rate", "sales_cycle_days")}
            rows += [dict(segment=segment, driver=d, **v) for d, v in found.items()]
            continue
        # The lead-side lag is measured from MQL creation to opportunity; the SQL step takes its part.
        lead_to_opp, mql_to_sql = found.pop("lead_to_opportunity_days"), found["mql_to_sql_days"]
        sql_override = assumptions.get("sql_to_opportunity_days", segment)
        if sql_override is not None:
            found["sql_to_opportunity_days"] = _fixed(sql_override, "assumption")
        else:
            found["sql_to_opportunity_days"] = dict(
                value=max(0.0, lead_to_opp["value"] - mql_to_sql["value"]),
                low=max(0.0, lead_to_opp["low"] - mql_to_sql["value"]),
                high=max(0.0, lead_to_opp["high"] - mql_to_sql["value"]),
                source=f"lead_to_opportunity_days ({lead_to_opp['source']}) - mql_to_sql_days",
                n_records=lead_to_opp["n_records"], kpi_segment=lead_to_opp["kpi_segment"],
            )
        rows += [dict(segment=segment, driver=d, **v) for d, v in found.items()]
    return pd.DataFrame(rows, columns=DRIVER_COLUMNS)


def has_lead_side(kpis: pd.DataFrame, assumptions: FunnelConfig) -> bool:
    """True when the SQL and MQL stages can be planned: lead KPIs exist, or both rates are given."""
    measured = kpis["kpi"].isin(LEAD_DRIVERS).any()
    given = all(getattr(assumptions, d) is not None for d in LEAD_DRIVERS)
    return bool(measured or given)


def driver_table(drivers: pd.DataFrame) -> dict[str, dict[str, dict]]:
    """{segment: {driver: row-dict}} for quick lookups."""
    out: dict[str, dict[str, dict]] = {}
    for row in drivers.to_dict("records"):
        out.setdefault(row["segment"], {})[row["driver"]] = row
    return out
