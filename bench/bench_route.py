"""One-lead latency of POST /v1/route beside POST /v1/score, same server, same run.

    python -m bench.bench_route [--requests 3000] [--accounts 2000] [--in-process]

Fits a logistic-regression lead scorer on synthetic leads, writes a territory plan (three
segments x three regions, 24 reps, ``--accounts`` accounts), serves both from one app on
127.0.0.1 (uvicorn with the options ``revops score serve`` uses) and sends one lead at a
time on one keep-alive connection, alternating score / round-robin route / account route, so
the three see the same machine state. Prints p50 and p99 of each and what routing adds.

The server runs in a process of its own, as ``revops score serve`` does and as
``bench_service`` measures the one-lead target; ``--in-process`` serves it on a thread of the
client's process instead (the client then shares the server's GIL: every request is slower).
"""
from __future__ import annotations

import argparse
import csv
import http.client
import json
import os
import pickle
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SERVE = """
import pickle, sys
from pathlib import Path
import uvicorn
from scoring.service.app import create_app
from scoring.service.holder import ModelHolder
from scoring.service.server import uvicorn_options
from scoring.service.settings import ServiceSettings
model_path, plan, state, port = sys.argv[1:5]
model = pickle.loads(Path(model_path).read_bytes())
settings = ServiceSettings(port=int(port), territory_plan=Path(plan), route_state=Path(state))
app = create_app(settings, holder=ModelHolder(model))
uvicorn.run(app, host="127.0.0.1", port=int(port), **{**uvicorn_options(settings), "log_level": "warning"})
"""


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


class ServerProcess:
    """The app for ``model`` and ``settings`` served by uvicorn in a child process."""

    def __init__(self, model, settings, folder: Path):
        from scoring.service.server import free_port

        self.host, self.port = "127.0.0.1", free_port()
        model_path = folder / "model.pickle"
        model_path.write_bytes(pickle.dumps(model))
        self.args = [sys.executable, "-c", SERVE, str(model_path), str(settings.territory_plan),
                     str(settings.route_state), str(self.port)]

    def __enter__(self) -> "ServerProcess":
        self.proc = subprocess.Popen(self.args, start_new_session=True)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"the server exited with code {self.proc.returncode}")
            try:
                conn = http.client.HTTPConnection(self.host, self.port, timeout=2)
                conn.request("GET", "/readyz")
                if conn.getresponse().status == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.2)
        self.__exit__()
        raise SystemExit("the server did not become ready within 120 s")

    def __exit__(self, *exc) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGINT)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=3000, help="requests per kind")
    parser.add_argument("--accounts", type=int, default=2000, help="accounts in the plan")
    parser.add_argument("--in-process", action="store_true",
                        help="serve on a thread of this process (the client shares its GIL)")
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
        with (ServerThread(create_app(settings, holder=ModelHolder(model))) if args.in_process
              else ServerProcess(model, settings, Path(tmp))) as server:
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
    where = "a thread of the client's process" if args.in_process else "a process of its own"
    print(f"one lead, one keep-alive client, {args.requests} requests each, {args.accounts} accounts, "
          f"server in {where}:")
    for kind, values in times.items():
        values.sort()
        print(f"  {kind:24s} p50 {p50[kind]:.3f} ms   p99 {1e3 * values[int(0.99 * (len(values) - 1))]:.3f} ms")
    print(f"  routing adds (p50): round robin {p50['route (round robin)'] - p50['score']:+.3f} ms, "
          f"account owner {p50['route (account owner)'] - p50['score']:+.3f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
