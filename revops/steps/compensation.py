"""The plan's pay plan: the ``[compensation]`` rules applied to the simulated attainment.

Called by the territory step once quotas and the per-rep simulation of the plan quarter exist
(:func:`revops.steps.territory.rep_draws`); writes ``OUT/compensation/payouts.csv`` (payout
p10/p50/p90 per rep) and ``summary.json`` (the cost of sales as % of bookings).
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from revops.report import Table
from revops.steps import StepContext


def plan_payouts(ctx: StepContext, draws: np.ndarray, rep_summary: pd.DataFrame
                 ) -> tuple[dict[str, Any], Table, list[str]] | None:
    """Payouts of the plan quarter per rep from ``draws`` (simulations x reps of
    ``rep_summary``), written to the plan's compensation/ folder; (summary, report table,
    notes), or None when the plan file sets no pay plan or no rep has a quota."""
    from territory.compensation import simulate_payouts

    from revops.artifacts.compensation import write_payouts

    config = ctx.config.compensation
    if not config.active or "quota" not in rep_summary.columns:
        return None
    quota = pd.to_numeric(rep_summary["quota"], errors="coerce").to_numpy(dtype=float)
    keep = np.isfinite(quota) & (quota > 0)
    if not keep.any():
        return None
    reps = rep_summary.loc[keep, [c for c in ("rep_id", "segment", "quota") if c in rep_summary.columns]]
    sim = simulate_payouts(draws[:, keep], reps.reset_index(drop=True), config)
    summary = sim.summary()
    notes = list(sim.notes)
    if (~keep).any():
        notes.append(f"{int((~keep).sum())} rep(s) without a quota are not paid by the pay plan here.")
    write_payouts(ctx.out_dir.parent / "compensation", sim.reps, summary, notes)
    table = Table(sim.reps, f"Pay plan on the simulated {ctx.plan_period}: payout per rep "
                  f"(compensation/payouts.csv); cost of sales {summary['cost_of_sales_pct']:.1f}% "
                  f"of bookings (80% interval {summary['cost_of_sales_pct_p10']:.1f}-"
                  f"{summary['cost_of_sales_pct_p90']:.1f}%)", key=("rep_id",),
                  kinds={"p_above_target": "share"},
                  labels={"payout_mean": "Expected payout", "p_above_target": "P(paid above target)"})
    return summary, table, notes
