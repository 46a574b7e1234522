"""``revops funnel``: funnel KPIs, the target worked back to MQLs per month, and the headcount.

The maths and its orchestration live in :mod:`forecasting.funnel`; the flags come from
:class:`forecasting.funnel.FunnelConfig` (the plan file's ``[funnel]`` section), and the outputs
are written by :mod:`revops.artifacts.funnel`, as in the plan.
"""
from __future__ import annotations

import argparse
import textwrap
from pathlib import Path

EXPERIMENT = "revops-funnel"


def register(subparsers) -> None:
    from forecasting.funnel import FunnelConfig

    from revops.flags import add_config_flags, iso_date

    parser = subparsers.add_parser(
        "funnel",
        help="funnel KPIs, the target worked back to MQLs per month, and headcount",
        description="Compute the funnel KPIs from the CRM tables, work each segment's target back to "
        "won deals, opportunities, SQLs and MQLs per month (placed by cycle time), and the AEs and "
        "SDRs needed against the reps on file. Defaults are those of the plan file's [funnel] section.",
        epilog=textwrap.dedent(
            """\
            example:
              revops funnel --opportunities data/opportunities.csv --targets data/targets.csv \\
                  --leads data/leads.csv --reps data/reps.csv --out out/funnel
              revops funnel ... --scores out/scoring/lead_scores.csv   # MQL goal net of open MQLs

            outputs (in --out): funnel_plan.csv, funnel_totals.csv, headcount.csv (per month:
            AEs/SDRs needed, capacity, hires and their start month), headcount_summary.csv (per
            target period), kpis.csv, kpi_summary.csv, drivers.csv, sensitivity.csv, funnel.png,
            monthly_goals.png, summary.json
            """
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--opportunities", required=True, help="opportunities file (CSV, Excel or Parquet)")
    parser.add_argument("--targets", required=True, help="targets file: segment, period (2027Q1), target")
    parser.add_argument("--leads", help="leads file (for the MQL->SQL and SQL->opportunity rates)")
    parser.add_argument("--reps", help="reps file (to compare the headcount needed with the reps on file)")
    parser.add_argument("--scores", help="lead scores of open MQLs: lead_id, probability")
    parser.add_argument("--out", required=True, help="output folder (a new one, or an earlier revops output)")
    parser.add_argument("--force", action="store_true",
                        help="replace --out even if it holds files revops did not write")
    parser.add_argument("--seed", type=int, default=0, help="random seed of the bootstrap intervals")
    parser.add_argument("--as-of", type=iso_date, help="the plan date (YYYY-MM-DD): months up to it are past, with "
                        "actuals and nothing still needed; default: the last date in the data")
    add_config_flags(parser, FunnelConfig, aliases=FUNNEL_ALIASES,
                     title="funnel settings (the plan file's [funnel] section)")
    from revops.reading import add_reading_flags

    add_reading_flags(parser)
    parser.add_argument("--no-mlflow", action="store_true", help="do not log the run to MLflow")
    parser.add_argument("--quiet", action="store_true", help="print nothing but errors")
    parser.add_argument("--json", action="store_true", help="print the headline numbers as JSON")
    parser.set_defaults(func=run)


# Flags of earlier versions, kept working.
FUNNEL_ALIASES = {"expected_attainment": ["--attainment"],
                  "sqls_per_sdr_per_month": ["--sqls-per-sdr-month"]}


def _load(table: str | None, path: str | None, data=None):
    from revops.reading import read_input

    if path is None:
        return None
    return read_input(path, table, data)


def run(args: argparse.Namespace) -> int:
    from forecasting.funnel import OVERALL, FunnelConfig, compute_funnel

    from revops.artifacts.funnel import log_funnel, write_funnel
    from revops.flags import config_from_flags
    from revops.outputs import atomic_output_dir, check_output_dir, to_json
    from revops.progress import Progress

    progress = Progress(quiet=args.quiet or args.json)
    config = config_from_flags(FunnelConfig, args)
    inputs = [args.opportunities, args.targets, args.leads, args.reps, args.scores]
    check_output_dir(args.out, inputs=inputs, force=args.force)
    from revops.reading import reading_from_flags

    data = reading_from_flags(args)
    with progress.step("read and validate"):
        opportunities = _load("opportunities", args.opportunities, data)
        targets = _load("targets", args.targets, data)
        leads = _load("leads", args.leads, data)
        reps = _load("reps", args.reps, data)
        scores = _load(None, args.scores, data)
    with progress.step("funnel"):
        result = compute_funnel(opportunities, targets, leads=leads, reps=reps, lead_scores=scores,
                                config=config, random_state=args.seed, as_of=args.as_of)
    with atomic_output_dir(args.out, inputs=inputs, force=args.force) as tmp:
        write_funnel(result, tmp)
    out = Path(args.out)
    run_id = None
    if not args.no_mlflow:
        from revops.tracking import command_run

        with command_run(EXPERIMENT, "funnel", "funnel", quiet=args.quiet) as mlflow_run:
            log_funnel(config, result, out, seed=args.seed, leads=bool(args.leads),
                       reps=bool(args.reps), scores=bool(args.scores))
            run_id = mlflow_run.info.run_id
    if args.json:
        print(to_json({"out": str(out), "mlflow_run_id": run_id, "headline": result.summary(),
                       "notes": result.notes}))
    elif not args.quiet:
        for note in result.notes:
            progress.info(f"note: {note}")
        goals = result.totals[result.totals["segment"] == OVERALL]
        print("goals for the plan: " + ", ".join(f"{r.stage} {r.still_needed:,.0f}" for r in goals.itertuples()))
        progress.info(f"funnel written to {out}" + (f" (MLflow run {run_id})" if run_id else ""))
    return 0
