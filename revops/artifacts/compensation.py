"""Compensation outputs: payouts.csv and summary.json (``revops compensation`` and the plan)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from revops.outputs import write_csv, write_json


def payout_summary(payouts: pd.DataFrame, attainment: pd.DataFrame) -> dict[str, Any]:
    """Headline numbers of a pay plan applied to known attainment."""
    bookings = float(pd.to_numeric(attainment["bookings"], errors="coerce").sum())
    total = float(payouts["payout"].sum())
    return {"reps": int(len(payouts)), "payout_total": total, "bookings_total": bookings,
            "cost_of_sales_pct": 100 * total / bookings if bookings > 0 else float("nan"),
            "share_paid_above_target": float((payouts["payout"] > payouts["variable_pay"] + 1e-9).mean()),
            "share_at_or_above_quota": float((payouts["attainment"] >= 1.0).mean())}


def write_payouts(folder: Path, payouts: pd.DataFrame, summary: dict[str, Any],
                  notes: list[str] | None = None) -> dict[str, Path]:
    """payouts.csv (rep_id, attainment, payout first) and summary.json into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    return {"payouts": write_csv(folder / "payouts.csv", payouts),
            "summary": write_json(folder / "summary.json", {**summary, "notes": list(notes or [])})}
