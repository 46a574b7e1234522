"""The team set-up of the README, exercised: PostgreSQL, ``mlflow server`` on it (127.0.0.1),
``revops score train`` and ``revops score promote`` through the server, and ``revops score
serve`` (configured by REVOPS_* variables) following the champion alias without a restart.

PostgreSQL is Debian's ``postgresql`` package (``.ci/run`` installs it in CI). PostgreSQL refuses
to run as root: as root the server runs as the ``postgres`` user the package creates.
"""
from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import pytest

from scoring.service.server import free_port
from scoring.synthetic import make_leads

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[3]


def postgres_bin() -> Path | None:
    """The folder of initdb and pg_ctl: Debian's newest /usr/lib/postgresql/N/bin, else PATH."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[4])
                   if Path(p).parts[4].isdigit() else 0)
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).resolve().parent if initdb else None


def _as_db_user(cmd: list[str]) -> list[str]:
    """As root, run ``cmd`` as the postgres user (initdb and postgres refuse root)."""
    if os.geteuid() != 0:
        return cmd
    runuser = shutil.which("runuser")
    return [runuser, "-u", "postgres", "--", *cmd] if runuser else ["su", "postgres", "-s", "/bin/sh", "-c",
                                                                     " ".join(map(repr, cmd))]


def _wait_http(url: str, proc: subprocess.Popen, seconds: float, log: Path | None = None) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            if httpx.get(url, timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if proc.poll() is not None:
            raise AssertionError(f"{proc.args[:4]} exited: {log.read_text()[-3000:] if log else ''}")
        assert time.monotonic() < deadline, f"{url} did not answer in {seconds} s: " + (
            log.read_text()[-3000:] if log else "")
        time.sleep(0.25)


def _stop(proc: subprocess.Popen, sig=signal.SIGTERM) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, sig)  # its own session: the server and the workers it started
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


@pytest.fixture
def postgres():
    """A throw-away PostgreSQL cluster on 127.0.0.1 with a database 'mlflow'; yields its URI."""
    bin_dir = postgres_bin()
    if bin_dir is None:
        pytest.skip("PostgreSQL's initdb was not found (install Debian's postgresql package; .ci/run does)")
    if os.geteuid() == 0:
        try:
            db_user = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and there is no 'postgres' user to run PostgreSQL as")
    root = Path(tempfile.mkdtemp(prefix="revops-pg-"))  # under /tmp: reachable by the postgres user
    if os.geteuid() == 0:
        os.chown(root, db_user.pw_uid, db_user.pw_gid)
    port = free_port()
    data = root / "data"
    subprocess.run(_as_db_user([str(bin_dir / "initdb"), "-D", str(data), "-U", "revops", "--auth=trust",
                                "-E", "UTF8", "--no-sync"]), check=True, capture_output=True, timeout=60)
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"
    started = subprocess.run(_as_db_user([str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(root / "log"),
                                          "-o", options, "-w", "start"]), capture_output=True, text=True, timeout=60)
    assert started.returncode == 0, started.stderr + (root / "log").read_text()
    try:
        subprocess.run(_as_db_user([str(bin_dir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "revops",
                                    "mlflow"]), check=True, capture_output=True, timeout=30)
        # The driver named: SQLAlchemy 2.1's default PostgreSQL driver is psycopg 3.
        yield f"postgresql+psycopg2://revops@127.0.0.1:{port}/mlflow"
    finally:
        subprocess.run(_as_db_user([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
                       capture_output=True, timeout=60)
        shutil.rmtree(root, ignore_errors=True)


def test_service_follows_the_champion_of_a_postgres_backed_mlflow_server(postgres, tmp_path, monkeypatch):
    import mlflow
    from mlflow.tracking import MlflowClient

    from scoring import registry as scoring_registry
    from scoring.model import LeadScorer

    port = free_port()
    tracking = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items()
           if k not in ("MLFLOW_ARTIFACT_ROOT", "MLFLOW_EXPERIMENT_ID", "PROMETHEUS_MULTIPROC_DIR")
           and not k.startswith("REVOPS_")}
    env.update({"PYTHONPATH": str(REPO), "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"})
    server_log = tmp_path / "mlflow-server.log"
    mlflow_server = subprocess.Popen(
        [sys.executable, "-m", "mlflow", "server", "--backend-store-uri", postgres,
         "--artifacts-destination", str(tmp_path / "artifacts"), "--host", "127.0.0.1", "--port", str(port),
         "--workers", "1"], env=env, cwd=tmp_path, stdout=open(server_log, "wb"), stderr=subprocess.STDOUT,
        start_new_session=True)
    frame = make_leads(1500, seed=5)[0]
    leads = tmp_path / "leads.csv"
    frame.to_csv(leads, index=False)
    client_env = {**env, "MLFLOW_TRACKING_URI": tracking}
    serve_port = free_port()
    service = None
    previous_uri = mlflow.get_tracking_uri()
    try:
        _wait_http(f"{tracking}/health", mlflow_server, 150, server_log)

        def revops(*args: str) -> str:
            done = subprocess.run([sys.executable, "-m", "revops", "score", *args], env=client_env, cwd=tmp_path,
                                  capture_output=True, text=True, timeout=300)
            assert done.returncode == 0, done.stdout + done.stderr
            return done.stdout + done.stderr

        # The README's team set-up: train through the server from the command line (version 1,
        # the first champion), serve it, then a second version and a promotion.
        revops("train", "--leads", str(leads), "--out", str(tmp_path / "first"),
               "--candidates", "logistic_regression", "--quiet")
        service_log = tmp_path / "serve.log"
        service = subprocess.Popen([sys.executable, "-m", "revops", "score", "serve", "--quiet"],
                                   env={**client_env, "REVOPS_PORT": str(serve_port), "REVOPS_POLL_SECONDS": "0.5"},
                                   cwd=tmp_path, stdout=open(service_log, "wb"), stderr=subprocess.STDOUT,
                                   start_new_session=True)
        # Version 2 registered from this process while the service starts (a second command-line
        # training would cost another interpreter start-up).
        monkeypatch.setenv("MLFLOW_TRACKING_URI", tracking)
        monkeypatch.delenv("MLFLOW_ARTIFACT_ROOT", raising=False)
        mlflow.set_tracking_uri(tracking)
        mlflow.set_experiment("revops-team-store-test")
        scorer = LeadScorer(time_col="created_at", candidates=("logistic_regression",), random_state=1).fit(frame)
        with mlflow.start_run():
            scoring_registry.register(scorer, frame.tail(300))
        url = f"http://127.0.0.1:{serve_port}"
        _wait_http(f"{url}/readyz", service, 120, service_log)

        registry = MlflowClient(tracking_uri=tracking, registry_uri=tracking)
        versions = sorted(int(v.version) for v in registry.search_model_versions("name='lead-scoring'"))
        assert versions == [1, 2]
        champion = registry.get_model_version_by_alias("lead-scoring", "champion").version
        other = "1" if champion == "2" else "2"
        revops("promote", other)
        assert registry.get_model_version_by_alias("lead-scoring", "champion").version == other
        deadline = time.monotonic() + 30
        while (served := httpx.get(f"{url}/v1/model").json())["version"] != other:
            assert time.monotonic() < deadline, served
            time.sleep(0.25)
        assert served["alias"] == "champion"
        r = httpx.post(f"{url}/v1/score", json={"leads": [{"lead_id": "pg-1", "employees": 120}]})
        assert r.status_code == 200 and r.json()["model"]["version"] == other
    finally:
        while mlflow.active_run() is not None:
            mlflow.end_run()
        mlflow.set_tracking_uri(previous_uri)
        if service is not None:
            _stop(service, signal.SIGINT)
        _stop(mlflow_server)
