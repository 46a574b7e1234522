"""Are the quotas attainable? P(attain) per rep and the share of reps expected at quota.

Quotas are fair (proportional to potential x ramp) but a fair quota can still be out of reach.
Given simulated bookings of the plan quarter per rep (one column per rep, one row per draw: the
rep's open deals won at their probabilities plus its share of new business, drawn jointly so a
good quarter lifts everyone), this module says per rep how likely quota is, and for the team the
share of reps expected at or above quota with its interval. Sales leaders aim for roughly half to
three quarters of reps at quota: fewer and quotas are too high (attrition, sandbagging), more and
they are too low (pay runs ahead of bookings). Outside that band the plan warns.

Never imports ``revops`` or another engine; the draws come from the caller.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

ATTAINMENT_COLUMNS = ["rep_id", "bookings_p10", "bookings_p50", "bookings_p90", "p_attain"]


def split_new_business(total: np.ndarray, shares: np.ndarray, deals: float, amount_cv: float = 0.0,
                       random_state: int | np.random.Generator | None = 0) -> np.ndarray:
    """A segment's simulated new business (``total``, one value per draw) shared among its reps
    (``shares``, e.g. territory potential, summing to 1) as deals land: (draws x reps).

    New business comes as ``deals`` deals a quarter (expected count, e.g. expected new business /
    average deal size) whose amounts vary with coefficient of variation ``amount_cv``; each lands
    on one rep with probability ``shares``. A rep's part is then lumpy: a rep expecting three
    deals can get none or six. Splitting each draw by ``shares`` exactly would give every rep the
    segment's relative spread only, far too narrow for one rep, and push every P(attain) towards
    0 or 1 (a quota below the rep's expectation looks nearly sure). The split is a Dirichlet with
    the variance of that multinomial with varying amounts, share x (1 - share) x (1 + cv^2) /
    deals, so each draw's parts still add up to its total (the segment's draws are kept)."""
    total = np.asarray(total, dtype=float)
    shares = np.asarray(shares, dtype=float)
    out = np.zeros((len(total), len(shares)))
    positive = shares > 0
    if not positive.any():
        return out
    weight = shares[positive] / shares[positive].sum()
    if positive.sum() == 1 or not np.isfinite(deals) or deals <= 0:
        out[:, positive] = np.outer(total, weight)
        return out
    # Dirichlet(alpha x weight) has Var = w (1 - w) / (alpha + 1): alpha + 1 = deals / (1 + cv^2).
    alpha = max(deals / (1.0 + amount_cv ** 2) - 1.0, 1e-3)
    rng = np.random.default_rng(random_state)
    out[:, positive] = rng.dirichlet(alpha * weight, size=len(total)) * total[:, None]
    return out


@dataclass
class AttainmentResult:
    """Per rep: bookings_p10/p50/p90 and p_attain; for the team: the share at quota."""

    reps: pd.DataFrame              # ATTAINMENT_COLUMNS
    share_attaining: float          # expected share of reps (with a quota) at or above quota
    share_p10: float                # 80 % interval of that share over the draws
    share_p90: float
    reps_with_quota: int
    healthy_band: tuple[float, float]
    warning: str | None = None
    notes: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, float | int | str | None]:
        return {"share_attaining": self.share_attaining, "share_attaining_p10": self.share_p10,
                "share_attaining_p90": self.share_p90, "reps_with_quota": self.reps_with_quota,
                "healthy_share_low": self.healthy_band[0], "healthy_share_high": self.healthy_band[1],
                "attainment_warning": self.warning}


def rep_attainment(draws: np.ndarray, reps: pd.DataFrame,
                   healthy_band: tuple[float, float] = (0.50, 0.75)) -> AttainmentResult:
    """P(attain) per rep from ``draws`` (simulations x reps, the bookings of each rep of ``reps``
    in the same order) and ``reps`` (rep_id, quota).

    ``p_attain`` is the share of draws at or above quota; a rep without a positive quota has
    none (NaN) and is left out of the team's share. The team's share is computed per draw (the
    draws are joint), so its interval carries the quarter-wide swings.
    """
    draws = np.asarray(draws, dtype=float)
    if draws.ndim != 2 or draws.shape[1] != len(reps):
        raise ValueError(f"draws: expected (simulations x {len(reps)} reps); got shape {draws.shape}")
    low, high = healthy_band
    if not 0 <= low <= high <= 1:
        raise ValueError(f"healthy_band: expected 0 <= low <= high <= 1; got {healthy_band}")
    quota = pd.to_numeric(reps["quota"], errors="coerce").to_numpy(dtype=float)
    has_quota = np.isfinite(quota) & (quota > 0)
    hit = draws >= np.where(has_quota, quota, np.inf)
    p10, p50, p90 = (np.quantile(draws, [0.1, 0.5, 0.9], axis=0) if len(draws)
                     else np.full((3, len(reps)), np.nan))
    table = pd.DataFrame({"rep_id": reps["rep_id"].astype(str).to_numpy(), "bookings_p10": p10,
                          "bookings_p50": p50, "bookings_p90": p90,
                          "p_attain": np.where(has_quota, hit.mean(axis=0), np.nan)})
    notes = []
    if not has_quota.all():
        notes.append(f"{int((~has_quota).sum())} rep(s) without a quota have no P(attain).")
    if not has_quota.any():
        return AttainmentResult(table, float("nan"), float("nan"), float("nan"), 0,
                                (low, high), None, notes)
    share = hit[:, has_quota].mean(axis=1)
    expected = float(share.mean())
    lo, hi = (float(v) for v in np.quantile(share, [0.1, 0.9]))
    warning = None
    if expected < low:
        warning = (f"only {expected:.0%} of reps are expected at or above quota (80% interval "
                   f"{lo:.0%}-{hi:.0%}), below the healthy {low:.0%}-{high:.0%}: quotas look too "
                   "high for the pipeline and new business in sight")
    elif expected > high:
        warning = (f"{expected:.0%} of reps are expected at or above quota (80% interval "
                   f"{lo:.0%}-{hi:.0%}), above the healthy {low:.0%}-{high:.0%}: quotas look low "
                   "(pay would run ahead of bookings)")
    return AttainmentResult(table, expected, lo, hi, int(has_quota.sum()), (low, high), warning, notes)
