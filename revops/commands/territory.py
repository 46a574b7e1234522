"""``revops territory solve``: the territory and quota plan from accounts and reps files.

The maths lives in :mod:`territory`; this module reads and validates the files, writes the
outputs (all at once) and logs the run to MLflow. :func:`write_plan` and :func:`log_plan` are
what the plan job's territory step reuses.
"""
from __future__ import annotations

import argparse
import json
import textwrap
from pathlib import Path
from typing import Any

import pandas as pd

from territory import TerritoryConfig, TerritoryPlan, plan_territories

EXPERIMENT = "revops-territory"
SUMMARY_METRICS = ("objective_value", "objective_bound", "certified_gap", "worst_deviation_pct",
                   "worst_deviation_before_pct", "tolerance_reached", "moved_share",
                   "moved_potential", "accounts_moved", "solve_seconds", "unassigned_owner_count",
                   "travel_cost")


def write_plan(plan: TerritoryPlan, out_dir: str | Path) -> dict[str, Path]:
    """assignments.csv, rep_summary.csv, pools.csv, summary.json and the plots, into ``out_dir``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from revops.outputs import write_csv, write_json
    from territory.plots import balance_figure, moves_figure

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {
        "assignments": write_csv(out_dir / "assignments.csv", plan.assignments),
        "rep_summary": write_csv(out_dir / "rep_summary.csv", plan.rep_summary),
        # Seconds vary run to run; the CSV keeps only what the same inputs reproduce exactly.
        "pools": write_csv(out_dir / "pools.csv", plan.pool_summary.drop(columns=["seconds"])),
        "summary": write_json(out_dir / "summary.json", plan.summary),
    }
    figures = {"balance_potential": balance_figure(plan.rep_summary, "potential"),
               "balance_workload": balance_figure(plan.rep_summary, "workload"),
               "moves": moves_figure(plan.rep_summary)}
    for name, fig in figures.items():
        path = out_dir / f"{name}.png"
        fig.savefig(path, dpi=110, metadata={"Software": None})
        plt.close(fig)
        paths[name] = path
    return paths


def log_plan(plan: TerritoryPlan, out_dir: str | Path, run_name: str = "territory",
             nested: bool = False) -> str:
    """Log parameters, headline metrics and the output folder to MLflow; return the run id."""
    import mlflow

    from revops.mlflow_setup import configure, ensure_experiment

    if not nested:
        configure()
        experiment_id = ensure_experiment(EXPERIMENT)
    with (mlflow.start_run(run_name=run_name, nested=True) if nested else
          mlflow.start_run(experiment_id=experiment_id, run_name=run_name)) as run:
        mlflow.set_tag("revops.kind", "territory")
        config = plan.config
        mlflow.log_params({
            "balance_tolerance": config.balance_tolerance, "objective": config.objective,
            "max_moved_share": config.max_moved_share, "over_assignment": config.over_assignment,
            "solver": config.solver, "engine": config.engine, "time_limit": config.time_limit,
            "best_effort": config.best_effort, "mip_gap": config.mip_gap,
            "accounts": plan.summary["accounts"], "reps": plan.summary["reps"],
            "pools": plan.summary["pools"],
        })
        mlflow.set_tag("territory.status", plan.summary["status"])
        metrics = {k: float(plan.summary[k]) for k in SUMMARY_METRICS
                   if isinstance(plan.summary.get(k), (int, float))
                   and plan.summary[k] == plan.summary[k]}
        mlflow.log_metrics(metrics)
        mlflow.log_artifacts(str(out_dir), artifact_path="territory")
        return run.info.run_id


def _load(table: str, path: str | None) -> pd.DataFrame | None:
    from revops.contracts import validate
    from revops.io import read_table

    if path is None:
        return None
    return validate(table, read_table(path), source=str(path))


def register(subparsers) -> None:
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
        "travel, or a mix); then quotas per segment that add up to target x (1 + over-assignment).",
        epilog=textwrap.dedent(
            """\
            examples:
              revops territory solve --accounts data/accounts.csv --reps data/reps.csv \\
                  --targets data/targets.csv --out out/territory
              revops territory solve ... --balance-tolerance 0.05 --max-moved-share 0.1 --best-effort
              revops territory solve ... --objective travel --costs data/costs.csv --solver cbc

            outputs (in --out): assignments.csv, rep_summary.csv, pools.csv, summary.json,
            balance_potential.png, balance_workload.png, moves.png
            """
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    solve.add_argument("--accounts", required=True, help="accounts file (CSV or Parquet)")
    solve.add_argument("--reps", required=True, help="reps file (CSV or Parquet)")
    solve.add_argument("--costs", help="costs file: account_id, rep_id, cost (for travel/mix)")
    solve.add_argument("--targets", help="targets file: segment, period, target (for quotas)")
    solve.add_argument("--out", required=True, help="output folder (replaced if it exists)")
    solve.add_argument("--balance-tolerance", type=float, default=0.10,
                       help="each rep within +/- this share of its fair share (default 0.10)")
    solve.add_argument("--objective", choices=("disruption", "travel", "mix"), default="disruption",
                       help="least potential moved (default), least travel cost, or a mix")
    solve.add_argument("--disruption-weight", type=float, default=1.0, help="mix weight (1.0)")
    solve.add_argument("--travel-weight", type=float, default=1.0, help="mix weight (1.0)")
    solve.add_argument("--max-moved-share", type=float,
                       help="cap on the share of potential moved off current owners (0-1)")
    solve.add_argument("--over-assignment", type=float, default=0.10,
                       help="quotas add up to target x (1 + this) (default 0.10)")
    solve.add_argument("--period", help="target period for quotas (default: all periods summed)")
    solve.add_argument("--solver", choices=("highs", "cbc"), default="highs",
                       help="MILP solver through PuLP (default highs)")
    solve.add_argument("--engine", choices=("auto", "pulp", "highspy"), default="auto",
                       help="auto: highspy arrays for large pools, the PuLP model otherwise")
    solve.add_argument("--time-limit", type=float, help="seconds for the whole solve")
    solve.add_argument("--best-effort", action="store_true",
                       help="if infeasible, return the most balanced plan and the tolerance reached")
    solve.add_argument("--jobs", type=int, default=1, help="pools solved in parallel (default 1)")
    solve.add_argument("--no-mlflow", action="store_true", help="do not log the run to MLflow")
    solve.add_argument("--quiet", action="store_true", help="print nothing but errors")
    solve.add_argument("--json", action="store_true", help="print the summary as JSON")
    solve.set_defaults(func=run)
    parser.set_defaults(func=lambda args: (parser.print_help(), 2)[1])


def config_from_args(args: argparse.Namespace) -> TerritoryConfig:
    return TerritoryConfig(
        balance_tolerance=args.balance_tolerance, objective=args.objective,
        disruption_weight=args.disruption_weight, travel_weight=args.travel_weight,
        max_moved_share=args.max_moved_share, over_assignment=args.over_assignment,
        quota_period=args.period, solver=args.solver, engine=args.engine,
        time_limit=args.time_limit, best_effort=args.best_effort, n_jobs=args.jobs,
    )


def run(args: argparse.Namespace) -> int:
    from revops.outputs import atomic_output_dir, json_safe
    from revops.progress import Progress

    progress = Progress(quiet=args.quiet or args.json)
    config = config_from_args(args)
    with progress.step("read and validate"):
        accounts = _load("accounts", args.accounts)
        reps = _load("reps", args.reps)
        costs = _load("costs", args.costs)
        targets = _load("targets", args.targets)
    with progress.step("solve the territory plan"):
        plan = plan_territories(accounts, reps, costs, targets, config=config)
    with atomic_output_dir(args.out) as tmp:
        write_plan(plan, tmp)
    out = Path(args.out)
    run_id = None if args.no_mlflow else log_plan(plan, out)
    summary: dict[str, Any] = plan.summary
    if args.json:
        print(json.dumps(json_safe({"out": str(out), "mlflow_run_id": run_id, "summary": summary}),
                         indent=2, sort_keys=True, default=str))
    elif not args.quiet:
        for note in plan.notes:
            progress.info(f"note: {note}")
        progress.info(
            f"{summary['status']}: {summary['accounts_moved']} accounts moved "
            f"({summary['moved_share']:.1%} of potential), worst deviation "
            f"{summary['worst_deviation_pct']:.1f}% (was {summary['worst_deviation_before_pct']:.1f}%), "
            f"certified gap {summary['certified_gap']:.2%}, {summary['solve_seconds']:.1f} s")
        progress.info(f"plan written to {out}" + (f" (MLflow run {run_id})" if run_id else ""))
    return 0
