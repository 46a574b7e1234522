"""The ``revops`` command line: one entry point, one subcommand per step."""
from __future__ import annotations

import argparse
import logging
import sys
import textwrap
from typing import Sequence

from revops import __version__
from revops.commands import load_command_modules

OUR_PACKAGES = {"revops", "scoring", "forecasting", "territory"}

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


def is_user_error(exc: BaseException) -> bool:
    """True for a ``ValueError`` raised by one of our packages: its message is for the user."""
    if not isinstance(exc, ValueError):
        return False
    module = type(exc).__module__.split(".")[0]
    return module in OUR_PACKAGES


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="revops", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--version", action="version", version=f"revops {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in load_command_modules():
        module.register(subparsers)
    return parser


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
    try:
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
