# Two commands for a newcomer: `make demo` and `make test`. Both build .venv themselves.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
DEMO_DATA ?= build/sample-data
DEMO_OUT  ?= build/plan

.PHONY: help venv dev demo test check bench clean

help:
	@echo "make demo   - install, generate the sample CRM, run the quarterly plan"
	@echo "make test   - install with dev extras and run the whole test suite"
	@echo "make check  - the fast subset (no end-to-end, notebook or HTTP tests)"
	@echo "make bench  - run the benchmarks in bench/ (long)"

$(BIN)/python:
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "revops needs Python 3.11+, got " + sys.version'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(VENV)/.installed $@

venv: $(VENV)/.installed
dev: $(VENV)/.installed-dev

demo: $(VENV)/.installed
	$(BIN)/revops sample-data --out $(DEMO_DATA)
	$(BIN)/revops plan --data $(DEMO_DATA) --out $(DEMO_OUT) --config examples/sample/plan.toml
	@echo
	@echo "Report:    $(abspath $(DEMO_OUT))/report.html"
	@echo "MLflow UI: $(BIN)/mlflow ui --backend-store-uri sqlite:///$(abspath models)/mlflow.db"

test: $(VENV)/.installed-dev
	$(BIN)/python -m pytest -q

check: $(VENV)/.installed-dev
	$(BIN)/python -m pytest -q -m "not slow"

bench: $(VENV)/.installed-dev
	$(BIN)/python -m pip install --quiet -e ".[dev,bench]"
	$(BIN)/python -m bench

clean:
	rm -rf build $(VENV) models/mlflow.db models/artifacts
