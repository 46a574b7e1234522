"""The Dockerfile and compose.yaml, checked without Docker (CI has none): the structure a
`docker compose up` relies on, the serve extra the image installs, the settings it passes."""
from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import yaml

from scoring.service.settings import ServiceSettings, env_name

REPO = Path(__file__).resolve().parents[3]
KNOWN = {env_name(n) for n in ServiceSettings.__pydantic_fields__}


def _name(requirement: str) -> str:
    return re.split(r"[\[<>=!~; ]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def test_serve_extra_holds_the_service_and_none_of_the_planning_libraries():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    serve = {_name(r) for r in project["optional-dependencies"]["serve"]}
    base = {_name(r) for r in project["dependencies"]}
    assert {"fastapi", "uvicorn", "mlflow", "scikit-learn", "pydantic-settings", "prometheus-client", "orjson",
            "numba"} <= serve <= base
    assert not serve & {"statsforecast", "statsmodels", "pulp", "highspy", "matplotlib", "dask"}


def test_dockerfile_installs_the_serve_extra_and_serves_from_the_environment():
    text = (REPO / "Dockerfile").read_text()
    stages = re.findall(r"^FROM \S+ AS (\S+)", text, flags=re.M)
    assert stages == ["python-base", "mlflow", "service"]  # the service is the default (last) target
    # The command that lists the extra, run here on this pyproject.toml, gives the serve extra.
    command = re.search(r'RUN python -c "(import tomllib; print\(.*?\))" > /tmp/serve.txt', text).group(1)
    listed = subprocess.run([sys.executable, "-c", command], cwd=REPO, capture_output=True, text=True, check=True)
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert listed.stdout.split() == project["optional-dependencies"]["serve"]
    assert "pip install -r /tmp/serve.txt -c /tmp/lock.txt" in text and "pip install --no-deps ." in text
    assert "COPY requirements/lock.txt /tmp/lock.txt" in text
    assert 'ENTRYPOINT ["revops", "score", "serve"]' in text
    # The numba cache made at build, as root, before the service user (who cannot write it).
    compiled = text.index("s._compiling().join()")
    assert text.index("pip install --no-deps .") < compiled < text.index("USER revops")
    assert set(re.findall(r"\b(REVOPS_[A-Z_]+)=", text)) <= KNOWN
    assert "/readyz" in re.search(r"HEALTHCHECK.*", text, flags=re.S).group(0)
    ignored = (REPO / ".dockerignore").read_text().split()
    assert {".venv", "tests", ".git", "models"} <= set(ignored) and "requirements" not in ignored


def test_compose_runs_postgres_mlflow_and_the_service_with_health_checks():
    compose = yaml.safe_load((REPO / "compose.yaml").read_text())
    services = compose["services"]
    assert set(services) == {"postgres", "mlflow", "scoring"}
    assert services["mlflow"]["build"]["target"] == "mlflow"
    assert services["mlflow"]["environment"]["MLFLOW_BACKEND_STORE_URI"].startswith("postgresql+psycopg2://")
    assert "@postgres:5432/" in services["mlflow"]["environment"]["MLFLOW_BACKEND_STORE_URI"]
    assert services["mlflow"]["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    scoring = services["scoring"]
    assert scoring["build"]["target"] == "service"
    assert scoring["environment"]["MLFLOW_TRACKING_URI"] == "http://mlflow:5000"
    assert scoring["depends_on"] == {"mlflow": {"condition": "service_healthy"}}
    assert set(k for k in scoring["environment"] if k.startswith("REVOPS_")) <= KNOWN
    assert "command" not in scoring  # settings from the environment alone
    assert "/readyz" in " ".join(scoring["healthcheck"]["test"])
    assert all("healthcheck" in s for s in services.values())
    host_names = services["mlflow"]["environment"]["MLFLOW_SERVER_ALLOWED_HOSTS"].split(",")
    assert "mlflow:5000" in host_names  # the Host header the service sends
    assert set(compose["volumes"]) >= {"pgdata", "mlartifacts", "routing"}
