"""``revops funnel``: funnel KPIs, the target worked back to MQLs per month, and the headcount.

The maths lives in :mod:`forecasting.funnel`; this module reads and validates the files, writes
the outputs (all at once) and logs the run to MLflow. :func:`compute_funnel` and
:func:`write_funnel` are what the plan job's funnel step reuses.
"""
from __future__ import annotations

import argparse
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from forecasting.funnel import (
    OVERALL, FunnelAssumptions, build_funnel_plan, compute_kpis, estimate_drivers, funnel_sensitivity,
    funnel_totals, kpi_summary, plan_headcount,
)
from forecasting.funnel.plots import save_funnel_plots

EXPERIMENT = "revops-funnel"


@dataclass
class FunnelResult:
    """Every table the funnel step produces, plus notes for the user."""

    kpis: pd.DataFrame
    drivers: pd.DataFrame
    plan: pd.DataFrame
    totals: pd.DataFrame
    headcount: pd.DataFrame
    sensitivity: pd.DataFrame
    notes: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        """Headline numbers (per segment and overall): the SLA goals and the hiring gap."""
        out: dict[str, Any] = {}
        for row in self.totals.itertuples():
            out[f"{row.segment}.{row.stage}_required"] = round(float(row.required), 2)
            out[f"{row.segment}.{row.stage}_still_needed"] = round(float(row.still_needed), 2)
        for row in self.headcount[self.headcount["segment"] == OVERALL].itertuples():
            out[f"{OVERALL}.{row.role}_needed.{row.target_period}"] = round(float(row.needed), 2)
        out["low_sample_kpis"] = int(self.kpis["low_sample"].sum())
        return out


def compute_funnel(
    opportunities: pd.DataFrame,
    targets: pd.DataFrame,
    leads: pd.DataFrame | None = None,
    reps: pd.DataFrame | None = None,
    lead_scores: pd.DataFrame | None = None,
    *,
    assumptions: FunnelAssumptions | None = None,
    min_records: int = 30,
    window_months: int | None = 12,
    stage_order: list[str] | None = None,
    random_state: int = 0,
) -> FunnelResult:
    """All funnel tables from validated frames (no files, no MLflow)."""
    assumptions = assumptions or FunnelAssumptions()
    notes: list[str] = []
    kpis = compute_kpis(opportunities, leads, targets, min_records=min_records, window_months=window_months,
                        stage_order=stage_order, random_state=random_state)
    segments = sorted(pd.Series(targets["segment"]).astype(str).str.strip().unique())
    drivers = estimate_drivers(kpis, segments, assumptions, min_records)
    if leads is None:
        notes.append("no leads table: the plan stops at opportunities (no SQL or MQL goals)")
    if lead_scores is not None and leads is None:
        notes.append("lead scores given without the leads table: scores are taken as all open MQLs")
    plan = build_funnel_plan(targets, kpis, opportunities=opportunities, leads=leads, lead_scores=lead_scores,
                             assumptions=assumptions, min_records=min_records, drivers=drivers)
    headcount = plan_headcount(targets, plan, kpis, reps, assumptions)
    sensitivity = funnel_sensitivity(targets, kpis, assumptions=assumptions, min_records=min_records,
                                     opportunities=opportunities, leads=leads, lead_scores=lead_scores)
    borrowed = drivers[drivers["source"].str.startswith(OVERALL)]
    for row in borrowed.itertuples():
        notes.append(f"{row.segment}: {row.driver} taken from all segments ({row.source})")
    if bool(plan["in_past"].any()):
        first = plan.loc[plan["in_past"], "period"].min()
        notes.append(f"some requirements fall before the data's as-of month (from {first}): "
                     "they show what the pipeline should already hold (see in_past)")
    return FunnelResult(kpis, drivers, plan, funnel_totals(plan), headcount, sensitivity, notes)


def write_funnel(result: FunnelResult, out_dir: str | Path) -> dict[str, Path]:
    """Write the CSVs, plots and summary into ``out_dir`` (which must exist)."""
    from revops.outputs import write_csv, write_json

    out_dir = Path(out_dir)
    paths = {
        "funnel_plan": write_csv(out_dir / "funnel_plan.csv", result.plan),
        "funnel_totals": write_csv(out_dir / "funnel_totals.csv", result.totals),
        "headcount": write_csv(out_dir / "headcount.csv", result.headcount),
        "kpis": write_csv(out_dir / "kpis.csv", result.kpis),
        "kpi_summary": write_csv(out_dir / "kpi_summary.csv", kpi_summary(result.kpis)),
        "drivers": write_csv(out_dir / "drivers.csv", result.drivers),
        "sensitivity": write_csv(out_dir / "sensitivity.csv", result.sensitivity),
    }
    for path in save_funnel_plots(result.plan, out_dir):
        paths[path.stem] = path
    paths["summary"] = write_json(out_dir / "summary.json", {"headline": result.summary(), "notes": result.notes})
    return paths


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "funnel",
        help="funnel KPIs, the target worked back to MQLs per month, and headcount",
        description="Compute the funnel KPIs from the CRM tables, work each segment's target back to "
        "won deals, opportunities, SQLs and MQLs per month (placed by cycle time), and the AEs and "
        "SDRs needed against the reps on file.",
        epilog=textwrap.dedent(
            """\
            example:
              revops funnel --opportunities data/opportunities.csv --targets data/targets.csv \\
                  --leads data/leads.csv --reps data/reps.csv --out out/funnel
              revops funnel ... --scores out/scoring/lead_scores.csv   # MQL goal net of open MQLs

            outputs (in --out): funnel_plan.csv, funnel_totals.csv, headcount.csv, kpis.csv,
            kpi_summary.csv, drivers.csv, sensitivity.csv, funnel.png, monthly_goals.png, summary.json
            """
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--opportunities", required=True, help="opportunities file (CSV or Parquet)")
    parser.add_argument("--targets", required=True, help="targets file: segment, period (2027Q1), target")
    parser.add_argument("--leads", help="leads file (for the MQL->SQL and SQL->opportunity rates)")
    parser.add_argument("--reps", help="reps file (to compare the headcount needed with the reps on file)")
    parser.add_argument("--scores", help="lead scores of open MQLs: lead_id, probability")
    parser.add_argument("--out", required=True, help="output folder (replaced if it exists)")
    parser.add_argument("--min-records", type=int, default=30,
                        help="flag KPIs built on fewer records; such segments borrow the overall rate "
                        "(default 30)")
    parser.add_argument("--window-months", type=int, default=12,
                        help="months of history behind the rates (default 12; 0 = all history)")
    parser.add_argument("--stage-order", help="open stages in order, comma-separated (default: inferred)")
    parser.add_argument("--attainment", type=float, default=0.8, help="expected quota attainment (0.8)")
    parser.add_argument("--quota-per-rep-month", type=float,
                        help="productive quota per AE per month (default: from history)")
    parser.add_argument("--sqls-per-sdr-month", type=float, default=20.0,
                        help="SQLs one SDR produces per month (default 20)")
    parser.add_argument("--target-growth", type=float, default=0.0, help="what-if: targets x (1 + growth)")
    parser.add_argument("--seed", type=int, default=0, help="random seed of the bootstrap intervals")
    parser.add_argument("--no-mlflow", action="store_true", help="do not log the run to MLflow")
    parser.add_argument("--quiet", action="store_true", help="print nothing but errors")
    parser.add_argument("--json", action="store_true", help="print the headline numbers as JSON")
    parser.set_defaults(func=run)


def _load(table: str | None, path: str | None) -> pd.DataFrame | None:
    from revops.contracts import validate
    from revops.io import read_table

    if path is None:
        return None
    frame = read_table(path)
    return validate(table, frame, source=str(path)) if table else frame


def run(args: argparse.Namespace) -> int:
    import json

    from revops.outputs import atomic_output_dir, json_safe
    from revops.progress import Progress

    progress = Progress(quiet=args.quiet or args.json)
    with progress.step("read and validate"):
        opportunities = _load("opportunities", args.opportunities)
        targets = _load("targets", args.targets)
        leads = _load("leads", args.leads)
        reps = _load("reps", args.reps)
        scores = _load(None, args.scores)
    assumptions = FunnelAssumptions(attainment=args.attainment, quota_per_rep_month=args.quota_per_rep_month,
                                    sqls_per_sdr_month=args.sqls_per_sdr_month, target_growth=args.target_growth)
    stage_order = [s.strip() for s in args.stage_order.split(",")] if args.stage_order else None
    with progress.step("funnel"):
        result = compute_funnel(opportunities, targets, leads, reps, scores, assumptions=assumptions,
                                min_records=args.min_records, window_months=args.window_months or None,
                                stage_order=stage_order, random_state=args.seed)
    with atomic_output_dir(args.out) as tmp:
        write_funnel(result, tmp)
    out = Path(args.out)
    run_id = None if args.no_mlflow else _log_to_mlflow(result, out, args, assumptions)
    if args.json:
        print(json.dumps(json_safe({"out": str(out), "mlflow_run_id": run_id, "headline": result.summary(),
                                    "notes": result.notes}), indent=2, sort_keys=True))
    elif not args.quiet:
        for note in result.notes:
            progress.info(f"note: {note}")
        goals = result.totals[result.totals["segment"] == OVERALL]
        progress.info("goals for the plan: " + ", ".join(
            f"{r.stage} {r.still_needed:,.0f}" for r in goals.itertuples()))
        progress.info(f"funnel written to {out}" + (f" (MLflow run {run_id})" if run_id else ""))
    return 0


def _log_to_mlflow(result: FunnelResult, out: Path, args: argparse.Namespace,
                   assumptions: FunnelAssumptions) -> str:
    import mlflow

    from revops.mlflow_setup import configure, ensure_experiment

    configure()
    experiment_id = ensure_experiment(EXPERIMENT)
    with mlflow.start_run(experiment_id=experiment_id, run_name="funnel") as run:
        mlflow.set_tag("revops.kind", "funnel")
        mlflow.log_params({
            "min_records": args.min_records, "window_months": args.window_months, "seed": args.seed,
            "attainment": assumptions.attainment, "quota_per_rep_month": assumptions.quota_per_rep_month,
            "sqls_per_sdr_month": assumptions.sqls_per_sdr_month, "target_growth": assumptions.target_growth,
            "leads": bool(args.leads), "reps": bool(args.reps), "scores": bool(args.scores),
        })
        metrics = {k.replace(" ", "_"): v for k, v in result.summary().items()
                   if isinstance(v, (int, float)) and v == v}
        mlflow.log_metrics(metrics)
        mlflow.log_artifacts(str(out), artifact_path="funnel")
        return run.info.run_id

