"""How the report writes numbers and names: currency, thousands separators, percentages, and
column labels a sales leader reads without a data dictionary.

A table's columns each get a *kind* (money, count, number, share, percent, days, text, flag):
given by the step that builds the table, else inferred from the column's name and values
(:func:`infer_kind`). ``share`` is a fraction shown as a percentage (0.645 -> 64.5 %);
``percent`` is already in percent (12.3 -> 12.3 %); ``raw`` is text the step formatted itself,
aligned as a number. The CSV files keep the raw numbers; only the
page is formatted.
"""
from __future__ import annotations

import math
import re
from typing import Any, Mapping

import numpy as np
import pandas as pd

KINDS = ("money", "count", "number", "share", "percent", "days", "text", "flag", "raw")

# ISO codes a plan file may give, and the sign written before the amount.
CURRENCY_SIGNS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "CNY": "¥", "INR": "₹",
                  "AUD": "A$", "CAD": "C$", "CHF": "CHF ", "SEK": "SEK ", "NOK": "NOK ",
                  "DKK": "DKK ", "BRL": "R$", "MXN": "MX$", "NZD": "NZ$", "SGD": "S$"}

# Labels for the columns the plan writes; any other column is turned into words.
LABELS = {
    "segment": "Segment", "period": "Period", "target": "Target", "quota": "Quota",
    "p10": "P10", "p50": "P50 (median)", "p90": "P90",
    "forecast_p10": "Forecast P10", "forecast_p50": "Forecast (P50)", "forecast_p90": "Forecast P90",
    "p_target": "P(target)", "probability_of_target": "P(target)", "p_reach_target": "P(target)",
    "gap_to_target": "Gap to target", "quota_total": "Quotas set", "quota_coverage": "Quota coverage",
    "closed_to_date": "Closed to date", "open_deals": "Open deals", "open_pipeline": "Open pipeline",
    "amounts_estimated": "Deals priced by estimate", "weighted_pipeline": "Weighted pipeline",
    "expected_new": "Expected new business", "expected_total": "Expected total",
    "pipeline_p50": "Pipeline view (P50)", "time_series_p50": "Time-series view (P50)",
    "weight_pipeline": "Weight on pipeline", "combined_p50": "Combined (P50)",
    "actual": "Actual", "gap": "Gap", "required": "Required", "still_needed": "Still needed",
    "expected_from_open": "Expected from open", "due_before_as_of": "Due before as-of date",
    "in_past": "Past month", "for_close_period": "For deals closing in", "stage": "Stage",
    "rep_id": "Rep", "pool": "Pool", "region": "Region", "capacity": "Capacity (FTE)",
    "ramp": "Ramp", "accounts": "Accounts", "potential": "Potential", "workload": "Workload",
    "fair_potential": "Fair share of potential", "fair_workload": "Fair share of workload",
    "potential_deviation_pct": "Potential vs fair share", "workload_deviation_pct": "Workload vs fair share",
    "tolerance_pct": "Tolerance", "potential_before": "Potential before", "workload_before": "Workload before",
    "potential_deviation_before_pct": "Potential vs fair share before",
    "workload_deviation_before_pct": "Workload vs fair share before",
    "moved_in": "Accounts moved in", "moved_out": "Accounts moved out",
    "quota_per_potential": "Quota per potential", "role": "Role", "needed": "Needed",
    "needed_peak": "Needed (peak month)", "on_file": "On file", "on_file_fte": "On file (FTE)",
    "productive_fte": "Productive FTE", "basis": "Basis", "needed_from_history": "Needed (history)",
    "target_period": "Target period", "mase": "MASE", "smape": "sMAPE", "bias": "Bias",
    "coverage_80": "80% interval coverage", "coverage_95": "95% interval coverage",
    "method": "Method", "kind": "Kind", "n_obs": "Periods of history",
    "backtest_origins": "Backtest origins", "quarter": "Quarter", "as_of": "As of",
    "open_leads": "Open leads", "tier": "Tier", "decile": "Decile", "leads": "Leads", "sqls": "SQLs",
    "file": "File", "rows": "Rows", "sha256": "SHA-256 (first 12)", "table": "Table",
    "status": "Status", "reps": "Reps", "bound": "Lower bound", "objective": "Objective",
    "engine": "Solver", "pairs": "Eligible pairs", "assumption": "Assumption",
}
WORDS = {"mql": "MQL", "mqls": "MQLs", "sql": "SQL", "sqls": "SQLs", "ae": "AE", "aes": "AEs",
         "sdr": "SDR", "sdrs": "SDRs", "fte": "FTE", "id": "ID", "p10": "P10", "p50": "P50",
         "p90": "P90", "roc": "ROC", "auc": "AUC", "pr": "PR", "ece": "ECE", "kpi": "KPI",
         "pct": "%", "arr": "ARR", "sla": "SLA", "mase": "MASE", "smape": "sMAPE"}

_MONEY = re.compile(r"(^|_)(bookings|amount|pipeline|target|quota|potential|revenue|arr|"
                    r"deal_size|closed_to_date|expected_new|expected_total|p10|p50|p90|"
                    r"gap_to_target|cost|payout)($|_)|^(lo|hi)_\d+$")
_SHARE = re.compile(r"(probability|(^|_)rate($|_)|share|p_target|coverage|conversion|capture|"
                    r"attainment|weight_)")


def currency_sign(currency: str | None) -> str:
    """The sign written before amounts: ``$`` for USD, the text itself for a symbol."""
    if not currency:
        return ""
    code = currency.strip()
    return CURRENCY_SIGNS.get(code.upper(), code if len(code) <= 2 else f"{code} ")


def money(value: Any, currency: str | None = None, compact: bool = False) -> str:
    """12202429.4 -> '$12,202,429' (``compact``: '$12.2M'); empty for a missing value."""
    if not _finite(value):
        return ""
    value = float(value)
    sign = "-" if value < 0 else ""
    body = compact_number(abs(value)) if compact else f"{abs(value):,.0f}"
    return f"{sign}{currency_sign(currency)}{body}"


def compact_number(value: float) -> str:
    """12650000 -> '12.65M', 1.5e9 -> '1.50B', 552002 -> '552K', 45300 -> '45.3K', 950 -> '950'.

    Millions keep two decimals (a target of 12.65M must not read 12.7M); thousands three
    significant digits."""
    value = float(value)
    if abs(value) >= 999_500:
        size, suffix = (1e9, "B") if abs(value) >= 999_500_000 else (1e6, "M")
        return f"{value / size:,.2f}{suffix}"
    if abs(value) >= 1e3:
        scaled = value / 1e3
        return f"{scaled:,.{0 if abs(scaled) >= 99.95 else 1}f}K"
    return f"{value:,.0f}"


def count(value: Any) -> str:
    """Whole things (deals, leads, reps): thousands separators; one decimal below 10 if not whole."""
    if not _finite(value):
        return ""
    value = float(value)
    if abs(value) < 10 and not float(value).is_integer():
        return f"{value:,.1f}"
    return f"{value:,.0f}"


def number(value: Any) -> str:
    if not _finite(value):
        return ""
    value = float(value)
    if value == 0 or abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:,.1f}"
    return f"{value:,.3g}" if abs(value) < 1 else f"{value:,.2f}"


def share(value: Any, digits: int | None = None) -> str:
    """0.645 -> '64.5%' (0.0042 -> '0.4%', 1 -> '100%')."""
    if not _finite(value):
        return ""
    return percent(100.0 * float(value), digits)


def percent(value: Any, digits: int | None = None) -> str:
    if not _finite(value):
        return ""
    value = float(value)
    if digits is None:
        digits = 0 if abs(value) >= 10 or float(value).is_integer() else 1
    return f"{value:,.{digits}f}%"


def days(value: Any) -> str:
    return "" if not _finite(value) else f"{float(value):,.0f} days"


def flag(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return "yes" if bool(value) else "no"


def _finite(value: Any) -> bool:
    try:
        return value is not None and not isinstance(value, str) and math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def label(column: str) -> str:
    """A column's label: :data:`LABELS`, else its words ('won_still_needed' -> 'Won still needed')."""
    if column in LABELS:
        return LABELS[column]
    words = [WORDS.get(w.lower(), w) for w in re.split(r"[_\s]+", str(column)) if w]
    if not words:
        return str(column)
    first = words[0]
    words[0] = first if first in WORDS.values() else first[:1].upper() + first[1:]
    return " ".join(words).replace(" %", " (%)")


def infer_kind(column: str, values: pd.Series) -> str:
    """The kind of a column the step did not describe, from its name and values."""
    name = str(column).lower()
    if pd.api.types.is_bool_dtype(values):
        return "flag"
    if not pd.api.types.is_numeric_dtype(values):
        return "text"
    finite = pd.to_numeric(values, errors="coerce").dropna()
    if name.endswith("_pct"):
        return "percent"
    if name.endswith("_days") or name.startswith("days_"):
        return "days"
    if _SHARE.search(name) and (finite.empty or finite.between(-1.5, 1.5).all()):
        return "share"
    if _MONEY.search(name):
        return "money"
    if pd.api.types.is_integer_dtype(values) or (len(finite) and (finite == finite.round()).all()):
        return "count"
    return "number"


def format_value(value: Any, kind: str, currency: str | None = None) -> str:
    if kind == "money":
        return money(value, currency)
    if kind == "count":
        return count(value)
    if kind == "share":
        return share(value)
    if kind == "percent":
        return percent(value)
    if kind == "days":
        return days(value)
    if kind == "flag":
        return flag(value)
    if kind == "number":
        return number(value)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


def format_frame(frame: pd.DataFrame, kinds: Mapping[str, str] | None = None,
                 currency: str | None = None) -> tuple[pd.DataFrame, dict[str, str]]:
    """(a frame of display strings, each column's kind). ``kinds`` overrides the inference."""
    kinds = dict(kinds or {})
    out = {}
    used = {}
    for column in frame.columns:
        kind = kinds.get(column) or infer_kind(column, frame[column])
        used[column] = kind
        out[column] = [format_value(v, kind, currency) for v in frame[column].to_numpy()]
    return pd.DataFrame(out, index=frame.index, columns=frame.columns), used


def axis_money(ax, axis: str = "y", currency: str | None = None) -> None:
    """Tick labels in K/M ('$1.2M') instead of a '1e7' offset."""
    from matplotlib.ticker import FuncFormatter

    sign = currency_sign(currency)

    def fmt(value, _pos):
        if value == 0:
            return "0"
        text = compact_number(abs(value))
        if "." in text:  # axis ticks are round: 2M, 2.5M, 500K, not 2.00M
            text = re.sub(r"\.?0+([KMB])$", r"\1", text)
        return f"{'-' if value < 0 else ''}{sign}{text}"

    target = ax.yaxis if axis == "y" else ax.xaxis
    target.set_major_formatter(FuncFormatter(fmt))


def is_empty(frame: pd.DataFrame | None) -> bool:
    return frame is None or len(frame) == 0 or len(frame.columns) == 0


def all_zero(values: pd.Series) -> bool:
    numbers = pd.to_numeric(values, errors="coerce").fillna(0.0).to_numpy()
    return bool(np.all(np.abs(numbers) < 1e-9))
