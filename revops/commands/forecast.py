"""``revops forecast``: bookings per segment from a history or from opportunities (+ pipeline)."""
from __future__ import annotations

import argparse
import json
import textwrap
from pathlib import Path

from revops.errors import ConfigError

EPILOG = textwrap.dedent(
    """\
    examples:
      revops forecast --history bookings.csv --horizon 12 --out fc/
      revops forecast --history b.csv --horizon 4 --freq Q --levels 80,95 --out fc/ \\
          --segment-col team --period-col month --value-col amount --fill-missing zero
      revops forecast --opportunities data/opportunities.csv --targets data/targets.csv \\
          --horizon 6 --out fc/
      revops forecast --history b.csv --horizon 12 --out fc/ --backend dask --scheduler tcp://10.0.0.5:8786

    outputs: OUT/forecast.csv, OUT/backtest.csv, OUT/metrics.json, OUT/plots/*.png,
             OUT/pipeline.csv (with --opportunities); logged as an MLflow run.
    """
)


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "forecast", help="forecast bookings per segment (backtested, with intervals)",
        description="Forecast bookings per segment: model chosen per segment by a rolling-origin "
                    "backtest, calibrated intervals, totals that add up; with --opportunities "
                    "also the coming quarter's pipeline forecast.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--history", help="long booking history: segment, period, bookings")
    source.add_argument("--opportunities", help="opportunities export; history = won deals by close month")
    parser.add_argument("--targets", help="targets (segment, period e.g. 2027Q1, target); "
                        "with --opportunities")
    parser.add_argument("--out", required=True, help="output folder (replaced if it exists)")
    parser.add_argument("--horizon", type=int, default=12, help="periods ahead (default 12)")
    parser.add_argument("--freq", default="M", help="M (monthly, default) or Q (quarterly)")
    parser.add_argument("--levels", default="80,95", help="interval levels in %% (default 80,95)")
    parser.add_argument("--segment-col", default="segment")
    parser.add_argument("--period-col", default="period")
    parser.add_argument("--value-col", default="bookings")
    parser.add_argument("--fill-missing", choices=["zero"], default=None,
                        help="treat missing periods as 0 bookings instead of failing")
    parser.add_argument("--allow-negative", action="store_true", help="accept negative bookings (refunds)")
    parser.add_argument("--hierarchy", help="CSV with segment,region: reconcile regions too")
    parser.add_argument("--reconciliation", default="bottom_up", choices=["bottom_up", "mint_shrink"])
    parser.add_argument("--origins", type=int, default=3, help="backtest origins (default 3)")
    parser.add_argument("--refit", action="store_true",
                        help="re-estimate every model at every backtest origin (slower; folds "
                        "then run as separate parallel tasks) instead of running forward")
    parser.add_argument("--no-group-season", action="store_true",
                        help="do not try each segment's level times the season of all segments' "
                        "sum (for segments that do not share one year, e.g. two hemispheres)")
    parser.add_argument("--as-of", help="with --opportunities: the export date "
                        "(default: the latest date in the file)")
    parser.add_argument("--seed", type=int, default=0, help="random seed for the pipeline simulation")
    parser.add_argument("--n-jobs", type=int, default=1, help="parallel workers (default 1; -1 = all cores)")
    parser.add_argument("--backend", choices=["loky", "dask"], default=None)
    parser.add_argument("--scheduler", help="Dask scheduler address, e.g. tcp://host:8786 (with --backend dask)")
    parser.add_argument("--no-mlflow", action="store_true", help="do not log an MLflow run")
    parser.add_argument("--quiet", action="store_true", help="print nothing")
    parser.add_argument("--json", action="store_true", help="print the overall metrics as JSON")
    parser.set_defaults(func=run)


def _read(path: str, table: str | None = None):
    """Read a CRM file; check it against the table's contract when it has one.

    The booking history is checked by ``forecasting.validate_history`` instead: it names the
    missing periods per segment and knows --fill-missing and --allow-negative.
    """
    from revops.io import read_table

    frame = read_table(path)
    if table is None:
        return frame
    from revops.contracts import validate

    return validate(table, frame, source=str(path))


def run(args: argparse.Namespace) -> int:
    from forecasting.api import forecast_bookings
    from forecasting.history import history_from_opportunities
    from revops.outputs import atomic_output_dir

    if args.backend == "dask" and not args.scheduler:
        raise ConfigError("--backend dask needs --scheduler ADDRESS (e.g. tcp://127.0.0.1:8786).")
    if args.targets and not args.opportunities:
        raise ConfigError("--targets needs --opportunities (the pipeline forecast).")
    hierarchy = None
    if args.hierarchy:
        table = _read(args.hierarchy)
        missing = [c for c in ("segment", "region") if c not in table.columns]
        if missing:
            raise ConfigError(f"{args.hierarchy}: missing column(s) {', '.join(missing)}; expected "
                              f"segment,region; got {', '.join(map(str, table.columns))}.")
        hierarchy = dict(zip(table["segment"].astype(str), table["region"].astype(str)))
    opportunities = pipeline = None
    if args.opportunities:
        opportunities = _read(args.opportunities, "opportunities")
        history = history_from_opportunities(opportunities, args.freq, as_of=args.as_of)
        cols = dict(segment_col="segment", period_col="period", value_col="bookings")
    else:
        history = _read(args.history)
        cols = dict(segment_col=args.segment_col, period_col=args.period_col, value_col=args.value_col)
    result = forecast_bookings(history, args.horizon, args.freq, args.levels,
                               random_state=args.seed, n_jobs=args.n_jobs, backend=args.backend,
                               scheduler=args.scheduler, hierarchy=hierarchy,
                               reconciliation=args.reconciliation, n_origins=args.origins,
                               refit=args.refit, group_season=not args.no_group_season,
                               fill_missing=args.fill_missing, allow_negative=args.allow_negative,
                               **cols)
    if opportunities is not None:
        from forecasting.pipeline import forecast_pipeline

        targets = _read(args.targets, "targets") if args.targets else None
        pipeline = forecast_pipeline(opportunities, as_of=args.as_of, targets=targets,
                                     random_state=args.seed)
    with atomic_output_dir(args.out) as tmp:
        write_outputs(tmp, result, pipeline)
    out = Path(args.out)
    if not args.no_mlflow:
        run_id = log_to_mlflow(out, result, pipeline, args)
        if not args.quiet and not args.json:
            print(f"MLflow run {run_id}")
    if args.json:
        print(json.dumps({"overall": result.metrics["overall"], "out": str(out),
                          "reconciliation": result.reconciliation}, sort_keys=True, default=str))
    elif not args.quiet:
        _print_summary(result, pipeline, out)
    return 0


def write_outputs(folder: Path, result, pipeline=None) -> None:
    """forecast.csv, backtest.csv, metrics.json, pipeline.csv, plots/*.png, models.joblib."""
    import joblib
    import matplotlib

    matplotlib.use("Agg")
    from forecasting.plots import fan_chart
    from revops.outputs import write_csv, write_json

    write_csv(folder / "forecast.csv", result.forecast)
    write_csv(folder / "backtest.csv", result.backtest)
    write_json(folder / "metrics.json", result.metrics)
    if pipeline is not None:
        write_csv(folder / "pipeline.csv", pipeline.table)
        write_csv(folder / "open_deals.csv", pipeline.open_deals.assign(
            created=pipeline.open_deals["created"].dt.strftime("%Y-%m-%d"))[
            ["opportunity_id", "segment", "created", "amount", "stage", "probability"]])
    plots = folder / "plots"
    plots.mkdir(exist_ok=True)
    hist = result.history
    totals = hist.groupby("period", as_index=False)["bookings"].sum()
    for name, frame in result.forecast.groupby("segment", sort=True):
        series = hist[hist["segment"] == name] if name in set(hist["segment"]) else None
        if series is None:
            if frame["level"].iloc[0] != "total":
                continue  # regions: their table rows are enough
            series = totals
        fig = fan_chart(series, frame, f"{name}: bookings forecast")
        fig.savefig(plots / f"fan_{_slug(name)}.png")
    if "Total" not in set(result.forecast["segment"]):
        # one segment: its chart is the total
        only = result.forecast
        fan_chart(totals, only, "Total: bookings forecast").savefig(plots / "fan_total.png")
    joblib.dump(result.models, folder / "models.joblib")


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in name).lower()


def log_to_mlflow(out: Path, result, pipeline, args) -> str:
    import mlflow

    from revops.mlflow_setup import configure, ensure_experiment

    configure()
    experiment_id = ensure_experiment("forecast")
    with mlflow.start_run(experiment_id=experiment_id, run_name="forecast",
                          nested=mlflow.active_run() is not None) as run:
        config = result.metrics["config"]
        mlflow.log_params({**config, "levels": ",".join(f"{v:g}" for v in config["levels"]),
                           "reconciliation": result.reconciliation,
                           "source": args.opportunities or args.history,
                           "n_segments": result.metrics["overall"]["n_segments"]})
        overall = {k: v for k, v in result.metrics["overall"].items()
                   if isinstance(v, (int, float)) and v is not None}
        mlflow.log_metrics(overall)
        for seg, stats in result.metrics["segments"].items():
            if "mase" in stats:
                mlflow.log_metric(f"mase_{_slug(seg)}", stats["mase"])
        if pipeline is not None:
            total = pipeline.table[pipeline.table["segment"] == "Total"].iloc[0]
            mlflow.log_metric("pipeline_expected_total", float(total["expected_total"]))
        mlflow.log_artifacts(str(out))
        return run.info.run_id


def _print_summary(result, pipeline, out: Path) -> None:
    o = result.metrics["overall"]
    print(f"forecast written to {out} ({o['n_segments']} segments, reconciliation "
          f"{result.reconciliation})")
    if "mase" in o:
        naive = o.get("mase_seasonal_naive", float("nan"))
        print(f"backtest: MASE {o['mase']:.3f} (seasonal naive {naive:.3f}), "
              f"80% coverage {o['coverage_80']:.0%}")
    for note in result.notes:
        print(f"note: {note}")
    if pipeline is not None:
        for note in pipeline.notes:
            print(f"note: {note}")
