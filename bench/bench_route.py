"""One-lead latency of POST /v1/route beside POST /v1/score, same server, same run.

    python -m bench.bench_route [--requests 3000] [--accounts 2000]

Fits a logistic-regression lead scorer on synthetic leads, writes a territory plan (three
segments x three regions, 24 reps, ``--accounts`` accounts), serves both from one app on
127.0.0.1 (uvicorn on a thread, the options ``revops score serve`` uses) and sends one lead at a
time on one keep-alive connection, alternating score / round-robin route / account route, so
the three see the same machine state. Prints p50 and p99 of each and what routing adds.
"""
from __future__ import annotations

import argparse
import csv
import http.client
import json
import statistics
import tempfile
import time
from pathlib import Path


def write_plan(folder: Path, n_accounts: int) -> list[str]:
    """A plan folder (territory/assignments.csv, rep_summary.csv); the account ids."""
    where = folder / "territory"
    where.mkdir(parents=True)
    segments, regions = ("SMB", "Mid-Market", "Enterprise"), ("AMER", "EMEA", "APAC")
    reps = [(f"R{i:03d}", segments[i % 3], regions[(i // 3) % 3], 1.0, 0.5 + 0.5 * ((i // 9) % 2)) for i in range(24)]
    with open(where / "rep_summary.csv", "w", newline="") as f:
        csv.writer(f).writerows([("rep_id", "segment", "region", "capacity", "ramp"), *reps])
    accounts = []
    with open(where / "assignments.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(("account_id", "segment", "region", "pool", "rep_id"))
        for i in range(n_accounts):
            rep = reps[i % len(reps)]
            accounts.append(f"A{i:06d}")
            w.writerow((accounts[-1], rep[1], rep[2], f"{rep[1]}/{rep[2]}", rep[0]))
    return accounts


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=3000, help="requests per kind")
    parser.add_argument("--accounts", type=int, default=2000, help="accounts in the plan")
    args = parser.parse_args(argv)

    from scoring.model import LeadScorer
    from scoring.service.app import create_app
    from scoring.service.holder import ModelHolder
    from scoring.service.served import LeadScorerModel, ModelMeta
    from scoring.service.server import ServerThread
    from scoring.service.settings import ServiceSettings
    from scoring.synthetic import make_leads

    frame, _ = make_leads(5000, seed=1)
    scorer = LeadScorer(time_col="created_at", candidates=("logistic_regression",), random_state=0).fit(frame)
    model = LeadScorerModel(scorer, ModelMeta("lead-scoring", "1", alias="champion"))
    lead = {k: v for k, v in frame.drop(columns=["is_sql"], errors="ignore").iloc[0].items()
            if isinstance(v, (str, int, float)) and v == v}
    lead["created_at"] = str(frame.iloc[0]["created_at"])[:10]
    with tempfile.TemporaryDirectory() as tmp:
        accounts = write_plan(Path(tmp) / "plan", args.accounts)
        settings = ServiceSettings(territory_plan=Path(tmp) / "plan", route_state=Path(tmp) / "routing.sqlite")
        with ServerThread(create_app(settings, holder=ModelHolder(model))) as server:
            conn = http.client.HTTPConnection(server.host, server.port, timeout=60)
            kinds = {"score": "/v1/score", "route (round robin)": "/v1/route", "route (account owner)": "/v1/route"}
            times: dict[str, list[float]] = {k: [] for k in kinds}
            warm = max(20, args.requests // 20)
            for i in range(args.requests + warm):
                for kind, path in kinds.items():
                    one = {**lead, "lead_id": f"{kind[:5]}-{i}", "segment": "SMB", "region": "EMEA"}
                    if kind == "route (account owner)":
                        one["account_id"] = accounts[i % len(accounts)]
                    body = json.dumps({"leads": [one]}).encode()
                    start = time.perf_counter()
                    conn.request("POST", path, body, {"Content-Type": "application/json"})
                    response = conn.getresponse()
                    response.read()
                    elapsed = time.perf_counter() - start
                    if response.status != 200:
                        raise SystemExit(f"{path}: HTTP {response.status}")
                    if i >= warm:
                        times[kind].append(elapsed)
            conn.close()
    p50 = {k: 1e3 * statistics.median(v) for k, v in times.items()}
    print(f"one lead, one keep-alive client, {args.requests} requests each, {args.accounts} accounts:")
    for kind, values in times.items():
        values.sort()
        print(f"  {kind:24s} p50 {p50[kind]:.3f} ms   p99 {1e3 * values[int(0.99 * (len(values) - 1))]:.3f} ms")
    print(f"  routing adds (p50): round robin {p50['route (round robin)'] - p50['score']:+.3f} ms, "
          f"account owner {p50['route (account owner)'] - p50['score']:+.3f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
