"""HiGHS, silent and interruptible: every Highs object of the package is made and run here.

Silent: HiGHS writes its banner ("Running HiGHS ...") from C++ straight to file descriptor 1 when
the first Highs object of a process is built, before any option can be set; that would corrupt a
caller's ``--json`` output. The constructor therefore runs with fd 1 pointed at /dev/null, and
every solver then gets ``output_flag`` and ``log_to_console`` off.

Interruptible: ``Highs.run`` is C++ holding no Python frame, so a Ctrl-C would only be seen when
the solve ends (minutes later). The solve runs in a worker thread while this thread waits in short
slices; a KeyboardInterrupt then asks HiGHS to stop through its interrupt callbacks (highspy's
``HandleUserInterrupt`` and ``cancelSolve``), waits for the worker to return and re-raises, so no
solver thread outlives the interrupt. highspy's own ``HandleKeyboardInterrupt`` is not used: it
prints to stdout and swallows the interrupt.
"""
from __future__ import annotations

import contextlib
import ctypes
import os
import sys
import threading
from typing import Any, Iterator

# One redirection at a time: fd 1 is process-wide.
_FD_LOCK = threading.Lock()
_WAIT_SLICE = 0.05  # seconds between checks for a KeyboardInterrupt while HiGHS runs


def _flush_c_stdio() -> None:
    # C stdio buffers fd 1 when it is a pipe or file: flush before fd 1 changes hands, or the
    # banner would surface later on the real stdout.
    try:
        ctypes.CDLL(None).fflush(None)
    except (OSError, AttributeError):  # no C library to call (unusual platforms): nothing buffered
        pass


@contextlib.contextmanager
def stdout_to_devnull() -> Iterator[None]:
    """Point file descriptor 1 at /dev/null for the duration (C-level writes included)."""
    with _FD_LOCK:
        try:
            sys.stdout.flush()
        except (AttributeError, ValueError):  # stdout replaced or closed: nothing to flush
            pass
        try:
            saved = os.dup(1)
        except OSError:  # no fd 1 at all: nothing can leak into it
            yield
            return
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            try:
                os.dup2(devnull, 1)
            finally:
                os.close(devnull)
            try:
                yield
            finally:
                _flush_c_stdio()
                os.dup2(saved, 1)
        finally:
            os.close(saved)


def quiet(h: Any) -> Any:
    """Switch a Highs object's logging off (options only; see new_highs for the banner)."""
    h.setOptionValue("output_flag", False)
    h.setOptionValue("log_to_console", False)
    return h


def new_highs(time_limit: float | None = None, mip_gap: float | None = None) -> Any:
    """A silent, single-threaded, seeded ``highspy.Highs`` (one thread and a fixed seed make a
    solve repeatable)."""
    import highspy

    with stdout_to_devnull():
        h = highspy.Highs()
        quiet(h)
    h.setOptionValue("threads", 1)
    h.setOptionValue("random_seed", 0)
    if mip_gap is not None:
        h.setOptionValue("mip_rel_gap", float(mip_gap))
    if time_limit is not None:
        h.setOptionValue("time_limit", float(time_limit))
    return h


def run(h: Any) -> None:
    """``h.run()`` such that Ctrl-C stops it promptly and propagates as KeyboardInterrupt."""
    h.HandleUserInterrupt = True  # subscribes the interrupt callbacks that cancelSolve trips
    failure: list[BaseException] = []
    done = threading.Event()

    def target() -> None:
        try:
            h.run()
        except BaseException as exc:  # re-raised in the calling thread
            failure.append(exc)
        finally:
            _release_thread_scheduler()
            done.set()

    worker = threading.Thread(target=target, name="territory-highs", daemon=True)
    worker.start()
    try:
        # An Event, not Thread.join(timeout): a join interrupted by KeyboardInterrupt was seen
        # to leave the thread reported alive after it ended; Event.wait is interrupted cleanly.
        while not done.wait(_WAIT_SLICE):
            pass
    except BaseException:
        h.cancelSolve()
        # HiGHS checks the interrupt callbacks every simplex iteration and MIP node: the worker
        # returns within a fraction of a second. A second Ctrl-C here leaves it to finish alone.
        done.wait()
        worker.join()
        raise
    worker.join()
    if failure:
        raise failure[0]


def _release_thread_scheduler() -> None:
    # HiGHS keeps a task scheduler per thread that ran a solve; free it before the worker ends
    # (highspy does the same in its own threaded solve).
    try:
        import highspy

        highspy._Highs.resetThreadScheduler(False)
    except (AttributeError, ImportError):  # older highspy: the scheduler ends with the thread
        pass


def read_status(h: Any) -> tuple[str, bool]:
    """(optimal | infeasible | stopped, has a feasible solution) from HiGHS itself.

    "stopped": a limit (time) or an interrupt ended the solve first.
    """
    import highspy

    model_status = h.getModelStatus()
    has_solution = h.getInfo().primal_solution_status == 2  # kSolutionStatusFeasible
    if model_status == highspy.HighsModelStatus.kOptimal:
        return "optimal", has_solution
    if model_status in (highspy.HighsModelStatus.kInfeasible,
                        highspy.HighsModelStatus.kUnboundedOrInfeasible):
        return "infeasible", False
    return "stopped", has_solution
