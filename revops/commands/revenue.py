"""``revops revenue``: ARR bridge and retention, renewals due with P(renew) and renewed ARR
p10/p50/p90, and unit economics.

The maths lives in :mod:`forecasting.revenue`; the renewal model is the lead-scoring trainer
(:mod:`revops.steps.revenue`), registered as ``renewal`` (``[revenue] model_name``) once the
outputs are written. The flags come from the plan file's ``[revenue]`` section; the outputs are
written by :mod:`revops.artifacts.revenue`, as in the plan.
"""
from __future__ import annotations

import argparse
from revops.flags import iso_date
import textwrap
from pathlib import Path

EXPERIMENT = "revops-revenue"


def register(subparsers) -> None:
    from revops.config import PlanRevenueConfig
    from revops.flags import add_config_flags
    from revops.reading import add_reading_flags

    parser = subparsers.add_parser(
        "revenue",
        help="ARR bridge, retention (GRR, NRR, churn), renewals at risk and unit economics",
        description="Recurring revenue from a subscriptions export: ARR per segment and period "
        "(new, expansion, contraction, churn; GRR, NRR, logo churn), the renewals due in the plan "
        "quarter with P(renew) from a renewal model and renewed ARR p10/p50/p90, and unit "
        "economics (CAC, cost per lead and SQL, payback, CLV, CLV:CAC, ROI) with --spend. "
        "Defaults are those of the plan file's [revenue] section.",
        epilog=textwrap.dedent(
            """\
            example:
              revops revenue --subscriptions data/subscriptions.csv --spend data/spend.csv \\
                  --leads data/leads.csv --opportunities data/opportunities.csv \\
                  --accounts data/accounts.csv --out out/revenue
              revops revenue --subscriptions subs.csv --out out/revenue --freq M --as-of 2026-12-31

            outputs (in --out): arr_bridge.csv, renewals.csv, renewal_forecast.csv,
            unit_economics.csv, renewal_model.json, arr_bridge.png, retention.png,
            renewal_risk.png, summary.json. The renewal model is registered as 'renewal'
            (--model-name) unless --no-mlflow or --no-register.
            """
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--subscriptions", required=True,
                        help="subscriptions file: subscription_id, account_id, segment, start_date, "
                        "end_date (empty: open-ended), arr [, product]")
    parser.add_argument("--spend", help="spend file: period, segment, amount [, channel] (for CAC and ROI)")
    parser.add_argument("--leads", help="leads file (cost per lead and per SQL)")
    parser.add_argument("--opportunities", help="opportunities file (cost per won new-business deal)")
    parser.add_argument("--accounts", help="accounts file: its columns (region, industry, ...) describe "
                        "each account to the renewal model")
    parser.add_argument("--out", required=True, help="output folder (a new one, or an earlier revops output)")
    parser.add_argument("--as-of", type=iso_date, help="the plan date (YYYY-MM-DD); the plan period is the quarter after it; "
                        "default: the latest date of --opportunities and --leads, else of the subscriptions")
    parser.add_argument("--force", action="store_true",
                        help="replace --out even if it holds files revops did not write")
    add_config_flags(parser, PlanRevenueConfig, title="revenue settings (the plan file's [revenue] section)")
    add_reading_flags(parser)
    parser.add_argument("--no-register", action="store_true",
                        help="log the run but register no renewal model")
    parser.add_argument("--no-mlflow", action="store_true", help="do not log the run to MLflow (nor register)")
    parser.add_argument("--quiet", action="store_true", help="print nothing but errors")
    parser.add_argument("--json", action="store_true", help="print the headline numbers as JSON")
    parser.set_defaults(func=run)


def _load(table: str, path: str | None, data):
    from revops.reading import read_input

    if path is None:
        return None
    return read_input(path, table, data)


def _as_of(text: str | None, tables: dict) -> "object":
    """The plan date: as given, else the latest date of the opportunities and leads, else the
    latest subscription start (booked renewals may start after the export: the last resort)."""
    import pandas as pd

    from revops.errors import ConfigError

    if text:
        try:
            return pd.Timestamp(text).normalize()
        except ValueError:
            raise ConfigError(f"--as-of {text!r}: not a date; expected YYYY-MM-DD, e.g. 2026-12-31.") from None
    latest = []
    for table, columns in (("opportunities", ("created_at", "closed_at")), ("leads", ("created_at",))):
        frame = tables.get(table)
        if frame is None:
            continue
        for column in columns:
            if column in frame.columns and frame[column].notna().any():
                latest.append(pd.Timestamp(frame[column].max()))
    if not latest:
        latest.append(pd.Timestamp(tables["subscriptions"]["start_date"].max()))
    return max(latest).normalize()


def run(args: argparse.Namespace) -> int:
    from revops.config import PlanRevenueConfig
    from revops.flags import config_from_flags
    from revops.outputs import check_output_dir
    from revops.progress import Progress
    from revops.reading import reading_from_flags

    progress = Progress(quiet=args.quiet or args.json)
    config = config_from_flags(PlanRevenueConfig, args)
    inputs = [args.subscriptions, args.spend, args.leads, args.opportunities, args.accounts]
    check_output_dir(args.out, inputs=inputs, force=args.force)
    data = reading_from_flags(args)
    with progress.step("read and validate"):
        tables = {"subscriptions": _load("subscriptions", args.subscriptions, data),
                  "spend": _load("spend", args.spend, data), "leads": _load("leads", args.leads, data),
                  "opportunities": _load("opportunities", args.opportunities, data),
                  "accounts": _load("accounts", args.accounts, data)}
    from forecasting.revenue import RevenueInputError

    from revops.steps.revenue import naming_files

    sources = {"subscriptions": args.subscriptions, "spend": args.spend, "leads": args.leads,
               "opportunities": args.opportunities, "accounts": args.accounts}
    try:
        return _run(args, config, tables, inputs, progress)
    except RevenueInputError as exc:
        raise naming_files(exc, sources) from exc


def _run(args: argparse.Namespace, config, tables: dict, inputs: list, progress) -> int:
    import pandas as pd

    from revops.artifacts.revenue import log_revenue, write_revenue
    from revops.outputs import atomic_output_dir, to_json

    engine = config.engine()
    as_of = _as_of(args.as_of, tables)
    period = (as_of + pd.Timedelta(days=1)).to_period("Q")
    from forecasting.revenue import compute_revenue

    from revops.steps.revenue import fit_renewals

    with progress.step("renewal model"):
        fit = fit_renewals(tables["subscriptions"], as_of=as_of, period=period, accounts=tables["accounts"],
                           config=engine, candidates=config.candidates, seed=engine.seed)
    with progress.step("ARR bridge, renewals and unit economics"):
        result = compute_revenue(tables["subscriptions"], as_of=as_of, period=period, spend=tables["spend"],
                                 leads=tables["leads"], opportunities=tables["opportunities"], config=engine,
                                 renewal_plan=fit.plan,
                                 probability=fit.probability if fit.scorer is not None else None,
                                 reasons=fit.reasons, training_probability=fit.training_probability)
        result.notes[:0] = fit.notes
    with atomic_output_dir(args.out, inputs=inputs, force=args.force) as tmp:
        write_revenue(result, tmp, scorer=fit.scorer, model=fit.model)
    out = Path(args.out)
    run_id, decision = None, None
    if not args.no_mlflow:
        from revops.tracking import command_run

        with command_run(EXPERIMENT, "revenue", "revenue", quiet=args.quiet) as mlflow_run:
            log_revenue(engine, result, out, scorer=fit.scorer, as_of=str(as_of.date()),
                        spend=bool(args.spend), leads=bool(args.leads),
                        opportunities=bool(args.opportunities), accounts=bool(args.accounts))
            run_id = mlflow_run.info.run_id
        if fit.scorer is not None and not args.no_register:
            from scoring import registry

            # Outputs are written and the run logged: only now may the registry change.
            decision = registry.register(fit.scorer, fit.scorer.holdout(fit.plan.training), run_id=run_id,
                                         model_name=config.model_name)
    if args.json:
        print(to_json({"out": str(out), "mlflow_run_id": run_id, "plan_period": str(period),
                       "as_of": str(as_of.date()), "headline": result.summary(), "renewal_model": fit.model,
                       "registry": decision, "notes": result.notes}))
    elif not args.quiet:
        for note in result.notes:
            progress.info(f"note: {note}")
        s = result.summary()
        if "nrr" in s:
            print(f"{s['bridge_period']}: ending ARR {s['ending_arr']:,.0f}, GRR {s['grr']:.1%}, "
                  f"NRR {s['nrr']:.1%}, logo churn {s['logo_churn_rate']:.1%}")
        if "renewals_due" in s:
            print(f"{period}: {s['renewals_due']} renewals due ({s['due_arr']:,.0f} ARR); renewed ARR "
                  f"p10 {s['renewed_arr_p10']:,.0f}, p50 {s['renewed_arr_p50']:,.0f}, p90 {s['renewed_arr_p90']:,.0f}")
        if decision is not None:
            progress.info(f"renewal model registered as {config.model_name} v{decision['version']} "
                          f"({decision['status']}: {decision['reason']})")
        progress.info(f"revenue written to {out}" + (f" (MLflow run {run_id})" if run_id else ""))
    return 0
