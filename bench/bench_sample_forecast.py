"""Sample CRMs, backtested: does the selection beat seasonal naive in every segment?

    python -m bench.bench_sample_forecast [--seeds 1-12] [--horizons 6,12] [--no-group-season]

For each seed, the small sample CRM (20,000 leads, 600 accounts, 24 reps: 36 months of noisy
bookings in three segments) is generated, its monthly history forecast at each horizon, and
per run printed: our backtest MASE, seasonal naive's, 80 % coverage and the segments where
seasonal naive did as well or better. Then the totals over all runs. ``--no-group-season``
gives the figures without the group season candidate. An accuracy benchmark: the numbers do
not depend on the machine (about 20 seconds).
"""
from __future__ import annotations

import argparse
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pandas as pd


def _seeds(text: str) -> list[int]:
    if "-" in text:
        lo, hi = (int(v) for v in text.split("-"))
        return list(range(lo, hi + 1))
    return [int(v) for v in text.split(",")]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="1-12", help="e.g. 1-12 or 3,7")
    parser.add_argument("--horizons", default="6,12")
    parser.add_argument("--no-group-season", action="store_true")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    from forecasting import forecast_bookings, history_from_opportunities
    from revops.sample_data import generate

    lost, runs, ours, naive = [], [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in _seeds(args.seeds):
            out = Path(tmp) / str(seed)
            generate(out, seed=seed, n_leads=20_000, n_accounts=600, n_reps=24)
            history = history_from_opportunities(pd.read_csv(out / "opportunities.csv"), "M")
            for horizon in (int(h) for h in args.horizons.split(",")):
                res = forecast_bookings(history, horizon=horizon, freq="M", levels=(80,),
                                        group_season=not args.no_group_season)
                segs = res.metrics.segments
                these = [s for s, v in segs.items()
                         if v.mase >= v.mase_by_candidate["seasonal_naive"]]
                lost += [(seed, horizon, s) for s in these]
                ours += [v.mase for v in segs.values()]
                naive += [v.mase_by_candidate["seasonal_naive"] for v in segs.values()]
                o = res.metrics.overall
                runs.append(o.coverage["80"])
                print(f"seed {seed:2d} h {horizon:2d}: MASE {o.mase:.3f} (seasonal naive "
                      f"{o.mase_seasonal_naive:.3f}), 80 % coverage {o.coverage['80']:.3f}"
                      + (f"; seasonal naive as good or better in {', '.join(these)}" if these else ""))
    print(f"\n{len(ours) - len(lost)} of {len(ours)} seed x horizon x segment cases beat seasonal "
          f"naive; mean segment MASE {np.mean(ours):.3f} against {np.mean(naive):.3f}; 80 % "
          f"coverage {min(runs):.2f}-{max(runs):.2f} over {len(runs)} runs")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
