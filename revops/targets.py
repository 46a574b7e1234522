"""Targets when the export has none: a growth rule the plan file states, applied to bookings."""
from __future__ import annotations

import pandas as pd


def won_bookings_by_quarter(opportunities: pd.DataFrame) -> pd.DataFrame:
    """Won amounts per segment and close quarter (segment, quarter, bookings)."""
    won = opportunities[(opportunities["is_won"] == 1) & opportunities["close_date"].notna()]
    quarter = won["close_date"].dt.to_period("Q")
    return (won.assign(quarter=quarter).groupby(["segment", "quarter"])["amount"].sum()
            .rename("bookings").reset_index())


def targets_from_growth(opportunities: pd.DataFrame, plan_period: pd.Period,
                        growth: float) -> tuple[pd.DataFrame, str]:
    """target = bookings of the same quarter last year x (1 + growth); where the history does not
    cover that whole quarter, the last quarter before the plan instead. Returns targets and a note."""
    bookings = won_bookings_by_quarter(opportunities)
    same_quarter = plan_period - 4
    last_full = plan_period - 1
    # A quarter the history only partly covers would understate the base.
    closed = opportunities.loc[opportunities["is_won"].notna(), "close_date"].dropna()
    covered_from = closed.min() if len(closed) else pd.Timestamp.max
    # Data starting within the quarter's first month is taken as covering it.
    same_quarter_full = covered_from <= same_quarter.start_time + pd.Timedelta(days=31)
    rows, bases = [], set()
    for segment, frame in bookings.groupby("segment"):
        by_quarter = frame.set_index("quarter")["bookings"]
        base = same_quarter if same_quarter_full and same_quarter in by_quarter.index else last_full
        bases.add(str(base))
        rows.append({"segment": segment, "period": str(plan_period),
                     "target": round(float(by_quarter.get(base, 0.0)) * (1 + growth), 2)})
    targets = pd.DataFrame(rows, columns=["segment", "period", "target"])
    note = (f"no targets table: targets for {plan_period} are the bookings of "
            f"{' / '.join(sorted(bases))} x {1 + growth:.2f} (data.target_growth = {growth})")
    return targets, note
