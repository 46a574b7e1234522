"""Retention what-ifs on an ARR bridge: what lower churn or more expansion would have made of
ending ARR and NRR (each period's starting ARR kept as it was, the change applied to its flows)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from forecasting.revenue.arr import OVERALL
from forecasting.revenue.bridge import _SUMS, _rates


def retention_what_if(bridge: pd.DataFrame, *, churn_change: float = 0.0, expansion_change: float = 0.0,
                      compound: bool = True) -> pd.DataFrame:
    """The bridge with churned ARR moved by ``churn_change`` of starting ARR (-0.02: churn two
    points lower) and expansion scaled by ``1 + expansion_change`` (0.25: a programme bringing a
    quarter more expansion). ``compound``: each period starts from the previous period's new
    ending ARR (the effect accumulates), with expansion, contraction and churn scaled in
    proportion and new business as it was; otherwise each
    period is changed on its own. Returns the same columns with ``ending_arr``, ``grr``, ``nrr``
    recomputed, plus ``ending_arr_before`` and ``nrr_before``."""
    rows = []
    # ALL is the sum of the segments' what-ifs (its own flows would move churn where a segment
    # has none to lose).
    has_total = (bridge["segment"] == OVERALL).any() and (bridge["segment"] != OVERALL).any()
    parts = bridge[bridge["segment"] != OVERALL] if has_total else bridge
    for segment, frame in parts.groupby("segment", sort=False):
        frame = frame.sort_values("period").copy()
        carried = None
        for i in frame.index:
            row = frame.loc[i].copy()
            before_end, before_nrr = row["ending_arr"], row["nrr"]
            start = float(row["starting_arr"])
            scale = carried / start if (compound and carried is not None and start > 0) else 1.0
            for column in ("starting_arr", "expansion_arr", "contraction_arr", "churned_arr"):
                row[column] = float(row[column]) * scale
            start = float(row["starting_arr"])
            row["churned_arr"] = float(np.clip(row["churned_arr"] + churn_change * start, 0.0,
                                               start - row["contraction_arr"]))
            row["expansion_arr"] = max(0.0, float(row["expansion_arr"]) * (1 + expansion_change))
            row["ending_arr"] = (start + row["new_arr"] + row["expansion_arr"] - row["contraction_arr"]
                                 - row["churned_arr"])
            row["ending_arr_before"], row["nrr_before"] = before_end, before_nrr
            carried = float(row["ending_arr"])
            rows.append(row)
    out = pd.DataFrame(rows).reset_index(drop=True)
    if has_total:
        sums = [c for c in _SUMS if c in out.columns] + ["ending_arr_before"]
        total = out.groupby("period", sort=True)[sums].sum().reset_index()
        before = bridge[bridge["segment"] == OVERALL].set_index("period")
        total["nrr_before"] = total["period"].map(before["nrr"])
        for column in bridge.columns:
            if column not in total.columns and column != "segment":
                total[column] = total["period"].map(before[column])
        total["segment"] = OVERALL
        out = pd.concat([out, total[out.columns]], ignore_index=True)
    return _rates(out)


def what_if_summary(base: pd.DataFrame, changed: pd.DataFrame, periods: int = 4) -> pd.DataFrame:
    """Per segment over the last ``periods`` periods: ending ARR and the compounded NRR, before
    and after the change."""
    rows = []
    for segment in changed["segment"].unique():
        a = base[base["segment"] == segment].sort_values("period").tail(periods)
        b = changed[changed["segment"] == segment].sort_values("period").tail(periods)
        rows.append({"segment": segment, "periods": f"{a['period'].iloc[0]}..{a['period'].iloc[-1]}",
                     "ending_arr_before": float(a["ending_arr"].iloc[-1]),
                     "ending_arr_after": float(b["ending_arr"].iloc[-1]),
                     "nrr_before": float(np.prod(a["nrr"].fillna(1.0))),
                     "nrr_after": float(np.prod(b["nrr"].fillna(1.0)))})
    out = pd.DataFrame(rows)
    out["ending_arr_change"] = out["ending_arr_after"] - out["ending_arr_before"]
    return out
