"""Lead tiers chosen from the SQL yield they bring and the work they put on inside sales.

A tier is a band of scores (0-100, ``score = round(100 x P(SQL))`` as :class:`LeadScorer` does)
with a treatment: tier A leads get, say, 6 calls, B 3, C 1 and D none (nurture only). For given
cut-offs :func:`tier_table` says, per tier, how many leads fall in it, the SQLs they are expected
to give (the sum of their probabilities), and the hours of calls they cost.
:func:`choose_thresholds` searches every set of cut-offs for the one with the most expected SQLs
that inside sales can work within its hours.

Effort matters through ``capture``: the share of a lead's chance of becoming an SQL that the
tier's treatment realises (a lead nobody calls converts less often than one called six times).
With ``capture`` 1 everywhere, effort buys nothing and the cheapest plan wins; the defaults are
a plausible response to follow-up, to be replaced by a team's own measurements.

Pure functions on numpy arrays; no files.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from scoring.errors import ScoringInputError

TIERS = ("A", "B", "C", "D")
CALLS_PER_LEAD = {"A": 6.0, "B": 3.0, "C": 1.0, "D": 0.0}
CAPTURE = {"A": 1.0, "B": 0.9, "C": 0.7, "D": 0.4}
MINUTES_PER_CALL = 12.0
TIER_COLUMNS = ["tier", "min_score", "max_score", "leads", "share_of_leads", "expected_sqls", "sql_rate",
                "share_of_sqls", "captured_sqls", "calls", "hours", "captured_sqls_per_hour"]


def scores_of(probabilities: Sequence[float] | np.ndarray) -> np.ndarray:
    """0-100 integer scores, the way the scorer rounds them; missing probabilities are refused."""
    p = np.asarray(probabilities, dtype=float)
    if p.ndim != 1 or p.size == 0:
        raise ScoringInputError(f"tiering: expected a non-empty 1-D array of probabilities; got shape {p.shape}.")
    bad = np.flatnonzero(~np.isfinite(p) | (p < 0) | (p > 1))
    if bad.size:
        shown = ", ".join(str(i) for i in bad[:5]) + (f" and {bad.size - 5} more" if bad.size > 5 else "")
        raise ScoringInputError(
            f"tiering: probabilities must be numbers in [0, 1]; {bad.size} are not (positions {shown}, "
            f"e.g. {p[bad[0]]!r}). Hint: drop the leads the model could not score (scored == False).")
    return np.rint(100 * p).astype(np.int64)


def _per_tier(values: Mapping[str, float] | None, default: Mapping[str, float], name: str) -> np.ndarray:
    merged = {**default, **(values or {})}
    unknown = sorted(set(merged) - set(TIERS))
    if unknown:
        raise ScoringInputError(f"tiering: '{name}' names unknown tier(s) {unknown}; expected keys among {TIERS}.")
    out = np.array([float(merged[t]) for t in TIERS])
    if not np.all(np.isfinite(out)) or np.any(out < 0):
        raise ScoringInputError(f"tiering: '{name}' must be numbers >= 0 per tier; got {merged}.")
    return out


def _check_thresholds(thresholds: Sequence[float]) -> tuple[float, float, float]:
    t = tuple(float(v) for v in thresholds)
    if len(t) != 3 or not all(0 <= v <= 100 for v in t) or not t[0] >= t[1] >= t[2]:
        raise ScoringInputError(
            "tiering: thresholds must be three scores (A, B, C) with 100 >= A >= B >= C >= 0. "
            f"Got {tuple(thresholds)!r} instead.")
    return t  # type: ignore[return-value]


def assign_tiers(probabilities: Sequence[float] | np.ndarray, thresholds: Sequence[float]) -> np.ndarray:
    """Tier letter per lead: score >= A is tier A, >= B is B, >= C is C, the rest D."""
    a, b, c = _check_thresholds(thresholds)
    s = scores_of(probabilities)
    return np.select([s >= a, s >= b, s >= c], ["A", "B", "C"], "D").astype(object)


def tier_table(
    probabilities: Sequence[float] | np.ndarray,
    thresholds: Sequence[float],
    *,
    calls_per_lead: Mapping[str, float] | None = None,
    minutes_per_call: float = MINUTES_PER_CALL,
    capture: Mapping[str, float] | None = None,
    leads_per_period: float | None = None,
) -> pd.DataFrame:
    """One row per tier (A-D) and a ``Total`` row: leads, expected SQLs, calls and hours.

    ``probabilities`` are a sample of leads (e.g. last quarter's, or the holdout);
    ``leads_per_period`` rescales counts, SQLs, calls and hours to that many leads (e.g. the
    leads expected next month) so the hours compare with inside sales' capacity per period.
    ``expected_sqls`` is the sum of the probabilities (what the model expects if the leads are
    worked as in history); ``captured_sqls`` applies the tier's ``capture``.
    """
    p = np.asarray(probabilities, dtype=float)
    tiers = assign_tiers(p, thresholds)
    scores = scores_of(p)
    calls = _per_tier(calls_per_lead, CALLS_PER_LEAD, "calls_per_lead")
    take = _per_tier(capture, CAPTURE, "capture")
    if not minutes_per_call > 0:
        raise ScoringInputError(f"tiering: minutes_per_call must be > 0; got {minutes_per_call!r}.")
    scale = 1.0 if leads_per_period is None else float(leads_per_period) / p.size
    rows = []
    for k, tier in enumerate(TIERS):
        mask = tiers == tier
        n = float(mask.sum()) * scale
        sqls = float(p[mask].sum()) * scale
        rows.append({
            "tier": tier,
            "min_score": int(scores[mask].min()) if mask.any() else np.nan,
            "max_score": int(scores[mask].max()) if mask.any() else np.nan,
            "leads": n, "expected_sqls": sqls, "captured_sqls": sqls * take[k],
            "calls": n * calls[k], "hours": n * calls[k] * minutes_per_call / 60.0,
        })
    out = pd.DataFrame(rows)
    total = {"tier": "Total", "min_score": int(scores.min()), "max_score": int(scores.max()),
             **{c: float(out[c].sum()) for c in ("leads", "expected_sqls", "captured_sqls", "calls", "hours")}}
    out = pd.concat([out, pd.DataFrame([total])], ignore_index=True)
    out["share_of_leads"] = out["leads"] / max(total["leads"], 1e-12)
    out["sql_rate"] = out["expected_sqls"] / out["leads"].where(out["leads"] > 0)
    out["share_of_sqls"] = out["expected_sqls"] / max(total["expected_sqls"], 1e-12)
    out["captured_sqls_per_hour"] = out["captured_sqls"] / out["hours"].where(out["hours"] > 0)
    return out[TIER_COLUMNS]


@dataclass(frozen=True)
class TierChoice:
    """The chosen cut-offs (A, B, C on the 0-100 scale) and what they give and cost."""

    thresholds: tuple[float, float, float]
    captured_sqls: float
    hours: float
    capacity_hours: float
    table: pd.DataFrame


def _candidates(p: np.ndarray, scale: float, calls: np.ndarray, take: np.ndarray, minutes: float):
    """Every contiguous split of the leads sorted by score, cut only between distinct scores.

    Returns (cut scores per split as an (m, 3) array, captured SQLs, hours). Leads with equal
    scores must share a tier (a threshold is a score), so cuts fall where the score changes.
    """
    scores = scores_of(p)
    distinct = np.unique(scores)[::-1]  # high to low
    # Leads with score >= s, and their probability mass, for each distinct score s; cutting at
    # "threshold = s" puts exactly these leads above the cut. Threshold 101 puts nobody above.
    order = np.sort(scores)[::-1]
    count_ge = np.searchsorted(-order, -distinct, side="right")
    mass_ge = np.cumsum(pd.Series(p).groupby(scores).sum().reindex(distinct).to_numpy())
    # A cut above every score puts nobody in the tier: 100 does that unless a lead scores 100
    # (then the split "nobody in A" is simply not offered: thresholds stop at 100).
    top = [] if distinct[0] >= 100 else [100.0]
    cut_score = np.concatenate([top, distinct.astype(float)])
    n_ge = np.concatenate([[0.0] * len(top), count_ge.astype(float)])
    m_ge = np.concatenate([[0.0] * len(top), mass_ge])
    k = len(cut_score)
    i, j, l = np.meshgrid(np.arange(k), np.arange(k), np.arange(k), indexing="ij")
    keep = (i <= j) & (j <= l)
    i, j, l = i[keep], j[keep], l[keep]
    n_total, m_total = float(p.size), float(p.sum())
    counts = np.stack([n_ge[i], n_ge[j] - n_ge[i], n_ge[l] - n_ge[j], n_total - n_ge[l]], axis=1)
    masses = np.stack([m_ge[i], m_ge[j] - m_ge[i], m_ge[l] - m_ge[j], m_total - m_ge[l]], axis=1)
    captured = scale * masses @ take
    hours = scale * counts @ calls * minutes / 60.0
    cuts = np.stack([cut_score[i], cut_score[j], cut_score[l]], axis=1)
    return cuts, captured, hours


def choose_thresholds(
    probabilities: Sequence[float] | np.ndarray,
    capacity_hours: float,
    *,
    calls_per_lead: Mapping[str, float] | None = None,
    minutes_per_call: float = MINUTES_PER_CALL,
    capture: Mapping[str, float] | None = None,
    leads_per_period: float | None = None,
) -> TierChoice:
    """The cut-offs with the most captured SQLs whose calls fit in ``capacity_hours``.

    Exhaustive over the distinct scores (at most 101 of them, so at most ~180k splits): the
    answer is the true optimum of the stated model, not a heuristic. Ties in captured SQLs go
    to the plan with fewer hours, then to higher thresholds. Raises ScoringInputError when even
    the cheapest split (everyone in the cheapest tier) needs more hours than there are.
    """
    p = np.asarray(probabilities, dtype=float)
    scores_of(p)  # validates
    if not np.isfinite(capacity_hours) or capacity_hours < 0:
        raise ScoringInputError(f"tiering: capacity_hours must be a number >= 0; got {capacity_hours!r}.")
    calls = _per_tier(calls_per_lead, CALLS_PER_LEAD, "calls_per_lead")
    take = _per_tier(capture, CAPTURE, "capture")
    if not minutes_per_call > 0:
        raise ScoringInputError(f"tiering: minutes_per_call must be > 0; got {minutes_per_call!r}.")
    scale = 1.0 if leads_per_period is None else float(leads_per_period) / p.size
    cuts, captured, hours = _candidates(p, scale, calls, take, minutes_per_call)
    fits = hours <= capacity_hours * (1 + 1e-12) + 1e-9
    if not fits.any():
        raise ScoringInputError(
            f"tiering: no tier plan fits in {capacity_hours:,.1f} hours; the cheapest needs "
            f"{hours.min():,.1f} hours. Hint: add capacity, or give the lowest tier fewer calls "
            "(calls_per_lead['D'] = 0 means nurture only).")
    idx = np.flatnonzero(fits)
    # Most captured SQLs; then fewest hours; then the highest (most selective) cut-offs.
    best = idx[np.lexsort((-cuts[idx, 2], -cuts[idx, 1], -cuts[idx, 0], hours[idx], -np.round(captured[idx], 9)))[0]]
    thresholds = tuple(float(v) for v in cuts[best])
    table = tier_table(p, thresholds, calls_per_lead=calls_per_lead, minutes_per_call=minutes_per_call,
                       capture=capture, leads_per_period=leads_per_period)
    return TierChoice(thresholds=thresholds, captured_sqls=float(captured[best]), hours=float(hours[best]),
                      capacity_hours=float(capacity_hours), table=table)


def capacity_frontier(
    probabilities: Sequence[float] | np.ndarray,
    capacities: Sequence[float],
    **kwargs,
) -> pd.DataFrame:
    """Best captured SQLs for each inside-sales capacity (hours), with the cut-offs that give it.

    Shows what one more SDR (or one fewer) is worth in SQLs; kwargs as :func:`choose_thresholds`.
    """
    rows = []
    for capacity in capacities:
        choice = choose_thresholds(probabilities, float(capacity), **kwargs)
        a, b, c = choice.thresholds
        rows.append({"capacity_hours": float(capacity), "threshold_a": a, "threshold_b": b, "threshold_c": c,
                     "captured_sqls": choice.captured_sqls, "hours_used": choice.hours})
    return pd.DataFrame(rows)
