"""The ``revops`` command line: one entry point, one subcommand per step.

stdout carries the command's answer only (a JSON document with ``--json``). Solver banners and
other native-library output written to file descriptor 1 would corrupt it, so while a command
runs, descriptor 1 points at stderr and Python's ``sys.stdout`` at the real stdout.
"""
from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
import textwrap
from typing import Iterator, Sequence

from revops import __version__
from revops.commands import forecast, funnel, plan, sample_data, score, territory
from revops.commands import compensation
from revops.commands import revenue
from revops.commands import review
from revops.errors import is_user_error

# Order is the order shown in ``revops --help``.
COMMANDS = (sample_data, plan, score, forecast, funnel, territory)
COMMANDS += (compensation,)
COMMANDS += (review,)
COMMANDS += (revenue,)

DESCRIPTION = textwrap.dedent(
    """\
    revops: lead scoring, bookings forecast, funnel and territory/quota plan from CRM exports.

    examples:
      revops sample-data --out data/                      # a realistic sample CRM
      revops plan --data data/ --out plan/                # the quarterly plan, end to end
      revops plan --data data/ --out plan/ --config plan.toml --json
      revops <command> --help                             # each step alone
    """
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="revops", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--version", action="version", version=f"revops {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMANDS:
        module.register(subparsers)
    return parser


@contextlib.contextmanager
def answer_only_stdout() -> Iterator[None]:
    """Route native writes to fd 1 onto stderr; keep ``sys.stdout`` on the real stdout."""
    try:
        sys.stdout.flush()
        real = os.dup(1)
    except (OSError, ValueError, AttributeError):  # no fd 1 (embedded): nothing to guard
        yield
        return
    try:
        python_on_fd1 = sys.stdout.fileno() == 1
    except (OSError, ValueError, AttributeError):  # a capturing stream (tests): leave it be
        python_on_fd1 = False
    saved_stdout = sys.stdout
    os.dup2(2, 1)
    if python_on_fd1:
        sys.stdout = os.fdopen(os.dup(real), "w", encoding=saved_stdout.encoding or "utf-8",
                               errors="replace", closefd=True)
    try:
        yield
    finally:
        try:
            sys.stdout.flush()
        finally:
            if python_on_fd1:
                sys.stdout.close()
                sys.stdout = saved_stdout
            os.dup2(real, 1)
            os.close(real)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    guard = answer_only_stdout() if getattr(args, "guard_stdout", True) else contextlib.nullcontext()
    try:
        with guard:
            return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("interrupted; no output was written", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - the boundary where errors become exit codes
        if is_user_error(exc):
            print(f"error: {exc}", file=sys.stderr)
            return 2
        raise


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
