"""Share of reps at quota: the plan's prediction against the generator's truth, over seeds.

    python -m bench.bench_attainment [--seeds 1,2,3,4,5,6,7,8] [--reps 40] [--accounts 800]
                                     [--stretch 0.8] [--simulations 500]

For each seed: the sample CRM (``revops.sample_data.generate``), a plan without the solver
(every account with its current rep, quotas = target x stretch split by territory potential),
the pipeline forecast of 2027Q1 simulated per rep (``revops.steps.territory.rep_draws``) and
``territory.attainment.rep_attainment``. Printed per seed: the predicted share at quota and its
80 % interval; the share the generator's truth expects (open deals won at their true chance
``p_won_next_quarter``, plus the true new-business process, averaged over 1,000 draws); the
share in the one quarter the generator realised; then how many seeds are within 10 points of
the truth's expectation, inside the 80 % interval, and the mean error. About 5 s a seed.
This is an accuracy benchmark (the numbers do not depend on the machine).
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="1,2,3,4,5,6,7,8")
    parser.add_argument("--reps", type=int, default=40)
    parser.add_argument("--accounts", type=int, default=800)
    parser.add_argument("--stretch", type=float, default=0.8, help="quotas = target x stretch")
    parser.add_argument("--simulations", type=int, default=500)
    args = parser.parse_args(argv)
    # The truth's helpers live with the test that holds the plan to them.
    sys.path.insert(0, str(ROOT / "tests" / "revops"))
    from test_rep_attainment import outlook, realised_share, truth_share

    from revops.sample_data import generate

    errors, inside = [], []
    print(f"{'seed':>4} {'predicted':>9} {'80% interval':>13} {'truth':>6} {'realised':>8} {'error':>6}")
    with tempfile.TemporaryDirectory() as tmp:
        for seed in (int(s) for s in args.seeds.split(",")):
            folder = Path(tmp) / str(seed)
            generate(folder, seed=seed, n_leads=100, n_accounts=args.accounts, n_reps=args.reps)
            plan, _, result = outlook(folder, seed=seed, n_simulations=args.simulations, stretch=args.stretch)
            truth = truth_share(folder, plan, seed=seed)
            realised = realised_share(folder, plan)
            errors.append(result.share_attaining - truth)
            inside.append(result.share_p10 <= truth <= result.share_p90)
            print(f"{seed:>4} {result.share_attaining:>9.3f} {result.share_p10:>6.2f}-{result.share_p90:<6.2f} "
                  f"{truth:>6.3f} {realised:>8.3f} {errors[-1]:>+6.3f}", flush=True)
    errors_arr = np.array(errors)
    print(f"within 10 points of the truth: {(np.abs(errors_arr) <= 0.10).sum()} of {len(errors)}; "
          f"truth inside the 80% interval: {sum(inside)} of {len(inside)}; "
          f"mean error {errors_arr.mean():+.3f}, mean absolute error {np.abs(errors_arr).mean():.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
