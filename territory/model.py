"""The territory MILP written with PuLP, so it reads like the maths (the reference model).

    min  sum_{(a,r) eligible} cost[a,r] * x[a,r]
    s.t. sum_r x[a,r] = 1                                   assign_{a}       every account once
         (1-tol) fair_pot[r] <= sum_a pot[a] x[a,r] <= (1+tol) fair_pot[r]   balance_potential_*
         (1-tol) fair_wl[r]  <= sum_a wl[a]  x[a,r] <= (1+tol) fair_wl[r]    balance_workload_*
         sum moved[a,r] x[a,r] <= max_moved_share * total potential          max_moved_potential
         x binary; locked accounts have only the pair with their owner.

The numbers are the block's, in the solver's units (territory.scaling): pot and wl in units of
the pool's mean fair share, moved as a share of total potential; each upper bound is lowered by
the rep's margin (values too small for the solver, entered as 0).
Best effort replaces the fixed tolerance by a variable t and minimises it.
Three steps: build_model, solve_model, read_solution.
"""
from __future__ import annotations

import os
import re
import signal
import tempfile
import time
import warnings
from collections import defaultdict

import numpy as np
import pulp

from territory.highs import quiet, read_status, stdout_to_devnull
from territory.highs import run as run_highs
from territory.problem import BlockProblem, BlockSolution, choice_from_values

_ILLEGAL = re.compile(r"[^A-Za-z0-9_.]")


def _names(ids: tuple[str, ...]) -> list[str]:
    """Constraint-safe names; positions if cleaning ids would make two of them equal."""
    clean = [_ILLEGAL.sub("_", str(i)) for i in ids]
    if len(set(clean)) < len(clean):
        return [f"{c}_{k}" for k, c in enumerate(clean)]
    return clean


def build_model(block: BlockProblem) -> tuple[pulp.LpProblem, dict, pulp.LpVariable | None]:
    """The PuLP problem for one block: (problem, x keyed by (account_id, rep_id), t or None)."""
    accounts = list(block.account_ids)
    reps = list(block.rep_ids)
    acc_name = dict(zip(accounts, _names(block.account_ids)))
    rep_name = dict(zip(reps, _names(block.rep_ids)))
    potential = dict(zip(accounts, block.potential.tolist()))
    workload = dict(zip(accounts, block.workload.tolist()))
    fair_potential = dict(zip(reps, block.fair_potential.tolist()))
    fair_workload = dict(zip(reps, block.fair_workload.tolist()))
    lo_pot, up_pot, lo_wl, up_wl = (dict(zip(reps, b.tolist())) for b in block.bounds())
    margin_pot, margin_wl = (dict(zip(reps, m.tolist())) for m in block.margins())
    pairs = [(accounts[a], reps[r]) for a, r in zip(block.pair_acc.tolist(), block.pair_rep.tolist())]
    cost = dict(zip(pairs, block.coef.tolist()))
    moved = dict(zip(pairs, block.moved.tolist()))
    eligible_reps: dict[str, list[str]] = defaultdict(list)
    territory: dict[str, list[str]] = defaultdict(list)
    for a, r in pairs:
        eligible_reps[a].append(r)
        territory[r].append(a)

    prob = pulp.LpProblem("territory", pulp.LpMinimize)
    # Zero-padded names: PuLP orders columns by name, so column k is pair k, as in territory.fast.
    x = {(a, r): prob.add_variable(f"assign_{i:09d}", 0, 1, pulp.LpBinary)
         for i, (a, r) in enumerate(pairs)}
    t = None
    if block.minimise_tolerance:
        t = prob.add_variable("tolerance", lowBound=0)
        prob += t, "worst_deviation"
    else:
        prob += pulp.lpSum(cost[p] * x[p] for p in pairs), "objective"

    for a in accounts:
        prob += pulp.lpSum(x[a, r] for r in eligible_reps[a]) == 1, f"assign_{acc_name[a]}"
    for r in reps:
        load_potential = pulp.lpSum(potential[a] * x[a, r] for a in territory[r])
        load_workload = pulp.lpSum(workload[a] * x[a, r] for a in territory[r])
        name = rep_name[r]
        if t is None:
            prob += load_potential <= up_pot[r], f"balance_potential_max_{name}"
            prob += load_potential >= lo_pot[r], f"balance_potential_min_{name}"
            prob += load_workload <= up_wl[r], f"balance_workload_max_{name}"
            prob += load_workload >= lo_wl[r], f"balance_workload_min_{name}"
        else:
            prob += (load_potential - fair_potential[r] * t <= fair_potential[r] - margin_pot[r],
                     f"balance_potential_max_{name}")
            prob += load_potential + fair_potential[r] * t >= fair_potential[r], f"balance_potential_min_{name}"
            prob += (load_workload - fair_workload[r] * t <= fair_workload[r] - margin_wl[r],
                     f"balance_workload_max_{name}")
            prob += load_workload + fair_workload[r] * t >= fair_workload[r], f"balance_workload_min_{name}"
    if block.moved_cap is not None:
        prob += pulp.lpSum(moved[p] * x[p] for p in pairs) <= block.moved_cap, "max_moved_potential"
    return prob, x, t


def _cbc_log(log_path: str) -> tuple[float, bool, bool]:
    """(best bound, proven infeasible, stopped on a limit) from CBC's log.

    CBC prints its bound as 'Lower bound:' (minimisation). Its solution file says "Infeasible"
    also when a time limit stops it early, so infeasibility counts only when the log proves it.
    """
    try:
        text = open(log_path, encoding="utf-8", errors="replace").read()
    except OSError:
        return float("nan"), False, False
    found = re.findall(r"Lower bound:\s*([-+0-9.eE]+)", text)
    bound = float(found[-1]) if found else float("nan")
    # Our models are bounded (binary columns), so "infeasible or unbounded" means infeasible.
    proven = bool(re.search(r"Problem is infeasible|proven infeasible|Linear relaxation infeasible"
                            r"|says infeasible", text))
    stopped = bool(re.search(r"Stopped on (time|iterations|nodes|solutions)|Result - Stopped", text))
    return bound, proven and not stopped, stopped


class _QuietHiGHS(pulp.HiGHS):
    """PuLP's HiGHS interface, built with no output and run so that Ctrl-C stops it promptly."""

    def createAndConfigureSolver(self, lp):  # noqa: N802 (PuLP's name)
        with stdout_to_devnull():  # the first Highs() of a process prints a banner to fd 1
            super().createAndConfigureSolver(lp)
        quiet(lp.solverModel)

    def callSolver(self, lp):  # noqa: N802 (PuLP's name)
        run_highs(lp.solverModel)


def _child_pids(executable: str) -> list[int]:
    """Ids of this process's children running ``executable`` (Linux /proc, else psutil)."""
    me, name = os.getpid(), os.path.basename(executable)
    pids: list[int] = []
    if os.path.isdir("/proc"):
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat", encoding="utf-8", errors="replace") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                with open(f"/proc/{entry}/cmdline", "rb") as f:
                    argv0 = f.read().split(b"\0", 1)[0].decode(errors="replace")
            except (OSError, IndexError):
                continue  # gone meanwhile, or not ours to read
            if int(fields[1]) == me and os.path.basename(argv0) == name:
                pids.append(int(entry))
        return pids
    try:
        import psutil
    except ImportError:
        return pids
    return [c.pid for c in psutil.Process(me).children()
            if os.path.basename((c.cmdline() or [""])[0]) == name]


def _stop_children(executable: str) -> None:
    """End the solver processes this process started (CBC runs as a child process).

    SIGKILL: CBC treats SIGTERM like Ctrl-C and may go on writing its solution; its result is
    not wanted any more. The child is then reaped so that no zombie is left behind.
    """
    for pid in _child_pids(executable):
        try:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        except OSError:
            pass  # already ended, or reaped by its Popen object


def solve_model(prob: pulp.LpProblem, solver: str = "highs", time_limit: float | None = None,
                mip_gap: float = 1e-4) -> tuple[str, float, float, float]:
    """Solve in place; return (status, objective, bound, seconds) read from the solver itself.

    Status: optimal | feasible (stopped by the time limit with a plan) | infeasible |
    no_solution (stopped without a plan). PuLP 3.3 sets LpStatus to "Optimal" after a time
    limit, so the status comes from HiGHS' model status (or CBC's log), never from LpStatus.
    """
    start = time.perf_counter()
    if solver == "highs":
        cmd = _QuietHiGHS(msg=False, timeLimit=time_limit, mip_rel_gap=mip_gap, threads=1,
                          random_seed=0)
        prob.solve(cmd)
        seconds = time.perf_counter() - start
        h = prob.solverModel
        state, has_solution = read_status(h)
        status = {"optimal": "optimal", "infeasible": "infeasible"}.get(
            state, "feasible" if has_solution else "no_solution")
        info = h.getInfo()
        objective = info.objective_function_value if status in ("optimal", "feasible") else float("nan")
        bound = info.mip_dual_bound if status != "infeasible" else float("nan")
        if status == "optimal" and not np.isfinite(bound):
            bound = objective  # a pure LP (no integer columns) reports no MIP bound
        return status, float(objective), float(bound), seconds

    handle, log_path = tempfile.mkstemp(suffix=".cbc.log")
    os.close(handle)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # PULP_CBC_CMD's PuLP-4 deprecation notice
            cmd = pulp.PULP_CBC_CMD(msg=False, timeLimit=time_limit, gapRel=mip_gap,
                                    logPath=log_path, threads=1)
            try:
                prob.solve(cmd)
            except KeyboardInterrupt:
                # A Ctrl-C in a terminal reaches CBC too, but a signal sent to this process
                # alone would leave CBC running: end it before propagating.
                _stop_children(cmd.path)
                raise
        seconds = time.perf_counter() - start
        bound, proven_infeasible, stopped = _cbc_log(log_path)
    finally:
        os.remove(log_path)
    sol_status = prob.sol_status
    if sol_status == pulp.LpSolutionOptimal and not stopped:
        status = "optimal"
    elif sol_status in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible):
        status = "feasible"
    elif proven_infeasible:
        status = "infeasible"
    else:
        status = "no_solution"
    objective = pulp.value(prob.objective) if status in ("optimal", "feasible") else float("nan")
    if status == "optimal" and not np.isfinite(bound):
        bound = objective
    return status, float(objective if objective is not None else 0.0), float(bound), seconds


def read_solution(block: BlockProblem, x: dict, t: pulp.LpVariable | None, status: str,
                  objective: float, bound: float, seconds: float, solver: str) -> BlockSolution:
    """Turn the variable values back into a rep per account."""
    if status in ("optimal", "feasible"):
        values = np.array([x[block.account_ids[a], block.rep_ids[r]].varValue or 0.0
                           for a, r in zip(block.pair_acc.tolist(), block.pair_rep.tolist())])
        choice = choice_from_values(block, values)
    else:
        choice = np.full(block.acc.size, -1, np.int64)
    tolerance = float(t.varValue) if t is not None and t.varValue is not None else float("nan")
    return BlockSolution(status=status, choice=choice, objective=objective, bound=bound,
                         seconds=seconds, solver=solver, engine="pulp", tolerance=tolerance)


def solve_block_pulp(block: BlockProblem, solver: str = "highs", time_limit: float | None = None,
                     mip_gap: float = 1e-4) -> BlockSolution:
    """Build, solve and read back one block; ``time_limit`` covers the building too."""
    start = time.perf_counter()
    prob, x, t = build_model(block)
    built = time.perf_counter() - start
    left = None if time_limit is None else time_limit - built
    if left is not None and left <= 0:
        status, objective, bound, seconds = "no_solution", float("nan"), float("nan"), 0.0
    else:
        status, objective, bound, seconds = solve_model(prob, solver, left, mip_gap)
    return read_solution(block, x, t, status, objective, bound, built + seconds, solver)
