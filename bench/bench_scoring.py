"""Lead scoring speed: training on N sample leads and batch scoring, ours vs a plain sklearn peer.

    python -m bench.bench_scoring [--leads 1000000] [--seed 0]

Ours: ``LeadScorer().fit`` (schema inference, encoding, logistic regression and gradient boosting
candidates, calibration, holdout metrics, reasons-based importance) and ``predict_proba`` on the
raw DataFrame (encoding included). Peer: a scikit-learn Pipeline (ColumnTransformer with an
OrdinalEncoder for the categorical columns + HistGradientBoostingClassifier with default
settings) trained on the same closed leads, and its ``predict_proba`` on the same DataFrame.
Both figures come from the same run on the same machine.
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OrdinalEncoder
from threadpoolctl import threadpool_limits

from scoring.model import LeadScorer


def _timed(func):
    start = time.perf_counter()
    result = func()
    return result, time.perf_counter() - start


def peer_pipeline(scorer: LeadScorer, frame: pd.DataFrame):
    """The plain sklearn pipeline on the columns our schema kept (dates left out: no parser)."""
    kinds = {c.spec.name: c.spec.kind for c in scorer.encoder_.codecs_}
    numeric = [c for c, k in kinds.items() if k == "numeric"]
    categorical = [c for c, k in kinds.items() if k in ("categorical", "boolean")]
    prep = ColumnTransformer([
        ("num", "passthrough", numeric),
        ("cat", OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=np.nan,
                               encoded_missing_value=np.nan, max_categories=254), categorical),
    ])
    model = HistGradientBoostingClassifier(
        categorical_features=[False] * len(numeric) + [True] * len(categorical), random_state=0)
    return make_pipeline(prep, model), numeric + categorical


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--real", metavar="CSV", default=None,
                        help="instead: compare with a tuned gradient boosting baseline on a real "
                             "export, e.g. Caravan.csv (CoIL 2000) shipped in the ISLP wheel")
    parser.add_argument("--target", default="Purchase", help="label column of --real")
    parser.add_argument("--threads", type=int, default=None,
                        help="cap BLAS/OpenMP threads for ours and the peer alike (default: all cores)")
    args = parser.parse_args(argv)
    with threadpool_limits(args.threads):
        return real_data_check(args) if args.real else _run(args)


def real_data_check(args: argparse.Namespace, seeds: int = 3) -> int:
    """Ours vs a grid-searched HistGradientBoosting on the same holdouts of a real table.

    The baseline gets the true categorical/numeric split for free and a 3-fold CV grid over
    learning rate, leaves, leaf size and L2 (chosen by log loss) on our training rows; both
    are scored on our holdout rows, for several seeds (small data: one split is noisy).
    """
    from sklearn.metrics import log_loss
    from sklearn.model_selection import GridSearchCV

    frame = pd.read_csv(args.real)
    frame.insert(0, "lead_id", np.arange(1, len(frame) + 1))
    print(f"{args.real}: {len(frame):,} rows, {frame.shape[1] - 2} features, "
          f"label {args.target!r} = {frame[args.target].value_counts().to_dict()}")
    grid = {"learning_rate": [0.03, 0.1], "max_leaf_nodes": [7, 15, 31],
            "min_samples_leaf": [20, 60], "l2_regularization": [0.0, 1.0]}
    rows = []
    for seed in range(seeds):
        scorer = LeadScorer(target=args.target, random_state=seed).fit(frame)
        hold = frame["lead_id"].isin(scorer.holdout_ids_).to_numpy()
        y = (frame[args.target].astype(str).str.lower().isin(["yes", "1", "true"])).to_numpy().astype(int)
        features = frame.drop(columns=["lead_id", args.target])
        search = GridSearchCV(HistGradientBoostingClassifier(early_stopping=False, max_iter=200,
                                                             random_state=seed),
                              grid, scoring="neg_log_loss", cv=3, n_jobs=1)
        search.fit(features[~hold], y[~hold])
        p_base = search.predict_proba(features[hold])[:, 1]
        m = scorer.metrics_
        rows.append({"seed": seed, "ours_model": m["model"], "ours_auc": m["roc_auc"],
                     "ours_log_loss": m["log_loss"], "ours_ece": m["ece"],
                     "baseline_auc": roc_auc_score(y[hold], p_base),
                     "baseline_log_loss": log_loss(y[hold], p_base)})
        print(rows[-1] | {"baseline_params": search.best_params_})
    table = pd.DataFrame(rows)
    print(table.drop(columns="seed").describe().loc[["mean", "std"]].round(4).to_string())
    return 0


def _run(args: argparse.Namespace) -> int:

    from revops.io import read_table
    from revops.sample_data import generate

    with tempfile.TemporaryDirectory() as tmp:
        paths, t_gen = _timed(lambda: generate(tmp, seed=args.seed, n_leads=args.leads,
                                               n_accounts=2000, n_reps=60))
        frame, t_read = _timed(lambda: read_table(paths["leads"]))
        truth = read_table(paths["leads_truth"]).set_index("lead_id")["true_probability"]
    print(f"data: {len(frame):,} sample leads (generated {t_gen:.1f} s, read {t_read:.1f} s); "
          f"threads: {args.threads or 'library default'}; load average {os.getloadavg()[0]:.1f}")

    scorer, t_ours = _timed(lambda: LeadScorer(random_state=args.seed).fit(frame))
    m = scorer.metrics_
    print(f"ours  train: {t_ours:6.1f} s  (kept {m['model']}; holdout AUC {m['roc_auc']:.4f}, "
          f"ECE {m['ece']:.4f}, log loss {m['log_loss']:.4f})")

    peer, columns = peer_pipeline(scorer, frame)
    labels = pd.to_numeric(frame["is_sql"], errors="coerce")
    hold = frame["lead_id"].isin(scorer.holdout_ids_).to_numpy()
    train_rows = labels.notna().to_numpy() & ~hold
    X_train = frame.loc[train_rows, columns]
    prep = peer.steps[0][1]
    # The categorical columns may hold placeholders as strings; the peer gets them as they are.
    X_train = X_train.astype({c: str for c in columns[len(columns) - len(prep.transformers[1][2]):]})
    _, t_peer = _timed(lambda: peer.fit(X_train, labels[train_rows].to_numpy()))
    X_all = frame[columns].astype({c: str for c in X_train.columns if X_train[c].dtype == object})
    p_peer_hold = peer.predict_proba(X_all.loc[hold])[:, 1]
    y_hold = labels[hold].to_numpy()
    oracle = roc_auc_score(y_hold, truth.loc[frame.loc[hold, "lead_id"]].to_numpy())
    print(f"peer  train: {t_peer:6.1f} s  (sklearn Pipeline(OrdinalEncoder + HistGradientBoosting); "
          f"holdout AUC {roc_auc_score(y_hold, p_peer_hold):.4f})")
    print(f"oracle holdout AUC (true probabilities): {oracle:.4f}")

    n = len(frame)
    _, t_score = _timed(lambda: scorer.predict_proba(frame))
    _, t_peer_score = _timed(lambda: peer.predict_proba(X_all))
    print(f"ours  batch scoring: {n / t_score:12,.0f} leads/s  ({t_score:.2f} s for {n:,}, encoding included)")
    print(f"peer  batch scoring: {n / t_peer_score:12,.0f} leads/s  ({t_peer_score:.2f} s, "
          "sklearn predict_proba on the DataFrame)")
    # The same model family as the peer: our gradient boosting candidate alone, scored our way.
    gbm, t_gbm = _timed(lambda: LeadScorer(candidates=("gradient_boosting",), random_state=args.seed).fit(frame))
    _, t_gbm_score = _timed(lambda: gbm.predict_proba(frame))
    print(f"ours  gradient boosting only: train {t_gbm:.1f} s ({gbm.candidates_['gradient_boosting']['params']['n_iter']}"
          f" trees, holdout AUC {gbm.metrics_['roc_auc']:.4f}); batch scoring {n / t_gbm_score:,.0f} leads/s")
    n_reasons = min(n, 100_000)
    _, t_reasons = _timed(lambda: scorer.score_frame(frame.head(n_reasons)))
    print(f"ours  score_frame with reasons: {n_reasons / t_reasons:,.0f} leads/s")

    records = frame.head(2000).to_dict(orient="records")
    lat = []
    for record in records:
        start = time.perf_counter()
        scorer.predict_proba_matrix(scorer.encode_records([record]))
        lat.append(time.perf_counter() - start)
    lat_ms = np.array(lat) * 1e3
    print(f"ours  one lead (encode_records + predict_proba_matrix): p50 {np.median(lat_ms):.2f} ms, "
          f"p99 {np.quantile(lat_ms, 0.99):.2f} ms")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
