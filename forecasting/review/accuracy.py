"""The last plan's forecast against the bookings that happened: error, and inside the 80 % interval."""
from __future__ import annotations

import numpy as np
import pandas as pd

ACCURACY_COLUMNS = ["segment", "period", "horizon", "p10", "p50", "p90", "actual", "error",
                    "abs_pct_error", "inside_80"]
TOTAL_NAMES = ("Total", "ALL")


def actual_bookings(opportunities: pd.DataFrame) -> pd.DataFrame:
    """segment, month (start), bookings: won amounts by the month they closed."""
    opps = opportunities.copy()
    won = pd.to_numeric(opps["is_won"], errors="coerce") == 1
    closed = pd.to_datetime(opps["closed_at"], errors="coerce") if "closed_at" in opps.columns else \
        pd.Series(pd.NaT, index=opps.index)
    closed = closed.where(closed.notna(), pd.to_datetime(opps["close_date"], errors="coerce"))
    frame = pd.DataFrame({"segment": opps["segment"].astype(str), "month": closed.dt.to_period("M").dt.start_time,
                          "bookings": pd.to_numeric(opps["amount"], errors="coerce").fillna(0.0)})[won.to_numpy()]
    return frame.dropna(subset=["month"]).groupby(["segment", "month"], as_index=False)["bookings"].sum()


def forecast_accuracy(as_of: pd.Timestamp, opportunities: pd.DataFrame,
                      monthly: pd.DataFrame | None = None, quarterly: pd.DataFrame | None = None
                      ) -> pd.DataFrame:
    """One row per forecast period over by ``as_of`` (end of day): the last plan's p10/p50/p90,
    the actual bookings, ``error`` = actual - p50, ``abs_pct_error`` and ``inside_80`` (p10 <=
    actual <= p90). ``monthly``: the plan's forecast.csv (period = month start); ``quarterly``:
    its quarter.csv (period = 2027Q1; the Total row compares with all segments)."""
    end = pd.Timestamp(as_of).normalize() + pd.Timedelta(days=1)
    booked = actual_bookings(opportunities)
    rows = []
    if monthly is not None and len(monthly):
        frame = monthly.copy()
        frame["start"] = pd.to_datetime(frame["period"]).dt.to_period("M").dt.start_time
        frame["stop"] = frame["start"] + pd.offsets.MonthBegin(1)
        frame["horizon"] = "month"
        frame["period"] = frame["start"].dt.strftime("%Y-%m")
        rows.append(frame)
    if quarterly is not None and len(quarterly):
        frame = quarterly.copy()
        quarters = pd.PeriodIndex(frame["period"].astype(str), freq="Q")
        frame["start"] = quarters.start_time
        frame["stop"] = (quarters + 1).start_time
        frame["horizon"] = "quarter"
        frame["period"] = quarters.astype(str)
        rows.append(frame)
    if not rows:
        return pd.DataFrame(columns=ACCURACY_COLUMNS)
    frame = pd.concat(rows, ignore_index=True)
    frame = frame[frame["stop"] <= end].copy()
    actual = []
    for row in frame.itertuples():
        mask = (booked["month"] >= row.start) & (booked["month"] < row.stop)
        if str(row.segment) not in TOTAL_NAMES:
            mask &= booked["segment"] == str(row.segment)
        actual.append(float(booked.loc[mask, "bookings"].sum()))
    frame["actual"] = actual
    for column in ("p10", "p50", "p90"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce")
    frame["error"] = frame["actual"] - frame["p50"]
    with np.errstate(invalid="ignore", divide="ignore"):
        frame["abs_pct_error"] = np.where(frame["actual"] > 0, (frame["error"].abs() / frame["actual"]), np.nan)
    frame["inside_80"] = (frame["p10"] <= frame["actual"]) & (frame["actual"] <= frame["p90"])
    return frame[ACCURACY_COLUMNS].reset_index(drop=True)


def accuracy_metrics(table: pd.DataFrame) -> dict[str, float]:
    """Headline numbers per horizon: mean absolute % error and the share inside the 80 % interval
    (about 0.8 when the intervals are honest), and per segment for the quarter."""
    metrics: dict[str, float] = {}
    for horizon, part in table.groupby("horizon"):
        metrics[f"{horizon}.mape"] = float(part["abs_pct_error"].mean())
        metrics[f"{horizon}.coverage_80"] = float(part["inside_80"].mean())
        metrics[f"{horizon}.periods"] = float(len(part))
    for row in table[table["horizon"] == "quarter"].itertuples():
        metrics[f"quarter.{row.segment}.abs_pct_error"] = float(row.abs_pct_error)
        metrics[f"quarter.{row.segment}.inside_80"] = float(bool(row.inside_80))
    return metrics
