"""Subcommands of the ``revops`` CLI, one module each.

Each module exposes ``register(subparsers)`` which adds its parser(s) and sets
``func=run`` (a callable taking the parsed ``argparse.Namespace`` and returning an exit code).
"""
from __future__ import annotations

import importlib

# Order is the order shown in ``revops --help``.
# serve.py is not listed: it adds ``revops score serve`` through score.py.
COMMAND_MODULES = ("sample_data", "plan", "score", "forecast", "funnel", "territory")


def load_command_modules() -> list:
    """Import every command module that exists (later issues add theirs)."""
    modules = []
    for name in COMMAND_MODULES:
        try:
            modules.append(importlib.import_module(f"revops.commands.{name}"))
        except ModuleNotFoundError as exc:
            if exc.name != f"revops.commands.{name}":
                raise
    return modules
