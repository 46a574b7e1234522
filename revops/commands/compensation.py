"""``revops compensation``: what a pay plan pays each rep for their attainment.

The rules live in :mod:`territory.compensation`; the pay plan is the plan file's
``[compensation]`` section (:class:`territory.compensation.CompensationConfig`), the same one the
plan applies to the simulated attainment; the outputs are written by
:mod:`revops.artifacts.compensation`.
"""
from __future__ import annotations

import argparse
import textwrap
from pathlib import Path


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "compensation",
        help="what a pay plan pays each rep for their attainment (what-if of incentives)",
        description="Apply the pay plan of the plan file's [compensation] section (variable pay at "
        "target per rep or segment, rates by attainment band, a cap, SPIFs) to each rep's quota "
        "and bookings, and write what each rep is paid.",
        epilog=textwrap.dedent(
            """\
            example:
              revops compensation --config plan.toml --attainment attainment.csv --out out/pay

            plan.toml:
              [compensation]
              variable_pay = 10000          # or { SMB = 8000, Enterprise = 15000, default = 10000 }
              rate_thresholds = [1.0]       # attainment where the rate changes (1.0 = quota)
              rates = [1.0, 2.0]            # 1x up to quota, 2x above
              cap = 2.0                     # at most twice the variable pay
              [[compensation.spifs]]
              name = "cold-calls"
              metric = "calls"              # a column of the attainment file
              target = 2700
              bonus = 500

            attainment file: rep_id, quota, bookings (optional: segment, SPIF metric columns)
            outputs (in --out): payouts.csv (rep_id, attainment, payout, variable_pay,
            commission, spif...), summary.json
            """
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--config", required=True, help="plan file with a [compensation] section")
    parser.add_argument("--attainment", required=True,
                        help="attainment file: rep_id, quota, bookings (CSV, Excel or Parquet)")
    parser.add_argument("--out", required=True, help="output folder (a new one, or an earlier revops output)")
    parser.add_argument("--force", action="store_true",
                        help="replace --out even if it holds files revops did not write")
    from revops.reading import add_reading_flags

    add_reading_flags(parser)
    parser.add_argument("--quiet", action="store_true", help="print nothing but errors")
    parser.add_argument("--json", action="store_true", help="print the headline numbers as JSON")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from territory.compensation import CompensationInputError, compute_payouts

    from revops.artifacts.compensation import payout_summary, write_payouts
    from revops.config import load_config
    from revops.errors import ConfigError
    from revops.outputs import atomic_output_dir, check_output_dir, to_json
    from revops.progress import Progress
    from revops.reading import read_input, reading_from_flags

    progress = Progress(quiet=args.quiet or args.json)
    config = load_config(args.config).compensation
    if not config.active:
        raise ConfigError(f"{args.config}: [compensation] sets no variable_pay; expected e.g. "
                          "variable_pay = 10000 (or one amount per segment or rep).")
    inputs = [args.config, args.attainment]
    check_output_dir(args.out, inputs=inputs, force=args.force)
    with progress.step("read"):
        attainment = read_input(args.attainment, None, reading_from_flags(args), keep=("rep_id",))
    try:
        payouts = compute_payouts(attainment, config)
    except CompensationInputError as exc:
        raise ConfigError(f"{args.attainment}: {exc}") from None
    summary = payout_summary(payouts, attainment)
    with atomic_output_dir(args.out, inputs=inputs, force=args.force) as tmp:
        write_payouts(Path(tmp), payouts, summary)
    if args.json:
        print(to_json({"out": str(args.out), "summary": summary}))
    elif not args.quiet:
        print(f"{len(payouts)} reps paid {summary['payout_total']:,.0f} in all "
              f"({summary['cost_of_sales_pct']:.1f}% of bookings); "
              f"{summary['share_paid_above_target']:.0%} above their target pay")
        progress.info(f"payouts written to {args.out}")
    return 0
