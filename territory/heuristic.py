"""A warm start for the MILP: round the LP relaxation, repair the balance bounds, polish.

HiGHS' root LP bound on these models is tight (often within 0.1% of the optimum), but its own
heuristics find a first good plan only after long cut rounds. Handing it a near-LP plan lets it
certify a small gap at once. Pure numpy; every step is a single move of one account.
"""
from __future__ import annotations

import time

import numpy as np

from territory.problem import BlockProblem


def _violation(load_p, load_w, lo_p, up_p, lo_w, up_w, scale_p, scale_w):
    """Total relative distance of each rep's loads from its bounds (0 when within)."""
    return ((np.maximum(load_p - up_p, 0) + np.maximum(lo_p - load_p, 0)) / scale_p
            + (np.maximum(load_w - up_w, 0) + np.maximum(lo_w - load_w, 0)) / scale_w)


def round_and_repair(block: BlockProblem, values: np.ndarray, max_moves: int | None = None,
                     deadline: float | None = None) -> np.ndarray | None:
    """A feasible 0/1 value per pair near ``values`` (an LP solution), or None if repair fails
    or ``deadline`` (a time.monotonic value) passes first."""
    n_acc, n_rep = block.acc.size, block.rep.size
    if n_acc == 0:
        return np.zeros(block.n_pairs)
    pa, pr, coef = block.pair_acc, block.pair_rep, block.coef
    # Largest LP value per account (pairs are sorted by account; ties go to the cheaper pair).
    order = np.lexsort((coef, -values, pa))
    first = order[np.r_[True, pa[order][1:] != pa[order][:-1]]]
    current = np.empty(n_acc, np.int64)          # chosen pair per account
    current[pa[first]] = first
    pot, wl = block.potential, block.workload
    lo_p, up_p, lo_w, up_w = block.bounds()
    scale_p = np.maximum(block.fair_potential, 1e-9)
    scale_w = np.maximum(block.fair_workload, 1e-9)
    rep_of = pr[current]
    load_p = np.bincount(rep_of, pot, n_rep)
    load_w = np.bincount(rep_of, wl, n_rep)
    bounds = (lo_p, up_p, lo_w, up_w, scale_p, scale_w)

    def viol(rep_idx, lp, lw):
        return _violation(lp, lw, lo_p[rep_idx], up_p[rep_idx], lo_w[rep_idx], up_w[rep_idx],
                          scale_p[rep_idx], scale_w[rep_idx])

    max_moves = max_moves or 4 * n_acc + 100
    # Dense (account, rep) -> pair lookup for swaps; skipped for huge coupled blocks.
    pair_id = None
    if n_acc * n_rep <= 5_000_000:
        pair_id = np.full((n_acc, n_rep), -1, np.int64)
        pair_id[pa, pr] = np.arange(pa.size)
    for phase in ("repair", "polish"):
        for _ in range(max_moves):
            if deadline is not None and time.monotonic() >= deadline:
                # Out of time: a repaired plan is a plan; an unrepaired one is none.
                if phase == "repair":
                    return None
                break
            src = pr[current[pa]]                 # current rep of each pair's account
            movable = pr != src
            a_pot, a_wl = pot[pa], wl[pa]
            before = viol(src, load_p[src], load_w[src]) + viol(pr, load_p[pr], load_w[pr])
            after = (viol(src, load_p[src] - a_pot, load_w[src] - a_wl)
                     + viol(pr, load_p[pr] + a_pot, load_w[pr] + a_wl))
            d_viol = np.where(movable, after - before, np.inf)
            d_cost = coef - coef[current[pa]]
            if phase == "repair":
                total = float(_violation(load_p, load_w, *bounds).sum())
                if total <= 1e-12:
                    break
                ok = d_viol < -1e-12
                if not ok.any():
                    # No single move helps: exchange two accounts between reps instead.
                    if pair_id is None or not _swap(current, pair_id, pa, pr, coef, pot, wl,
                                                    load_p, load_w, bounds):
                        return None
                    continue
                # Cheapest fix per unit of violation removed; free or paying moves first.
                with np.errstate(divide="ignore", invalid="ignore"):
                    score = np.where(ok, np.where(d_cost <= 0, d_cost - 1e18,
                                                  d_cost / -d_viol), np.inf)
            else:
                ok = (d_viol <= 1e-12) & (after <= 1e-12) & (d_cost < -1e-12) & movable
                if not ok.any():
                    break
                score = np.where(ok, d_cost, np.inf)
            k = int(np.argmin(score))
            a, old_rep, new_rep = pa[k], pr[current[pa[k]]], pr[k]
            load_p[old_rep] -= pot[a]
            load_w[old_rep] -= wl[a]
            load_p[new_rep] += pot[a]
            load_w[new_rep] += wl[a]
            current[a] = k
        else:
            if phase == "repair":
                return None
    if float(_violation(load_p, load_w, *bounds).sum()) > 1e-12:
        return None
    if block.moved_cap is not None and float(block.moved[current].sum()) > block.moved_cap:
        return None
    x = np.zeros(block.n_pairs)
    x[current] = 1.0
    return x


def _swap(current, pair_id, pa, pr, coef, pot, wl, load_p, load_w, bounds) -> bool:
    """Apply the best exchange of two accounts that lowers the violation; False if none."""
    lo_p, up_p, lo_w, up_w, scale_p, scale_w = bounds
    per_rep = _violation(load_p, load_w, *bounds)
    rep_of = pr[current]

    def viol(r, lp, lw):
        return _violation(lp, lw, lo_p[r], up_p[r], lo_w[r], up_w[r], scale_p[r], scale_w[r])

    for r1 in np.argsort(-per_rep, kind="stable"):
        if per_rep[r1] <= 1e-12:
            break
        a = np.flatnonzero(rep_of == r1)
        b = np.flatnonzero(rep_of != r1)
        b = b[pair_id[b, r1] >= 0]
        if a.size == 0 or b.size == 0:
            continue
        r2 = rep_of[b]
        a_to = pair_id[a[:, None], r2[None, :]]            # pair (a -> r2)
        ok = a_to >= 0
        dp = pot[b][None, :] - pot[a][:, None]             # r1 gains b, loses a
        dw = wl[b][None, :] - wl[a][:, None]
        d_viol = (viol(r1, load_p[r1] + dp, load_w[r1] + dw)
                  + viol(r2[None, :], load_p[r2][None, :] - dp, load_w[r2][None, :] - dw)
                  - per_rep[r1] - per_rep[r2][None, :])
        ok &= d_viol < -1e-12
        if not ok.any():
            continue
        d_cost = (np.where(ok, coef[np.maximum(a_to, 0)], 0.0) + coef[pair_id[b, r1]][None, :]
                  - coef[current[a]][:, None] - coef[current[b]][None, :])
        with np.errstate(divide="ignore", invalid="ignore"):
            score = np.where(ok, np.where(d_cost <= 0, d_cost - 1e18, d_cost / -d_viol), np.inf)
        i, j = np.unravel_index(int(np.argmin(score)), score.shape)
        acc_a, acc_b, rep2 = a[i], b[j], r2[j]
        load_p[r1] += pot[acc_b] - pot[acc_a]
        load_w[r1] += wl[acc_b] - wl[acc_a]
        load_p[rep2] += pot[acc_a] - pot[acc_b]
        load_w[rep2] += wl[acc_a] - wl[acc_b]
        current[acc_a] = pair_id[acc_a, rep2]
        current[acc_b] = pair_id[acc_b, r1]
        return True
    return False
