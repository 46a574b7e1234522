"""``revops territory solve``: the territory and quota plan from accounts and reps files.

The maths lives in :mod:`territory`; the flags come from :class:`territory.TerritoryConfig` (the
plan file's ``[territory]`` section is the same object, with the same defaults), and the outputs
are written by :mod:`revops.artifacts.territory`, as in the plan.
"""
from __future__ import annotations

import argparse
import textwrap
from pathlib import Path

EXPERIMENT = "revops-territory"


def register(subparsers) -> None:
    from territory import TerritoryConfig

    from revops.flags import add_config_flags

    parser = subparsers.add_parser(
        "territory",
        help="territory and quota plan (balanced, least disruption)",
        description="Territory and quota planning.",
    )
    sub = parser.add_subparsers(dest="territory_command", metavar="SUBCOMMAND")
    solve = sub.add_parser(
        "solve",
        help="assign accounts to reps within each pool, balanced, moving as little as possible",
        description="Assign every account to one eligible rep (same segment; same region unless "
        "the rep's region is empty), keep locked accounts, keep each rep's potential and workload "
        "within +/- tolerance of its fair share of the pool, with the least disruption (or "
        "travel, or a mix); then quotas per segment that add up to target x (1 + over-assignment). "
        "Defaults are those of the plan file's [territory] section. Ctrl-C stops the solve.",
        epilog=textwrap.dedent(
            """\
            examples:
              revops territory solve --accounts data/accounts.csv --reps data/reps.csv \\
                  --targets data/targets.csv --out out/territory
              revops territory solve ... --balance-tolerance 0.05 --max-moved-share 0.1 --mip-gap 0.01
              revops territory solve ... --objective travel --costs data/costs.csv --solver cbc

            outputs (in --out): assignments.csv, rep_summary.csv, pools.csv, summary.json,
            balance_potential.png, balance_workload.png, moves.png
            """
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    solve.add_argument("--accounts", required=True, help="accounts file (CSV, Excel or Parquet)")
    solve.add_argument("--reps", required=True, help="reps file")
    solve.add_argument("--costs", help="costs file: account_id, rep_id, cost (for travel/mix)")
    solve.add_argument("--targets", help="targets file: segment, period, target (for quotas)")
    solve.add_argument("--out", required=True, help="output folder (a new one, or an earlier revops output)")
    solve.add_argument("--force", action="store_true",
                       help="replace --out even if it holds files revops did not write")
    add_config_flags(solve, TerritoryConfig, aliases={"quota_period": ["--period"], "n_jobs": ["--jobs"]},
                     title="plan settings (the plan file's [territory] section)")
    from revops.reading import add_reading_flags

    add_reading_flags(solve)
    solve.add_argument("--no-mlflow", action="store_true", help="do not log the run to MLflow")
    solve.add_argument("--quiet", action="store_true", help="print nothing but errors")
    solve.add_argument("--json", action="store_true", help="print the summary as JSON")
    solve.set_defaults(func=run)
    parser.set_defaults(func=lambda args: (parser.print_help(), 2)[1])


def _load(table: str, path: str | None, data=None):
    from revops.reading import read_input

    if path is None:
        return None
    return read_input(path, table, data)


def run(args: argparse.Namespace) -> int:
    from territory import TerritoryConfig, plan_territories

    from revops.artifacts.territory import log_plan, summary_record, write_plan
    from revops.flags import config_from_flags
    from revops.outputs import atomic_output_dir, check_output_dir, to_json
    from revops.progress import Progress

    progress = Progress(quiet=args.quiet or args.json)
    config = config_from_flags(TerritoryConfig, args)
    inputs = [args.accounts, args.reps, args.costs, args.targets]
    check_output_dir(args.out, inputs=inputs, force=args.force)
    from revops.reading import reading_from_flags

    data = reading_from_flags(args)
    with progress.step("read and validate"):
        accounts = _load("accounts", args.accounts, data)
        reps = _load("reps", args.reps, data)
        costs = _load("costs", args.costs, data)
        targets = _load("targets", args.targets, data)
    # As in the plan: accounts of departed owners are unassigned, and said so.
    from revops.inputs import departed_owners_note

    _, note = departed_owners_note(accounts, reps, args.accounts)
    if note:
        progress.info(f"note: {note}")
    with progress.step("solve the territory plan"):
        plan = plan_territories(accounts, reps, costs, targets, config=config, progress=progress.info)
    with atomic_output_dir(args.out, inputs=inputs, force=args.force) as tmp:
        write_plan(plan, tmp)
    out = Path(args.out)
    run_id = None
    if not args.no_mlflow:
        from revops.tracking import command_run, log_folder

        with command_run(EXPERIMENT, "territory", "territory", quiet=args.quiet) as mlflow_run:
            log_plan(plan)
            log_folder(out, "territory")
            run_id = mlflow_run.info.run_id
    s = plan.summary
    if args.json:
        print(to_json({"out": str(out), "mlflow_run_id": run_id, "summary": summary_record(plan),
                       "solve_seconds": s.solve_seconds, "notes": plan.notes}))
    elif not args.quiet:
        for note in plan.notes:
            progress.info(f"note: {note}")
        progress.info(
            f"{s.status}: {s.accounts_moved} accounts moved "
            f"({s.moved_share:.1%} of potential), worst deviation "
            f"{s.worst_deviation_pct:.1f}% (was {s.worst_deviation_before_pct:.1f}%), "
            f"certified gap {s.certified_gap:.2%}, {s.solve_seconds:.1f} s")
        progress.info(f"plan written to {out}" + (f" (MLflow run {run_id})" if run_id else ""))
    return 0
