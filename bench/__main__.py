"""``python -m bench`` (``make bench``): run every benchmark, one after the other.

Each benchmark is also runnable alone, e.g. ``python -m bench.bench_territory --help``.
"""
from __future__ import annotations

import importlib
import subprocess
import sys

BENCHES = ("bench_startup", "bench_read", "bench_scoring", "bench_service", "bench_batch_path",
           "bench_service_limits", "bench_route", "bench_forecast", "bench_sample_forecast", "bench_pipeline",
           "bench_territory", "bench_revenue", "bench_attainment", "bench_cluster")


def main() -> int:
    failed = []
    for name in BENCHES:
        try:
            importlib.import_module(f"bench.{name}")
        except ModuleNotFoundError:
            print(f"== {name}: not present, skipped")
            continue
        print(f"\n== {name}", flush=True)
        # A fresh process per benchmark: peak memory and thread pools must not leak between them.
        if subprocess.call([sys.executable, "-m", f"bench.{name}"]) != 0:
            failed.append(name)
    if failed:
        print(f"failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
