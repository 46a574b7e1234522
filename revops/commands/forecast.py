"""``revops forecast``: bookings per segment from a history or from opportunities (+ pipeline)."""
from __future__ import annotations

import argparse
import sys
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
      revops forecast --history b.csv --horizon 12 --out fc/ --backend dask --scheduler tcp://scheduler:8786

    outputs: OUT/forecast.csv, OUT/backtest.csv, OUT/metrics.json, OUT/plots/*.png,
             OUT/pipeline.csv (with --opportunities); logged as an MLflow run.
    """
)


def register(subparsers) -> None:
    from forecasting import ForecastConfig

    from revops.flags import add_config_flags, iso_date

    parser = subparsers.add_parser(
        "forecast", help="forecast bookings per segment (backtested, with intervals)",
        description="Forecast bookings per segment: model chosen per segment by a rolling-origin "
                    "backtest, calibrated intervals, totals that add up; with --opportunities "
                    "also the coming quarter's pipeline forecast. Defaults are those of the plan "
                    "file's [forecast] section.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--history", help="long booking history: segment, period, bookings")
    source.add_argument("--opportunities", help="opportunities export; history = won deals by close month")
    parser.add_argument("--targets", help="targets (segment, period e.g. 2027Q1, target); "
                        "with --opportunities")
    parser.add_argument("--out", required=True, help="output folder (a new one, or an earlier revops output)")
    parser.add_argument("--force", action="store_true",
                        help="replace --out even if it holds files revops did not write")
    parser.add_argument("--segment-col", default="segment", help="history: the segment column")
    parser.add_argument("--period-col", default="period", help="history: the period column")
    parser.add_argument("--value-col", default="bookings", help="history: the bookings column")
    parser.add_argument("--hierarchy", help="CSV with segment,region: reconcile regions too")
    parser.add_argument("--reps", help="with --opportunities: reps (rep_id, manager_id) for the roll-up "
                        "rep -> manager -> segment (forecast/rollup.csv, written when deals name owners)")
    parser.add_argument("--calls", help="with --opportunities: forecast calls (owner_id, period, amount) "
                        "beside the model in rollup.csv")
    parser.add_argument("--as-of", type=iso_date, help="with --opportunities: the export date "
                        "(default: the latest date in the file)")
    parser.add_argument("--seed", type=int, default=0, help="random seed for the pipeline simulation")
    add_config_flags(parser, ForecastConfig,
                     aliases={"backtest_origins": ["--origins"], "n_jobs": ["--jobs"]},
                     title="forecast settings (the plan file's [forecast] section)")
    from revops.reading import add_reading_flags

    add_reading_flags(parser)
    parser.add_argument("--no-mlflow", action="store_true", help="do not log an MLflow run")
    parser.add_argument("--quiet", action="store_true", help="print nothing")
    parser.add_argument("--json", action="store_true", help="print the overall metrics as JSON")
    parser.set_defaults(func=run)


def _read(path: str, table: str | None = None, data=None):
    """Read a CRM file; check it against the table's contract when it has one.

    The booking history is checked by ``forecasting.validate_history`` instead: it names the
    missing periods per segment and knows fill_missing and allow_negative.
    """
    from revops.reading import read_input

    return read_input(path, table, data)


def run(args: argparse.Namespace) -> int:
    from forecasting import ForecastConfig
    from forecasting.api import forecast_bookings
    from forecasting.history import history_from_opportunities

    from revops.artifacts.forecast import log_forecast, write_forecast
    from revops.flags import config_from_flags
    from revops.outputs import atomic_output_dir, check_output_dir, to_json

    config = config_from_flags(ForecastConfig, args)
    from revops.reading import reading_from_flags

    data = reading_from_flags(args)
    if args.targets and not args.opportunities:
        raise ConfigError("--targets needs --opportunities (the pipeline forecast).")
    inputs = [args.history, args.opportunities, args.targets, args.hierarchy,
              args.reps, args.calls]
    check_output_dir(args.out, inputs=inputs, force=args.force)
    hierarchy = None
    if args.hierarchy:
        table = _read(args.hierarchy, None, data)
        missing = [c for c in ("segment", "region") if c not in table.columns]
        if missing:
            raise ConfigError(f"{args.hierarchy}: missing column(s) {', '.join(missing)}; expected "
                              f"segment,region; got {', '.join(map(str, table.columns))}.")
        hierarchy = dict(zip(table["segment"].astype(str), table["region"].astype(str)))
    opportunities = pipeline = quarter = None
    if args.opportunities:
        opportunities = _read(args.opportunities, "opportunities", data)
        history = history_from_opportunities(opportunities, config.freq, as_of=args.as_of)
        cols = dict(segment_col="segment", period_col="period", value_col="bookings")
    else:
        history = _read(args.history, None, data)
        cols = dict(segment_col=args.segment_col, period_col=args.period_col, value_col=args.value_col)
    result = forecast_bookings(history, config, random_state=args.seed, hierarchy=hierarchy, **cols)
    if opportunities is not None:
        from forecasting.pipeline import forecast_pipeline

        targets = _read(args.targets, "targets", data) if args.targets else None
        pipeline = forecast_pipeline(opportunities, config, as_of=args.as_of, targets=targets,
                                     random_state=args.seed)
        # The plan's one forecast of the coming quarter: the same rule, the same numbers.
        from forecasting.combine import combine_quarter

        quarter = combine_quarter(result, pipeline, targets=targets)
    with atomic_output_dir(args.out, inputs=inputs, force=args.force) as tmp:
        write_forecast(tmp, result, pipeline, quarter)
        from revops.artifacts.forecast import forecast_rollup_if_owned, write_rollup

        rollup = forecast_rollup_if_owned(
            pipeline, opportunities, _read(args.reps, "reps", data) if args.reps else None,
            _read(args.calls, "forecast_calls", data) if args.calls else None,
            config=config, seed=args.seed)
        if rollup is not None:
            write_rollup(tmp, rollup)
    out = Path(args.out)
    run_id = None
    if not args.no_mlflow:
        from revops.tracking import command_run

        with command_run("forecast", "forecast", "forecast", quiet=args.quiet) as mlflow_run:
            log_forecast(config, result, pipeline, source=args.opportunities or args.history, out_dir=out)
            run_id = mlflow_run.info.run_id
    if args.json:
        print(to_json({"overall": result.metrics.to_dict()["overall"], "out": str(out),
                       "mlflow_run_id": run_id, "reconciliation": result.reconciliation,
                       "quarter": _quarter_rows(quarter),
                       "notes": result.notes + (pipeline.notes if pipeline is not None else [])
                       + (quarter.notes if quarter is not None else [])}))
    elif not args.quiet:
        if run_id:
            print(f"MLflow run {run_id}", file=sys.stderr)
        _print_summary(result, pipeline, out, quarter)
    return 0


def _quarter_rows(quarter) -> list[dict] | None:
    """The combined plan-quarter forecast per segment (and Total), as JSON records."""
    if quarter is None:
        return None
    table = quarter.table.copy()
    table["period"] = table["period"].astype(str)
    return table.to_dict(orient="records")


def _print_summary(result, pipeline, out: Path, quarter=None) -> None:
    o = result.metrics.to_dict()["overall"]
    print(f"forecast written to {out} ({o['n_segments']} segments, reconciliation "
          f"{result.reconciliation})")
    if quarter is not None:
        total = quarter.table[quarter.table["segment"] == "Total"]
        if len(total):
            row = total.iloc[0]
            print(f"{quarter.period} (pipeline and time series combined, pipeline weight "
                  f"{quarter.weight_pipeline:.0%}): {row['p50']:,.0f}, 80% {row['p10']:,.0f} to "
                  f"{row['p90']:,.0f}; see quarter.csv")
    if "mase" in o:
        naive = o.get("mase_seasonal_naive", float("nan"))
        print(f"backtest: MASE {o['mase']:.3f} (seasonal naive {naive:.3f}), "
              f"80% coverage {o['coverage_80']:.0%}")
    for note in result.notes:
        print(f"note: {note}", file=sys.stderr)
    if pipeline is not None:
        for note in pipeline.notes:
            print(f"note: {note}", file=sys.stderr)
