# Two commands for a newcomer: `make demo` and `make test`. Both build .venv themselves.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
DEMO_DATA ?= build/sample-data
DEMO_OUT  ?= build/plan
# Every install takes its versions from the committed lock (requirements/lock.txt, all extras,
# CPython 3.11 on Linux), through uv: a pinned release from PyPI, installed into the venv.
# `make lock` refreshes the lock; `make test-latest` tests the newest versions pyproject allows.
UV_VERSION ?= 0.13.9
LOCK   := requirements/lock.txt
UV     := $(BIN)/uv
# --compile-bytecode, as pip does: where PYTHONDONTWRITEBYTECODE is set (this machine sets it),
# Python never caches what it compiles, and every start would compile pandas and the rest again.
UV_INSTALL = $(UV) pip install --quiet --compile-bytecode --python $(BIN)/python -c $(LOCK)
LATEST_VENV ?= build/venv-latest

.PHONY: help venv dev demo test check bench lock test-latest clean

help:
	@echo "make demo   - install, generate the sample CRM, run the quarterly plan"
	@echo "make test   - install with dev extras and run the whole test suite"
	@echo "make check  - the fast subset (no end-to-end, notebook or HTTP tests)"
	@echo "make bench  - run the benchmarks in bench/ (long)"
	@echo "make lock   - refresh requirements/lock.txt after editing pyproject.toml (UPGRADE=1: newest versions)"
	@echo "make test-latest - the test suite on the newest versions pyproject allows (no lock; $(LATEST_VENV))"

$(BIN)/python:
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "revops needs Python 3.11+, got " + sys.version'
	$(PYTHON) -m venv $(VENV)

$(UV): $(BIN)/python
	$(BIN)/python -m pip install --quiet "uv==$(UV_VERSION)"

$(VENV)/.installed: $(UV) pyproject.toml $(LOCK)
	$(UV_INSTALL) -e .
	touch $@

$(VENV)/.installed-dev: $(UV) pyproject.toml $(LOCK)
	$(UV_INSTALL) -e ".[dev]"
	touch $(VENV)/.installed $@

venv: $(VENV)/.installed
dev: $(VENV)/.installed-dev

demo: $(VENV)/.installed
	$(BIN)/revops sample-data --out $(DEMO_DATA)
	$(BIN)/revops plan --data $(DEMO_DATA) --out $(DEMO_OUT) --config examples/sample/plan.toml
	@echo
	@echo "Report:    $(abspath $(DEMO_OUT))/report.html"
	@echo "MLflow UI: $(BIN)/mlflow ui --backend-store-uri sqlite:///$(abspath models)/mlflow.db"

# Two pytest workers (pytest-xdist), one per core; a module's tests stay on one worker
# (--dist loadscope), so module fixtures such as a generated CRM are built once.
PYTEST := $(BIN)/python -m pytest -q -n 2 --dist loadscope

test: $(VENV)/.installed-dev
	$(PYTEST)

check: $(VENV)/.installed-dev
	$(PYTEST) -m "not slow"

bench: $(VENV)/.installed-dev
	$(UV_INSTALL) -e ".[dev,bench]"
	$(BIN)/python -m bench

# Keeps every pin pyproject still allows and adds what it newly needs; UPGRADE=1 moves every
# package to its newest allowed version (then run `make test` before committing the lock).
lock: $(UV)
	$(UV) pip compile pyproject.toml --all-extras --python-version 3.11 --quiet \
		--custom-compile-command "make lock" $(if $(UPGRADE),--upgrade) -o $(LOCK)

# The newest versions pyproject allows, without the lock, in a venv of their own: what a user
# installing `pip install revops` today gets. Prints where they differ from the lock, then tests
# (PYTEST_ARGS narrows it, e.g. PYTEST_ARGS='-m "not slow"').
test-latest:
	rm -rf $(LATEST_VENV)
	$(PYTHON) -m venv $(LATEST_VENV)
	$(LATEST_VENV)/bin/python -m pip install --quiet "uv==$(UV_VERSION)"
	$(LATEST_VENV)/bin/uv pip install --quiet --compile-bytecode --python $(LATEST_VENV)/bin/python \
		--upgrade -e ".[dev]"
	$(LATEST_VENV)/bin/python requirements/drift.py $(LOCK)
	$(LATEST_VENV)/bin/python -m pytest -q $(PYTEST_ARGS)

clean:
	rm -rf build $(VENV) models/mlflow.db models/artifacts
