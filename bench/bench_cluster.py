"""On a Dask cluster of two local worker processes: streaming batch scoring of 10 M leads and
the forecast of 10,000 series, with the peak memory of every process.

    python -m bench.bench_cluster [--scale 1.0] [--chunk-rows 200000] [--workers 2] [--out DIR]

``--scale`` shrinks both workloads (0.05: 500,000 leads and 500 series) for a short run.

1. Writes a lead export of ``10 M x scale`` rows (``scoring.synthetic.make_leads``, in blocks,
   as CSV) and trains a logistic-regression scorer on 5,000 other leads (``.joblib``).
2. ``revops score predict --chunk-rows N`` in this machine's process (local streaming); the peer,
   a hand-written pandas loop with the same model (``read_csv(chunksize=N)``, ``score_frame``,
   append; no input checks); then
   with ``--backend dask --scheduler ADDRESS`` on a ``LocalCluster(processes=True)`` of
   ``--workers`` workers, 1 thread each. Each command runs in a fresh process; its peak
   resident memory (VmHWM) is reported, and each worker's after the run. Up to 1 M leads, the
   whole-file run (``--chunk-rows 0``) is measured too, and its output compared byte for byte.
3. ``forecasting.forecast_bookings`` on ``10,000 x scale`` monthly series of 48 months (horizon
   12; the series of ``bench_forecast``) on the same cluster (``backend='dask'``), with the
   workers' peak memory after it.

Figures go to stdout and to ``OUT/bench_cluster.json``. Memory figures are the peak RSS of each
process (Linux ``/proc/<pid>/status`` VmHWM), which includes the interpreter and libraries.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

FULL_LEADS = 10_000_000
FULL_SERIES = 10_000
ROOT = Path(__file__).resolve().parents[1]

# Runs one revops command in a fresh interpreter and prints its peak memory (VmHWM: the peak of
# this process only; getrusage would carry over the parent's peak after a fork).
RUNNER = """
import json, sys, time
from revops.cli import main
started = time.perf_counter()
code = main(sys.argv[1:])
seconds = time.perf_counter() - started
peak = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM"))
print(json.dumps({"code": code, "seconds": seconds, "peak_mb": peak / 1024}), file=sys.stderr)
"""


# The peer: the loop a user would write by hand with pandas and the same model (no input
# checks, no contracts): read the export in chunks, score each, append to the output.
PEER = """
import json, sys, time
import joblib, pandas as pd
leads, model, out, chunk_rows = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
started = time.perf_counter()
scorer = joblib.load(model)
with open(out, "w", encoding="utf-8", newline="") as handle:
    for k, chunk in enumerate(pd.read_csv(leads, chunksize=chunk_rows)):
        scorer.score_frame(chunk, reasons=True).to_csv(handle, header=k == 0, index=False)
seconds = time.perf_counter() - started
peak = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM"))
print(json.dumps({"code": 0, "seconds": seconds, "peak_mb": peak / 1024}), file=sys.stderr)
"""


def run_peer(leads: Path, model: Path, out: Path, chunk_rows: int) -> dict:
    done = subprocess.run([sys.executable, "-c", PEER, str(leads), str(model), str(out),
                           str(chunk_rows)], capture_output=True, text=True, cwd=ROOT)
    if done.returncode != 0:
        raise SystemExit(f"the pandas peer failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stderr.strip().splitlines()[-1])


def peak_mb_of_this_process() -> float:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM")) / 1024


def write_leads(path: Path, n: int, block: int = 500_000) -> float:
    from scoring.synthetic import make_leads

    started = time.perf_counter()
    with open(path, "w", encoding="utf-8", newline="") as handle:
        for k, start in enumerate(range(0, n, block)):
            leads, _ = make_leads(min(block, n - start), seed=100 + k)
            leads["lead_id"] = np.arange(start, start + len(leads)) + 1
            leads.drop(columns=["is_sql"]).to_csv(handle, header=k == 0, index=False,
                                                  lineterminator="\n")
    return time.perf_counter() - started


def train_model(path: Path) -> None:
    import joblib

    from scoring import LeadScorer, ScoringConfig
    from scoring.synthetic import make_leads

    leads, _ = make_leads(5_000, seed=1)
    scorer = LeadScorer.from_config(ScoringConfig(candidates=("logistic_regression",), threads=1),
                                    random_state=0).fit(leads)
    joblib.dump(scorer, path)


def run_cli(args: list[str]) -> dict:
    done = subprocess.run([sys.executable, "-c", RUNNER, *args], capture_output=True, text=True,
                          cwd=ROOT)
    last = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "{}"
    try:
        figures = json.loads(last)
    except json.JSONDecodeError:
        figures = {"code": done.returncode}
    if figures.get("code") != 0:
        raise SystemExit(f"revops {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return figures


def worker_peaks(client) -> dict[str, float]:
    def peak(dask_worker=None) -> float:
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith("VmHWM")) / 1024

    return {str(name): round(mb, 1) for name, mb in sorted(client.run(peak).items())}


def reset_worker_peaks(client) -> None:
    """Start the workers' peak memory anew (Linux: "5" to /proc/self/clear_refs), so the
    forecast's figure is its own, not the scoring's."""
    def reset(dask_worker=None) -> None:
        try:
            with open("/proc/self/clear_refs", "w") as handle:
                handle.write("5")
        except OSError:  # not Linux, or not allowed: the peak then covers the whole run
            pass

    client.run(reset)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0,
                        help="share of the full workloads (10 M leads, 10,000 series)")
    parser.add_argument("--chunk-rows", type=int, default=200_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", default="build/bench_cluster")
    parser.add_argument("--skip-forecast", action="store_true")
    parser.add_argument("--skip-scoring", action="store_true",
                        help="the forecast alone (no lead file is written)")
    args = parser.parse_args()
    from distributed import Client, LocalCluster

    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    n_leads = max(1_000, int(FULL_LEADS * args.scale))
    n_series = max(10, int(FULL_SERIES * args.scale))
    report: dict = {"scale": args.scale, "leads": n_leads, "series": n_series,
                    "chunk_rows": args.chunk_rows, "workers": args.workers, "cpus": os.cpu_count()}

    leads_csv, model = out / "leads.csv", out / "scorer.joblib"
    base: list[str] = []
    if not args.skip_scoring:
        seconds = write_leads(leads_csv, n_leads)
        train_model(model)
        report["leads_file_mb"] = round(leads_csv.stat().st_size / 2**20, 1)
        print(f"{n_leads:,} leads written ({report['leads_file_mb']:,} MB) in {seconds:.0f} s",
              flush=True)

        base = ["score", "predict", "--leads", str(leads_csv), "--model", str(model), "--quiet"]
        local = run_cli(base + ["--out", str(out / "scores_local.csv"), "--chunk-rows",
                                str(args.chunk_rows)])
        report["score_local_streamed"] = local
        print(f"score predict, streamed here:     {local['seconds']:7.1f} s, "
              f"peak {local['peak_mb']:,.0f} MB", flush=True)
        peer = run_peer(leads_csv, model, out / "scores_peer.csv", args.chunk_rows)
        report["peer_pandas_chunks"] = peer
        print(f"peer, pandas chunk loop, same model: {peer['seconds']:7.1f} s, "
              f"peak {peer['peak_mb']:,.0f} MB", flush=True)
        if n_leads <= 1_000_000:
            whole = run_cli(base + ["--out", str(out / "scores_whole.csv"), "--chunk-rows", "0"])
            report["score_local_whole_file"] = whole
            same = (out / "scores_whole.csv").read_bytes() == (out / "scores_local.csv").read_bytes()
            report["streamed_equals_whole_file"] = same
            print(f"score predict, whole file here:   {whole['seconds']:7.1f} s, "
                  f"peak {whole['peak_mb']:,.0f} MB (same bytes: {same})", flush=True)

    with LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                      host="127.0.0.1", dashboard_address=None) as cluster, \
            Client(cluster.scheduler_address) as client:
        report["workers_at_start_mb"] = worker_peaks(client)
        if not args.skip_scoring:
            remote = run_cli(base + ["--out", str(out / "scores_cluster.csv"), "--chunk-rows",
                                     str(args.chunk_rows), "--backend", "dask", "--scheduler",
                                     cluster.scheduler_address])
            remote["worker_peak_mb"] = worker_peaks(client)
            remote["same_bytes_as_local"] = ((out / "scores_cluster.csv").read_bytes()
                                             == (out / "scores_local.csv").read_bytes())
            report["score_cluster"] = remote
            print(f"score predict on {args.workers} workers:    {remote['seconds']:7.1f} s, client "
                  f"peak {remote['peak_mb']:,.0f} MB, worker peaks {remote['worker_peak_mb']} MB "
                  f"(same bytes: {remote['same_bytes_as_local']})", flush=True)

        if not args.skip_forecast:
            from bench.bench_forecast import make_series
            from forecasting import forecast_bookings

            history = make_series(n_series, 48)
            reset_worker_peaks(client)
            started = time.perf_counter()
            result = forecast_bookings(history, horizon=12, n_jobs=args.workers, backend="dask",
                                       scheduler=cluster.scheduler_address)
            figures = {"seconds": time.perf_counter() - started,
                       "segments": int(result.forecast["segment"].nunique()),
                       "worker_peak_mb": worker_peaks(client),
                       "client_peak_mb": round(peak_mb_of_this_process(), 1)}
            report["forecast_cluster"] = figures
            print(f"forecast of {n_series:,} series on {args.workers} workers: "
                  f"{figures['seconds']:.1f} s, worker peaks {figures['worker_peak_mb']} MB, "
                  f"client peak {figures['client_peak_mb']:,.0f} MB", flush=True)
    for name in ("scores_local.csv", "scores_whole.csv", "scores_cluster.csv", "scores_peer.csv",
                 "leads.csv"):
        (out / name).unlink(missing_ok=True)
    (out / "bench_cluster.json").write_text(json.dumps(report, indent=2, sort_keys=True) + "\n")
    print(f"figures: {out / 'bench_cluster.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
