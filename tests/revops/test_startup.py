"""Start-up: ``revops --help``, ``--version`` and every ``<command> --help`` import no engine library.

Building the parser needs pydantic and the engines' configuration modules only; each command
imports what it runs inside its ``run`` (issue 21: the parser used to import scikit-learn, FastAPI,
matplotlib, numba, PuLP and highspy, 12-18 s before any help was printed). The timing itself is
a bench (``python -m bench.bench_startup``), not a test: a shared machine makes times flaky; which
modules get imported is exact.

Every command registered in ``revops.cli.COMMANDS`` is walked, sub-commands included, so a new
command is checked the day it is added.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Libraries a command imports when it runs, never while the parser is built. pandas and numpy
# too: `revops --help` must take no longer than `import pandas` alone.
HEAVY = ("sklearn", "mlflow", "fastapi", "matplotlib", "statsforecast", "pulp", "highspy", "scipy",
         "numba", "statsmodels", "uvicorn", "dask", "distributed", "pandas", "numpy")

# Runs in a fresh interpreter: walks the parser, asks each command for --help and records which
# heavy libraries are loaded after each one (they accumulate, so the first command naming a
# library is the one that imported it).
WALK = r"""
import argparse, contextlib, io, json, sys
HEAVY = %r
from revops import cli

def paths(parser, prefix):
    yield prefix
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            seen = set()
            for name, sub in action.choices.items():
                if id(sub) not in seen:  # an alias names the same parser
                    seen.add(id(sub))
                    yield from paths(sub, prefix + [name])

report = []
for argv in list(paths(cli.build_parser(), [])):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        try:
            code = cli.main(argv + ["--help"])
        except SystemExit as exit:
            code = exit.code
    loaded = sorted(name for name in HEAVY if name in sys.modules)
    report.append({"argv": argv, "code": code, "help": len(out.getvalue()), "loaded": loaded})
print(json.dumps(report))
"""


def run_python(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)


def first_importer(report: list[dict]) -> dict[str, str]:
    """Each heavy library loaded -> the first `revops ... --help` after which it was loaded."""
    culprits: dict[str, str] = {}
    for entry in report:
        for name in entry["loaded"]:
            culprits.setdefault(name, " ".join(["revops", *entry["argv"], "--help"]))
    return culprits


def test_every_command_help_imports_no_heavy_library():
    result = run_python("-c", WALK % (HEAVY,))
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    commands = {" ".join(entry["argv"]) for entry in report}
    # the walk reached the commands and their sub-commands, not just the top level
    assert {"", "plan", "score", "score train", "score predict", "forecast", "funnel",
            "territory solve", "sample-data"} <= commands
    assert all(entry["code"] == 0 and entry["help"] > 0 for entry in report), report
    assert first_importer(report) == {}


def test_python_m_revops_help_imports_no_heavy_library():
    # -X importtime lists every module the real entry point (`python -m revops`) imports
    result = run_python("-X", "importtime", "-m", "revops", "--help")
    assert result.returncode == 0, result.stderr
    assert "usage: revops" in result.stdout
    imported = {line.rsplit("|", 1)[-1].strip().split(".")[0]
                for line in result.stderr.splitlines() if line.startswith("import time:")}
    assert "revops" in imported
    assert sorted(imported & set(HEAVY)) == []


def test_python_m_revops_version():
    result = run_python("-m", "revops", "--version")
    assert result.returncode == 0, result.stderr
    from revops import __version__

    assert result.stdout.strip() == f"revops {__version__}"
