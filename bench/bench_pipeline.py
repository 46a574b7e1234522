"""Pipeline quarter forecast, backtested: how close and how well covered, against naive peers.

    python -m bench.bench_pipeline [--seeds 1,2,3,4,5,6,7,8] [--quarters 6]
                                   [--opportunities FILE | --data DIR --config PLAN.toml]
                                   [--calibration-quarters 4]   (0: the simulation's own spread)
                                   [--n-jobs 2]

For each of the last ``--quarters`` quarters of an opportunities export (default: the sample CRM
generated with each seed), the forecast is made as of the day before the quarter started, from
the deals known then (``forecasting.pipeline.known_at``), and compared with the bookings won in
that quarter. Printed per quarter for the total: our expected total and 80 % interval, the
actual, and two peers any RevOps team has at hand: last quarter's bookings and the same quarter
last year's. Then per segment over all quarters: mean absolute % error, bias and 80 % coverage,
and the same pooled over all seeds (about three minutes for eight seeds on two cores).
This is an accuracy benchmark (the numbers do not depend on the machine).
"""
from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from forecasting.pipeline import canonical_opportunities, forecast_pipeline


def won_by_quarter(opps: pd.DataFrame) -> pd.DataFrame:
    """Won bookings per (quarter, segment), zeros included."""
    won = opps[opps["won"] == 1]
    table = won.groupby([won["closed"].dt.to_period("Q"), "segment"])["amount"].sum().unstack(fill_value=0.0)
    return table.reindex(pd.period_range(table.index.min(), table.index.max(), freq="Q"), fill_value=0.0)


def backtest(raw: pd.DataFrame, quarters: int, calibration_quarters: int = 4,
             n_simulations: int = 2000) -> pd.DataFrame:
    """One row per (quarter, segment and Total): forecast, interval, actual and the peers."""
    opps = canonical_opportunities(raw)
    actual = won_by_quarter(opps)
    actual["Total"] = actual.sum(axis=1)
    rows = []
    for quarter in actual.index[-quarters:]:
        result = forecast_pipeline(raw, as_of=quarter.start_time - pd.Timedelta(days=1),
                                   n_simulations=n_simulations,
                                   calibration_quarters=calibration_quarters)
        for _, r in result.table.iterrows():
            seg = r["segment"]
            rows.append({"quarter": str(quarter), "segment": seg, "forecast": r["expected_total"],
                         "p10": r["p10"], "p90": r["p90"], "actual": actual.at[quarter, seg],
                         "last_quarter": actual[seg].get(quarter - 1, np.nan),
                         "last_year": actual[seg].get(quarter - 4, np.nan)})
    return pd.DataFrame(rows)


def summary(frame: pd.DataFrame) -> dict[str, float]:
    """Mean absolute % error of ours and the peers, our bias and 80 % coverage."""
    ape = lambda col: float((100 * (frame[col] / frame["actual"] - 1)).abs().mean())  # noqa: E731
    return {"ours_mape": ape("forecast"), "last_quarter_mape": ape("last_quarter"),
            "last_year_mape": ape("last_year"),
            "ours_bias": float((100 * (frame["forecast"] / frame["actual"] - 1)).mean()),
            "coverage_80": float(((frame["actual"] >= frame["p10"]) & (frame["actual"] <= frame["p90"])).mean())}


def report(name: str, frame: pd.DataFrame) -> None:
    total = frame[frame["segment"] == "Total"]
    print(f"\n== {name}: the total, forecast as of the day before each quarter")
    shown = total[["quarter", "forecast", "p10", "p90", "actual", "last_quarter", "last_year"]]
    print(shown.round(0).to_string(index=False))
    summarise(frame)


def summarise(frame: pd.DataFrame) -> None:
    total = frame[frame["segment"] == "Total"]
    for label, part in (("total", total), ("segments", frame[frame["segment"] != "Total"])):
        s = summary(part)
        print(f"{label:9s} ours: MAPE {s['ours_mape']:5.1f} %  bias {s['ours_bias']:+5.1f} %  "
              f"80 % coverage {s['coverage_80']:.2f}   |  peers: last quarter MAPE "
              f"{s['last_quarter_mape']:5.1f} %, same quarter last year {s['last_year_mape']:5.1f} %")


def _sample_backtest(seed: int, quarters: int, calibration_quarters: int) -> pd.DataFrame:
    from revops.sample_data import generate

    with tempfile.TemporaryDirectory() as tmp:
        paths = generate(Path(tmp), seed=seed)
        return backtest(pd.read_csv(paths["opportunities"]), quarters, calibration_quarters)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="1,2,3,4,5,6,7,8",
                        help="sample CRM seeds (without --opportunities)")
    parser.add_argument("--quarters", type=int, default=6)
    parser.add_argument("--opportunities", default=None, help="an opportunities CSV in our contract")
    parser.add_argument("--calibration-quarters", type=int, default=4,
                        help="past quarters the interval is calibrated on (0: not calibrated)")
    parser.add_argument("--data", default=None,
                        help="a folder of CRM exports, read through --config like `revops plan`")
    parser.add_argument("--config", default=None, help="the plan file mapping --data's columns")
    parser.add_argument("--n-jobs", type=int, default=2, help="seeds run in parallel")
    args = parser.parse_args(argv)
    if args.data:
        from revops.config import load_config
        from revops.plan import prepare_inputs

        bundle, _, _ = prepare_inputs(args.data, load_config(args.config))
        report(args.data, backtest(bundle.get("opportunities"), args.quarters,
                                   args.calibration_quarters))
        return 0
    if args.opportunities:
        report(args.opportunities, backtest(pd.read_csv(args.opportunities), args.quarters,
                                            args.calibration_quarters))
        return 0
    import joblib

    seeds = [int(s) for s in args.seeds.split(",")]
    frames = joblib.Parallel(n_jobs=args.n_jobs)(
        joblib.delayed(_sample_backtest)(seed, args.quarters, args.calibration_quarters)
        for seed in seeds)
    for seed, frame in zip(seeds, frames):
        report(f"sample CRM, seed {seed}", frame)
    if len(seeds) > 1:
        # one seed has six quarter totals: its coverage moves in steps of 1/6, so read the pool
        pooled = pd.concat(frames, ignore_index=True)
        print(f"\n== all {len(seeds)} seeds pooled ({len(seeds) * args.quarters} quarters)")
        summarise(pooled)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
