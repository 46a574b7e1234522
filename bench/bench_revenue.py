"""Renewal model and renewed-ARR intervals against the sample generator's truth, over seeds.

    python -m bench.bench_revenue [--seeds 1-10] [--accounts 5000] [--candidates logistic_regression]

For each seed: the sample's accounts and subscriptions (:func:`revops.sample_data.revenue_sample`,
as of 2026-12-31), the renewal model trained as the plan trains it (the lead-scoring trainer on
the decided renewals, time-ordered holdout), its holdout calibration error (ECE), and for each
quarter of 2027 and each segment whether the truth's renewed ARR of the subscriptions due falls
inside the simulated 80 % interval (p10-p90). Prints per seed, then the coverage over all
seeds x quarters x segments (target 0.80; the tests accept 0.72-0.88). An accuracy benchmark:
the figures do not depend on the machine.
"""
from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

QUARTERS = ("2027Q1", "2027Q2", "2027Q3", "2027Q4")
AS_OF = "2026-12-31"


def _seeds(text: str) -> list[int]:
    if "-" in text:
        lo, hi = (int(v) for v in text.split("-"))
        return list(range(lo, hi + 1))
    return [int(v) for v in text.split(",")]


def evaluate_seed(seed: int, n_accounts: int, candidates: tuple[str, ...]) -> dict:
    """ECE of the renewal model and the 80 % interval hits of one sample."""
    from forecasting.revenue import (RevenueConfig, due_in, model_columns, plan_renewals, segment_offsets,
                                     segment_rate_uncertainty, shift_probability, simulate_renewals)
    from revops.sample_data import revenue_sample
    from revops.steps.revenue import renewal_scoring_config
    from scoring.model import LeadScorer

    data = revenue_sample(seed, n_accounts, as_of=AS_OF)
    plan = plan_renewals(data["subscriptions"], AS_OF, QUARTERS[0], accounts=data["accounts"])
    scorer = LeadScorer.from_config(renewal_scoring_config(candidates), random_state=seed).fit(plan.training)
    truth = data["subscriptions_truth"].set_index("subscription_id")
    # As compute_revenue does with rate_uncertainty on (the default).
    uncertainty = segment_rate_uncertainty(plan.frame)
    offsets = segment_offsets(plan.training, scorer.predict_proba(model_columns(plan.training)))
    hits = []
    for quarter in QUARTERS:
        due = due_in(plan.frame, pd.Period(quarter))
        p = shift_probability(scorer.predict_proba(model_columns(due)), due["segment"], offsets)
        forecast = simulate_renewals(due, p, period=quarter, config=RevenueConfig(seed=seed),
                                     rate_uncertainty=uncertainty).set_index("segment")
        renews = truth.loc[due["subscription_id"], "renews"].to_numpy(bool)
        for segment, rows in due.groupby("segment").groups.items():
            actual = float(due.loc[rows, "arr"].to_numpy() @ renews[due.index.get_indexer(rows)])
            f = forecast.loc[segment]
            hits.append({"seed": seed, "quarter": quarter, "segment": segment, "due": len(rows),
                         "actual": actual, "p10": f["renewed_arr_p10"], "p90": f["renewed_arr_p90"],
                         "hit": bool(f["renewed_arr_p10"] <= actual <= f["renewed_arr_p90"])})
    return {"ece": float(scorer.metrics_["ece"]), "n_holdout": int(scorer.metrics_["n_holdout"]),
            "model": scorer.model_name_, "hits": hits}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", default="1-10")
    parser.add_argument("--accounts", type=int, default=5000)
    parser.add_argument("--candidates", default="logistic_regression,gradient_boosting")
    args = parser.parse_args(argv)
    candidates = tuple(c.strip() for c in args.candidates.split(","))
    rows, eces = [], []
    for seed in _seeds(args.seeds):
        start = time.perf_counter()
        result = evaluate_seed(seed, args.accounts, candidates)
        hit = np.mean([h["hit"] for h in result["hits"]])
        eces.append(result["ece"])
        rows += result["hits"]
        print(f"seed {seed}: ECE {result['ece']:.4f} on {result['n_holdout']} ({result['model']}), "
              f"80% interval coverage {hit:.2f} of {len(result['hits'])}, {time.perf_counter() - start:.1f} s",
              flush=True)
    coverage = np.mean([r["hit"] for r in rows])
    print(f"all: ECE max {max(eces):.4f} mean {np.mean(eces):.4f}; coverage {coverage:.3f} of {len(rows)} "
          f"intervals (target 0.80, accepted 0.72-0.88)")
    return 0 if max(eces) <= 0.03 and 0.72 <= coverage <= 0.88 else 1


if __name__ == "__main__":
    raise SystemExit(main())
