"""``revops sample-data``: write the bundled, seeded sample CRM."""
from __future__ import annotations

import argparse
import textwrap

from revops.flags import iso_date


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "sample-data",
        help="write a realistic sample CRM with known ground truth",
        description="Write a seeded B2B CRM (leads, opportunities, accounts, reps, targets) as CSV, "
        "with the ground truth in truth/.",
        epilog=textwrap.dedent(
            """\
            example:
              revops sample-data --out data/ --seed 7
              revops sample-data --out big/ --leads 1000000   # for the benchmarks
            """
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--out", required=True,
                        help="folder to write: a new one, or an earlier sample (replaced as a whole)")
    parser.add_argument("--force", action="store_true",
                        help="replace --out even if it holds files revops did not write")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--leads", type=int, default=50_000, help="number of leads (default 50000)")
    parser.add_argument("--accounts", type=int, default=2_000, help="number of accounts (default 2000)")
    parser.add_argument("--reps", type=int, default=60, help="number of reps (default 60)")
    parser.add_argument("--as-of", type=iso_date, default="2026-12-31", help="last day of the history (default 2026-12-31)")
    parser.add_argument("--quiet", action="store_true", help="print nothing")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from revops.outputs import atomic_output_dir
    from revops.sample_data import generate

    with atomic_output_dir(args.out, force=args.force) as tmp:
        paths = generate(tmp, seed=args.seed, n_leads=args.leads, n_accounts=args.accounts,
                         n_reps=args.reps, as_of=args.as_of)
    if not args.quiet:
        print(f"sample CRM written to {args.out}: " + ", ".join(p.name for p in paths.values()))
    return 0
