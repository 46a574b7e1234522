"""Account potential where the accounts file has none: the segment's forecast, shared out."""
from __future__ import annotations

import pandas as pd


def fill_potential(
    accounts: pd.DataFrame,
    opportunities: pd.DataFrame | None,
    segment_forecast: pd.Series,
    prior_weight: float = 0.25,
) -> tuple[pd.DataFrame, str | None]:
    """Fill missing ``potential``: each segment's forecast bookings (for a year) split over its
    accounts without potential, in proportion to their won bookings of the last 12 months plus an
    even prior (``prior_weight`` of the segment's average), so a new account is not worth zero.

    Returns the accounts (a copy) and a note saying how many were filled, or None.
    """
    out = accounts.copy()
    if "potential" not in out.columns:
        out["potential"] = float("nan")
    missing = out["potential"].isna()
    if not missing.any():
        return out, None
    won = pd.Series(dtype=float)
    if opportunities is not None and len(opportunities):
        closed = opportunities["close_date"]
        recent = (opportunities["is_won"] == 1) & (closed > closed.max() - pd.DateOffset(months=12))
        won = opportunities[recent].groupby("account_id")["amount"].sum()
    weights = out["account_id"].map(won).fillna(0.0)
    unfilled = []
    for segment, index in out[missing].groupby("segment").groups.items():
        total = float(segment_forecast.get(segment, float("nan")))
        if not total == total:  # no forecast for this segment
            unfilled.append(str(segment))
            continue
        w = weights.loc[index]
        w = w + prior_weight * max(float(w.mean()), 1.0)
        out.loc[index, "potential"] = total * w / w.sum()
    filled = int(missing.sum()) - int(out["potential"].isna().sum())
    note = (f"{filled} account(s) had no potential: it was set from the segment's forecast bookings "
            "for the next 12 months, shared by recent won bookings")
    if unfilled:
        note += f"; no forecast for segment(s) {', '.join(unfilled)}, so their accounts get 0"
        out["potential"] = out["potential"].fillna(0.0)
    return out, note
