"""Coherent totals: segment forecasts that add up to regions and the company.

Nodes are ordered bottom (segments) first, then aggregates. ``S`` maps bottom series to every
node. Two methods:
- ``bottom_up``: aggregates are the sums of their segments' forecasts; segments keep theirs.
- ``mint_shrink``: MinT (Wickramasuriya, Athanasopoulos & Hyndman 2019) with the error
  covariance estimated from backtest errors and shrunk towards its diagonal (Schafer &
  Strimmer 2005), as in Nixtla's hierarchicalforecast. Every node's forecast can move.
"""
from __future__ import annotations

import numpy as np

RECONCILIATION_METHODS = ("bottom_up", "mint_shrink")


def summing_matrix(bottom: list[str], aggregates: dict[str, list[str]]) -> np.ndarray:
    """Rows: bottom nodes (identity) then one row per aggregate listing its bottom members."""
    index = {name: i for i, name in enumerate(bottom)}
    rows = [np.eye(len(bottom))]
    for members in aggregates.values():
        row = np.zeros(len(bottom))
        row[[index[m] for m in members]] = 1.0
        rows.append(row[None, :])
    return np.vstack(rows)


def bottom_up(S: np.ndarray, base: np.ndarray) -> np.ndarray:
    """``base``: nodes x horizon. Returns S @ bottom rows of base."""
    n_bottom = S.shape[1]
    return S @ base[:n_bottom]


def shrunk_covariance(errors: np.ndarray) -> np.ndarray:
    """Schafer-Strimmer shrinkage of the (uncentred) error covariance towards its diagonal.

    ``errors``: samples x nodes.
    """
    t = errors.shape[0]
    cov = errors.T @ errors / t
    d = np.sqrt(np.clip(np.diag(cov), 1e-12, None))
    if t < 3:
        return np.diag(d ** 2)
    xs = errors / d
    corr = cov / np.outer(d, d)
    # sum_t (w_t - mean w)^2 with w_t = xs_t xs_t' without building the samples x n x n cube
    mean_w = xs.T @ xs / t
    var_r = t / (t - 1) ** 3 * ((xs ** 2).T @ (xs ** 2) - t * mean_w ** 2)
    off = ~np.eye(len(d), dtype=bool)
    denom = float(np.sum(corr[off] ** 2))
    lam = 1.0 if denom == 0 else float(np.clip(np.sum(var_r[off]) / denom, 0.0, 1.0))
    return lam * np.diag(np.diag(cov)) + (1 - lam) * cov


def mint_shrink(S: np.ndarray, base: np.ndarray, errors: np.ndarray) -> np.ndarray:
    """MinT with the shrunk covariance; ``errors`` samples x nodes in S's row order."""
    W = shrunk_covariance(errors)
    W_inv = np.linalg.pinv(W)
    P = np.linalg.solve(S.T @ W_inv @ S, S.T @ W_inv)
    return S @ (P @ base)
