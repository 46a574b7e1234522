# The lead scoring service (`revops score serve`) and, as `--target mlflow`, the team's MLflow
# server; compose.yaml runs both beside PostgreSQL.
#
# The service image holds only what serving needs: the `serve` extra of pyproject.toml, then
# this package installed with --no-deps (no forecasting, territory-solver, notebook or plotting
# libraries). Every setting comes from REVOPS_* variables: no command-line flags needed.
#
#   docker build -t revops-scoring .
#   docker run -p 8000:8000 -e MLFLOW_TRACKING_URI=http://mlflow.internal:5000 \
#              -e REVOPS_API_KEY=... -v "$PWD/out:/plan:ro" -e REVOPS_TERRITORY_PLAN=/plan revops-scoring
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS python-base
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# ---------------------------------------------------------------- the team's MLflow server
# The same MLflow release range as the clients (the `serve` extra's pin), and the PostgreSQL
# driver (the backend URI names it: postgresql+psycopg2://).
FROM python-base AS mlflow
COPY pyproject.toml requirements/lock.txt /tmp/
RUN python -c "import tomllib; extra = tomllib.load(open('/tmp/pyproject.toml', 'rb'))['project']['optional-dependencies']['serve']; print(next(r for r in extra if r.startswith('mlflow')))" > /tmp/mlflow.txt \
 && pip install -r /tmp/mlflow.txt "psycopg2-binary>=2.9" -c /tmp/lock.txt \
 && rm /tmp/mlflow.txt /tmp/pyproject.toml /tmp/lock.txt \
 && useradd --create-home --uid 10001 mlflow \
 && mkdir -p /mlartifacts && chown mlflow /mlartifacts
USER mlflow
EXPOSE 5000
# MLFLOW_BACKEND_STORE_URI: the PostgreSQL database; artifacts are served by this server
# (clients need no access to /mlartifacts). MLFLOW_SERVER_ALLOWED_HOSTS: the Host headers it answers.
CMD ["sh", "-c", "exec mlflow server --backend-store-uri \"$MLFLOW_BACKEND_STORE_URI\" --artifacts-destination /mlartifacts --host 0.0.0.0 --port 5000"]

# ---------------------------------------------------------------- the scoring service (default)
FROM python-base AS service
WORKDIR /app
COPY pyproject.toml README.md ./
COPY requirements/lock.txt /tmp/lock.txt
# The serve extra alone, read from pyproject.toml (one list to maintain), at the versions of the
# lock the tests run with (the model's pinned requirements match them).
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['optional-dependencies']['serve']))" > /tmp/serve.txt \
 && pip install -r /tmp/serve.txt -c /tmp/lock.txt \
 && rm /tmp/serve.txt /tmp/lock.txt
COPY revops ./revops
COPY scoring ./scoring
COPY parsing ./parsing
# The command line lists every command; these two are imported for their settings only.
COPY forecasting ./forecasting
COPY territory ./territory
RUN pip install --no-deps . \
 && rm -rf build ./*.egg-info \
 && useradd --create-home --uid 10001 revops \
 && mkdir -p /var/lib/revops /plan && chown revops /var/lib/revops
# The batch body reader and answer writer compiled once, here: numba keeps its cache beside the
# package, which the service user cannot write, so each worker of each container would compile
# them again (~45 s) before it is ready. (On a CPU unlike the build machine's, numba compiles
# again, once per process.)
RUN python -c "import scoring.service.served as s; s._compiling().join(); assert s._COMPILED.is_set()"
USER revops
WORKDIR /home/revops
# Listen on every interface of the container; the routing state on a volume (the plan folder
# may be mounted read-only); the multiprocess metrics files in the container's own /tmp.
ENV REVOPS_HOST=0.0.0.0 \
    REVOPS_PORT=8000 \
    REVOPS_ROUTE_STATE=/var/lib/revops/routing_state.sqlite \
    REVOPS_METRICS_DIR=/tmp/revops-metrics \
    MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR=false
EXPOSE 8000
VOLUME ["/var/lib/revops"]
# Ready = a model (and the territory plan, when one is configured) is loaded; /readyz needs the
# API key when one is set.
HEALTHCHECK --interval=10s --timeout=3s --start-period=90s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request as u; r = u.Request('http://127.0.0.1:%s/readyz' % os.environ.get('REVOPS_PORT', '8000')); k = os.environ.get('REVOPS_API_KEY'); k and r.add_header('Authorization', 'Bearer ' + k); u.urlopen(r, timeout=3)"]
ENTRYPOINT ["revops", "score", "serve"]
