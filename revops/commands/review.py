"""``revops review``: the SLA kept or not, sales' feedback, and the last plan against what happened.

The maths lives in :mod:`forecasting.review`; the SLA flags come from
:class:`forecasting.review.SlaConfig` (the plan file's ``[sla]`` section), and the outputs are
written by :mod:`revops.artifacts.review`, as in the plan's review step.
"""
from __future__ import annotations

import argparse
from revops.flags import iso_date
import textwrap
from pathlib import Path

EXPERIMENT = "revops-review"
TABLES = ("leads", "activities", "opportunities")


def register(subparsers) -> None:
    from forecasting.review.config import SlaConfig

    from revops.flags import add_config_flags

    parser = subparsers.add_parser(
        "review",
        help="hold the leads against the SLA, and the last plan against what happened",
        description="Check every lead against the sales-marketing SLA (first touch the same day or "
        "within business hours; a first-week cadence of calls and emails), list the open leads in "
        "breach, sum up sales' acceptance and rejection of the leads, and with --plan hold the last "
        "plan's funnel and forecast against what happened (the bottleneck stage per segment, and "
        "whether bookings fell inside the 80 % interval). Defaults are those of the plan file's "
        "[sla] section.",
        epilog=textwrap.dedent(
            """\
            examples:
              revops review --data data/ --out review/
              revops review --data data/ --out review/ --plan last-quarter-plan/ --as-of 2027-03-31
              revops review --data data/ --out review/ --first-touch 4 --min-calls 6

            outputs (in --out/review): sla_summary.csv, sla_breaches.csv, lead_feedback.csv,
            rejection_labels.csv, sla_compliance.png, summary.json; with --plan also
            plan_vs_actual.csv, stage_attainment.csv, forecast_accuracy.csv, plan_vs_actual.png
            """
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--data", required=True, help="folder of CRM exports (leads, activities, opportunities)")
    parser.add_argument("--out", required=True, help="output folder (a new one, or an earlier revops output)")
    parser.add_argument("--plan", help="the last plan's folder (the --out of an earlier 'revops plan')")
    parser.add_argument("--as-of", type=iso_date, help="review date YYYY-MM-DD (default: [data] as_of, else the "
                        "latest date in the data)")
    parser.add_argument("--config", help="plan file (plan.toml): its [sla], [data] and [columns]")
    parser.add_argument("--scores", help="lead scores (lead_id, tier) for acceptance by score tier; "
                        "default: the --plan folder's scoring/lead_scores.csv")
    parser.add_argument("--force", action="store_true",
                        help="replace --out even if it holds files revops did not write")
    add_config_flags(parser, SlaConfig, title="SLA settings (the plan file's [sla] section)")
    parser.add_argument("--no-mlflow", action="store_true", help="do not log the run to MLflow")
    parser.add_argument("--quiet", action="store_true", help="print nothing but errors")
    parser.add_argument("--json", action="store_true", help="print the headline numbers as JSON")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import dataclasses

    import pandas as pd

    from forecasting.review.config import SlaConfig

    from revops.artifacts.review import log_review, write_review
    from revops.config import load_config
    from revops.errors import ConfigError
    from revops.flags import config_from_flags
    from revops.inputs import load_inputs
    from revops.outputs import atomic_output_dir, check_output_dir, to_json
    from revops.plan import infer_as_of
    from revops.progress import Progress
    from revops.steps.review import read_previous_plan, run_review

    progress = Progress(quiet=args.quiet or args.json)
    config = load_config(args.config)
    sla = config_from_flags(SlaConfig, args, base=config.sla)
    config = config.model_copy(update={"sla": sla})
    plan_dir = args.plan or config.data.previous_plan
    inputs = [args.data, plan_dir, args.scores]
    check_output_dir(args.out, inputs=inputs, force=args.force)
    if args.as_of:
        try:
            as_of = pd.Timestamp(args.as_of)
        except ValueError:
            raise ConfigError(f"--as-of {args.as_of!r}: not a date; expected YYYY-MM-DD, e.g. 2027-03-31") from None
        config = config.model_copy(update={"data": dataclasses.replace(config.data, as_of=as_of.date())})
    with progress.step("read and validate"):
        data = config.data
        bundle = load_inputs(args.data, columns=config.columns, file_names=data.tables,
                             tables=TABLES, derive=config.derive, drop_empty=config.drop_empty,
                             allow_outside=data.allow_outside, reading=data)
        if not bundle.has("leads"):
            raise ConfigError(f"{args.data}: no leads table (leads.csv); the review needs the leads.")
        as_of = pd.Timestamp(data.as_of) if data.as_of else infer_as_of(bundle)
        plan = read_previous_plan(plan_dir) if plan_dir else None
        scores = None
        scores_path = Path(args.scores) if args.scores else (
            Path(plan_dir) / "scoring" / "lead_scores.csv" if plan_dir else None)
        if scores_path is not None:
            if not scores_path.is_file():
                if args.scores:
                    raise ConfigError(f"--scores {args.scores}: file not found.")
            else:
                from revops.reading import read_input

                scores = read_input(scores_path, None, data)
                if "tier" not in scores.columns or "lead_id" not in scores.columns:
                    raise ConfigError(f"{scores_path}: expected the columns lead_id and tier "
                                      "(the lead_scores.csv of a plan or of 'revops score predict').")
                scores = scores.assign(lead_id=scores["lead_id"].astype(str))
    with progress.step("review"):
        result = run_review(bundle, config, as_of, previous_plan=plan, scores=scores)
    with atomic_output_dir(args.out, inputs=inputs, force=args.force) as tmp:
        write_review(result, tmp / "review")
    out = Path(args.out)
    run_id = None
    if not args.no_mlflow:
        from revops.tracking import command_run

        with command_run(EXPERIMENT, "review", "review", quiet=args.quiet,
                         tracking_uri=config.mlflow.tracking_uri) as mlflow_run:
            log_review(sla, result, out / "review", previous_plan=str(plan_dir),
                       **{f"input.{t}.sha256": h for t, h in bundle.fingerprints.items()})
            run_id = mlflow_run.info.run_id
    if args.json:
        print(to_json({"out": str(out), "mlflow_run_id": run_id, "headline": result.summary(),
                       "notes": result.notes}))
    elif not args.quiet:
        for note in bundle.notes + result.notes:
            progress.info(f"note: {note}")
        head = result.summary()
        if result.has_activities:
            print(f"SLA as of {head['as_of']}: first touch in time {head['first_touch_in_sla_share']:.1%}, "
                  f"cadence ({head['sla']}) met {head['cadence_met_share']:.1%}; SQL rate compliant "
                  f"{head['sql_rate_compliant']:.1%} vs not {head['sql_rate_non_compliant']:.1%}; "
                  f"{head['open_leads_in_breach']} open leads in breach")
        if "bottleneck" in head:
            print("bottleneck: " + ", ".join(f"{s} {st}" for s, st in head["bottleneck"].items()))
        progress.info(f"review written to {out / 'review'}" + (f" (MLflow run {run_id})" if run_id else ""))
    return 0
