"""``revops plan``: the quarterly job, end to end."""
from __future__ import annotations

import argparse
import sys
import textwrap

from revops.config import STEPS


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "plan",
        help="run the quarterly plan: score, forecast, funnel, territory, report",
        description="Validate the CRM exports in --data, run every step, and write the plan to --out "
        "(summary.json, report.html and one folder per step). Each step is a nested MLflow run.",
        epilog=textwrap.dedent(
            """\
            examples:
              revops plan --data data/ --out plan/
              revops plan --data data/ --out plan/ --config plan.toml --steps forecast,territory
              revops plan --config plan.toml --print-config      # the effective settings
            """
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--data", help="folder with the CRM exports (leads.csv, opportunities.csv, ...)")
    parser.add_argument("--out", help="output folder: a new one, or an earlier plan (replaced only when "
                        "the whole plan succeeds)")
    parser.add_argument("--force", action="store_true",
                        help="replace --out even if it holds files revops did not write")
    parser.add_argument("--config", help="plan.toml with column mappings and knobs (default: built-in)")
    parser.add_argument("--steps", help=f"comma-separated subset of {','.join(STEPS)}")
    parser.add_argument("--seed", type=int, help="override the seed of the plan file")
    parser.add_argument("--print-config", action="store_true", help="print the effective configuration and exit")
    parser.add_argument("--quiet", action="store_true", help="no progress output")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON on stdout")
    from revops.reading import add_reading_flags

    add_reading_flags(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from revops.config import config_to_toml, load_config
    from revops.errors import ConfigError
    from revops.outputs import to_json

    overrides = {}
    if args.steps:
        overrides["steps"] = [s.strip() for s in args.steps.split(",") if s.strip()]
    if args.seed is not None:
        overrides["seed"] = args.seed
    config = load_config(args.config, overrides)
    from revops.reading import reading_from_flags

    config = config.model_copy(update={"data": reading_from_flags(args, base=config.data)})
    if args.print_config:
        sys.stdout.write(config_to_toml(config))
        return 0
    if not args.data or not args.out:
        raise ConfigError("revops plan needs --data and --out (or --print-config).")
    from revops.plan import run_plan
    from revops.progress import Progress

    summary = run_plan(args.data, args.out, config, Progress(quiet=args.quiet or args.json), force=args.force)
    if args.json:
        print(to_json(summary))
    elif not args.quiet:
        print(f"report: {args.out}/report.html")
    return 0
