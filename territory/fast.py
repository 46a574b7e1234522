"""The same MILP as territory.model, handed to highspy as numpy arrays (the fast path).

Rows and columns follow the PuLP model one for one (so HiGHS sees the same model and gives the
same answer): assign_{a}, then per rep its potential max/min and workload max/min rows, then the
moved-potential cap; x columns in pair order, then t when minimising the tolerance. Building these arrays takes well under a second for a million
pairs, where PuLP's per-column Python work takes about a minute.
"""
from __future__ import annotations

import time

import numpy as np

from territory.heuristic import round_and_repair
from territory.highs import new_highs, read_status
from territory.highs import run as run_highs
from territory.problem import BlockProblem, BlockSolution, choice_from_values

INF = float("inf")


def build_arrays(block: BlockProblem) -> dict[str, np.ndarray | int]:
    """Column-wise (CSC) arrays of the block's MILP."""
    n_acc, n_rep, n_pair = block.acc.size, block.rep.size, block.n_pairs
    has_cap = block.moved_cap is not None
    # Rows per rep interleaved (potential max, min, workload max, min), as PuLP adds them.
    base_pot_max, base_pot_min = n_acc, n_acc + 1
    base_wl_max, base_wl_min = n_acc + 2, n_acc + 3
    cap_row = n_acc + 4 * n_rep
    n_row = cap_row + (1 if has_cap else 0)

    pot = block.potential[block.pair_acc]
    wl = block.workload[block.pair_acc]
    r4 = 4 * block.pair_rep
    rows = np.stack([block.pair_acc, base_pot_max + r4, base_pot_min + r4,
                     base_wl_max + r4, base_wl_min + r4, np.full(n_pair, cap_row)], axis=1)
    vals = np.stack([np.ones(n_pair), pot, pot, wl, wl, block.moved], axis=1)
    keep = vals != 0
    if not has_cap:
        keep[:, 5] = False
    counts = keep.sum(axis=1)
    index = rows[keep].astype(np.int32)          # row-major flattening keeps columns contiguous
    value = vals[keep].astype(np.float64)
    start = np.zeros(n_pair + 1, np.int64)
    np.cumsum(counts, out=start[1:])

    row_lower = np.full(n_row, -INF)
    row_upper = np.full(n_row, INF)
    row_lower[:n_acc] = row_upper[:n_acc] = 1.0
    lo_pot, up_pot, lo_wl, up_wl = block.bounds()
    margin_pot, margin_wl = block.margins()
    col_cost = block.coef.astype(np.float64)
    integrality = np.ones(n_pair, np.int32)
    col_lower, col_upper = np.zeros(n_pair), np.ones(n_pair)
    if block.minimise_tolerance:
        fp, fw = block.fair_potential, block.fair_workload
        row_upper[base_pot_max:cap_row:4] = fp - margin_pot
        row_lower[base_pot_min:cap_row:4] = fp
        row_upper[base_wl_max:cap_row:4] = fw - margin_wl
        row_lower[base_wl_min:cap_row:4] = fw
        t_rows = (n_acc + np.arange(4 * n_rep)).astype(np.int64)
        t_vals = np.stack([-fp, fp, -fw, fw], axis=1).ravel()
        nz = t_vals != 0
        index = np.concatenate([index, t_rows[nz].astype(np.int32)])
        value = np.concatenate([value, t_vals[nz]])
        start = np.append(start, start[-1] + int(nz.sum()))
        col_cost = np.append(np.zeros(n_pair), 1.0)
        integrality = np.append(integrality, np.int32(0))
        col_lower, col_upper = np.append(col_lower, 0.0), np.append(col_upper, INF)
    else:
        row_upper[base_pot_max:cap_row:4] = up_pot
        row_lower[base_pot_min:cap_row:4] = lo_pot
        row_upper[base_wl_max:cap_row:4] = up_wl
        row_lower[base_wl_min:cap_row:4] = lo_wl
    if has_cap:
        row_upper[cap_row] = block.moved_cap
    if start[-1] >= 2**31:
        raise ValueError("the block has more than 2^31 non-zeros; split it (no moved-share cap)")
    return {
        "num_col": col_cost.size, "num_row": n_row, "num_nz": int(start[-1]),
        "col_cost": col_cost, "col_lower": col_lower, "col_upper": col_upper,
        "row_lower": row_lower, "row_upper": row_upper,
        "a_start": start[:-1].astype(np.int32), "a_index": index, "a_value": value,
        "integrality": integrality,
    }


def _pass(h, arrays: dict, integrality: np.ndarray) -> None:
    h.passModel(arrays["num_col"], arrays["num_row"], arrays["num_nz"], 1, 1, 0.0,
                arrays["col_cost"], arrays["col_lower"], arrays["col_upper"],
                arrays["row_lower"], arrays["row_upper"], arrays["a_start"], arrays["a_index"],
                arrays["a_value"], integrality)


def lp_warm_start(block: BlockProblem, arrays: dict, time_limit: float | None = None,
                  deadline: float | None = None) -> tuple[np.ndarray | None, float]:
    """Solve the LP relaxation and turn it into a feasible plan (see territory.heuristic).

    Returns (0/1 value per pair or None, the LP optimum: a lower bound on the MILP's optimum).
    ``deadline`` (time.monotonic) stops the repair heuristic; ``time_limit`` the LP.
    """
    import highspy

    h = new_highs(time_limit)
    _pass(h, arrays, np.zeros_like(arrays["integrality"]))
    run_highs(h)
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None, float("nan")
    values = np.asarray(h.getSolution().col_value, dtype=float)[:block.n_pairs]
    return round_and_repair(block, values, deadline=deadline), float(h.getInfo().objective_function_value)


def solve_block_highspy(block: BlockProblem, time_limit: float | None = None,
                        mip_gap: float = 1e-4, warm_start: bool = False) -> BlockSolution:
    """Build the arrays, solve with HiGHS, read the status, bound and chosen pairs back.

    ``time_limit`` covers the LP warm start and the MILP together. ``warm_start``: first hand
    HiGHS a plan rounded from the LP relaxation and repaired (a hint only: the model, the bound
    and the gap are the same).
    """
    start_time = time.perf_counter()
    deadline = None if time_limit is None else time.monotonic() + time_limit

    def left() -> float | None:
        return None if deadline is None else max(deadline - time.monotonic(), 0.0)

    arrays = build_arrays(block)
    start = None
    if warm_start and not block.minimise_tolerance and block.n_pairs:
        start, lp_bound = lp_warm_start(block, arrays, left(), deadline)
        if start is not None:
            value = float(block.coef @ start)
            if value - lp_bound <= max(mip_gap * abs(value), 1e-9 * max(1.0, abs(value))):
                # The LP relaxation already certifies the gap: no branch and bound needed.
                return BlockSolution(
                    status="optimal", choice=choice_from_values(block, start), objective=value,
                    bound=lp_bound, seconds=time.perf_counter() - start_time, solver="highs",
                    engine="highspy")
    h = new_highs(left(), mip_gap)
    _pass(h, arrays, arrays["integrality"])
    if start is not None:
        h.setSolution(start.size, np.arange(start.size, dtype=np.int32), start)
    run_highs(h)
    seconds = time.perf_counter() - start_time
    state, has_solution = read_status(h)
    status = {"optimal": "optimal", "infeasible": "infeasible"}.get(
        state, "feasible" if has_solution else "no_solution")
    info = h.getInfo()
    if status in ("optimal", "feasible"):
        values = np.asarray(h.getSolution().col_value, dtype=float)
        choice = choice_from_values(block, values[:block.n_pairs])
        objective = float(info.objective_function_value)
        tolerance = float(values[-1]) if block.minimise_tolerance else float("nan")
    else:
        choice = np.full(block.acc.size, -1, np.int64)
        objective, tolerance = float("nan"), float("nan")
    bound = float(info.mip_dual_bound) if status != "infeasible" else float("nan")
    if status == "optimal" and not np.isfinite(bound):
        bound = objective
    return BlockSolution(status=status, choice=choice, objective=objective, bound=bound,
                         seconds=seconds, solver="highs", engine="highspy", tolerance=tolerance)
