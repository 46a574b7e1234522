"""The solvers print nothing to stdout (a caller's --json stays clean), and Ctrl-C stops a solve
at once, propagates as KeyboardInterrupt and leaves no solver thread or process behind."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
import warnings

import pytest

import territory.fast
import territory.highs
import territory.model
from territory import plan_territories
from territory.synthetic import make_instance

ENGINES = [("pulp", "highs"), ("highspy", "highs"), ("pulp", "cbc")]


@pytest.mark.parametrize("engine,solver", ENGINES)
def test_no_solver_output_reaches_file_descriptor_1(engine, solver, capfd):
    accounts, reps = make_instance(120, 6, 2, random_state=3)
    # A solve stopped by the time limit, a best-effort relaxation of a cap, an ordinary plan.
    plan_territories(accounts, reps, engine=engine, solver=solver, balance_tolerance=0.02,
                     mip_gap=0.0, time_limit=1.0)
    plan_territories(accounts, reps, engine=engine, solver=solver, balance_tolerance=0.15,
                     max_moved_share=0.0, objective="travel")
    plan_territories(accounts, reps, engine=engine, solver=solver, balance_tolerance=0.2)
    assert capfd.readouterr().out == ""


@pytest.mark.parametrize("engine,n_jobs", [("pulp", 1), ("highspy", 1), ("pulp", 2)])
def test_a_fresh_process_prints_no_banner(engine, n_jobs, capfd):
    # HiGHS writes "Running HiGHS ..." to fd 1 when a process builds its first Highs object, so
    # only a fresh interpreter (or joblib worker) shows it; children inherit the fd capfd captures.
    code = textwrap.dedent(f"""
        from territory import plan_territories
        from territory.synthetic import make_instance
        accounts, reps = make_instance(120, 8, 2, random_state=0)
        plan_territories(accounts, reps, engine={engine!r}, n_jobs={n_jobs}, balance_tolerance=0.2)
    """)
    subprocess.run([sys.executable, "-c", code], check=True)
    assert capfd.readouterr().out == ""


def _tasks() -> int:
    return len(os.listdir("/proc/self/task"))


def _cbc_path() -> str:
    import pulp

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pulp.PULP_CBC_CMD(msg=False).path


@pytest.fixture
def python_sigint():
    """Python's own Ctrl-C handler for the test. A process started in the background by a
    shell (``make test &``) inherits SIGINT ignored, and Python then installs no handler: a
    SIGINT would be dropped, whatever the solver code does."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


@pytest.mark.skipif(not os.path.isdir("/proc/self/task"),
                    reason="counts the process's threads in /proc (Linux)")
@pytest.mark.parametrize("engine,solver", ENGINES)
def test_ctrl_c_stops_a_solve_at_once(engine, solver, monkeypatch, python_sigint):
    accounts, reps = make_instance(1200, 20, 1, random_state=0)
    running, finished = threading.Event(), threading.Event()
    if solver == "highs":
        real = territory.highs.run

        def run(h) -> None:  # the real run, noting when HiGHS starts and ends
            running.set()
            try:
                real(h)
            finally:
                finished.set()

        monkeypatch.setattr(territory.model, "run_highs", run)
        monkeypatch.setattr(territory.fast, "run_highs", run)
        in_solver = running.is_set
    else:
        path = _cbc_path()

        def in_solver() -> bool:
            return bool(territory.model._child_pids(path))

    tasks_before = _tasks()
    sent: dict[str, float] = {}

    def interrupt() -> None:
        # Ctrl-C while the solver runs (mip_gap=0 on this book takes far longer than this).
        give_up = time.monotonic() + 60
        while not in_solver() and time.monotonic() < give_up:
            time.sleep(0.01)
        time.sleep(0.3)
        if in_solver() and not finished.is_set():
            sent["at"] = time.monotonic()
            os.kill(os.getpid(), signal.SIGINT)

    timer = threading.Thread(target=interrupt, daemon=True)
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        plan_territories(accounts, reps, engine=engine, solver=solver, balance_tolerance=0.02,
                         mip_gap=0.0, time_limit=120.0, warm_start=False)
    stopped = time.monotonic()
    timer.join()
    assert stopped - sent["at"] < 2.0
    if solver == "highs":
        assert finished.is_set()  # HiGHS returned before the interrupt propagated
    assert [t.name for t in threading.enumerate() if t.name == "territory-highs"] == []
    # The OS thread under a joined Python thread may take a moment to unwind; a solver still
    # spinning would stay.
    settle = time.monotonic() + 2.0
    while _tasks() > tasks_before and time.monotonic() < settle:
        time.sleep(0.02)
    assert _tasks() == tasks_before
    if solver == "cbc":
        assert territory.model._child_pids(_cbc_path()) == []
