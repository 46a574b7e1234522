"""Stage conversion rates from a CRM snapshot (one current ``stage`` per opportunity).

A snapshot does not record each deal's path, so the method is explicit:

- the open stages are ordered (given, or inferred: leading numbers such as ``1 - Qualify`` when
  every open stage has one, otherwise by the median age of the open deals sitting in each stage,
  younger first, stages whose deals have no creation date first of all);
- a deal *reached* stage i when its furthest stage is i or later: its current stage if open; every
  stage if won; for a lost deal, its stage if the CRM kept an open stage name on it, else only
  the first stage (a ``Closed Lost`` stage does not say where the deal was lost, so we assume the
  earliest, which makes the later rates optimistic rather than inventing losses);
- the rate from stage i to the next (the last open stage goes to ``Won``) is
  reached(i+1) / (reached(i) - still open in stage i): deals still sitting in stage i have not
  been decided yet and would pull the rate down.
"""
from __future__ import annotations

import re
from typing import Sequence

import numpy as np
import pandas as pd

from forecasting.funnel.errors import input_error

WON = "Won"


def infer_stage_order(opps: pd.DataFrame, as_of: pd.Timestamp) -> list[str]:
    """Order of the open stages (see the module doc)."""
    open_opps = opps[opps["is_won"].isna() & (opps["stage"] != "")]
    stages = sorted(open_opps["stage"].unique().tolist())
    if not stages:
        return []
    numbers = [re.match(r"^\s*(\d+(?:\.\d+)?)", s) for s in stages]
    if all(numbers):
        return [s for _, s in sorted(zip([float(m.group(1)) for m in numbers], stages))]
    age = (as_of - open_opps["created_at"]).dt.days.groupby(open_opps["stage"]).median()

    def key(stage: str) -> tuple[float, str]:
        # A stage whose deals carry no creation date goes first: such deals were not worked yet
        # (the Maven export leaves engage_date empty on every "Prospecting" deal).
        days = float(age.get(stage, np.nan))
        return (days if np.isfinite(days) else -np.inf, stage)

    return sorted(stages, key=key)


def stage_conversions(opps: pd.DataFrame, stage_order: Sequence[str]) -> pd.DataFrame:
    """One row per transition: from_stage, to_stage, entered, decided, advanced, rate."""
    order = list(stage_order)
    if not order:
        return pd.DataFrame(columns=["from_stage", "to_stage", "entered", "decided", "advanced", "rate"])
    index = {s: i for i, s in enumerate(order)}
    is_open = opps["is_won"].isna().to_numpy()
    unknown = is_open & ~opps["stage"].isin(index).to_numpy()
    if unknown.any():
        raise input_error(
            "opportunities", "stage", "open deals in stages missing from the stage order",
            f"one of {', '.join(order)}", repr(sorted(opps.loc[unknown, 'stage'].unique())[:3]),
            "add those stages to stage_order (or leave stage_order empty to infer it)",
            rows=np.flatnonzero(unknown),
        )
    current = opps["stage"].map(index)
    furthest = np.where(opps["is_won"].to_numpy() == 1.0, len(order),
                        np.where(current.notna(), current.fillna(0), 0)).astype(int)
    rows = []
    targets = order[1:] + [WON]
    for i, (source, target) in enumerate(zip(order, targets)):
        entered = int((furthest >= i).sum())
        waiting = int((is_open & (furthest == i)).sum())
        advanced = int((furthest >= i + 1).sum())
        decided = entered - waiting
        rate = advanced / decided if decided > 0 else float("nan")
        rows.append(dict(from_stage=source, to_stage=target, entered=entered, decided=decided,
                         advanced=advanced, rate=rate))
    return pd.DataFrame(rows)
