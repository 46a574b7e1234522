"""Errors a user can fix, and how an exception is told apart from a bug.

The CLI prints a user error's message and exits with status 2; anything else is a bug and keeps
its traceback. Domain packages (scoring, forecasting, territory) never import revops: they raise
their own ``ValueError`` subclasses, and any ``ValueError`` raised from one of our packages is a
user error. Configuration objects are pydantic dataclasses; the hub turns their
``ValidationError`` into a :class:`ConfigError` naming the setting (:func:`config_error`).
"""
from __future__ import annotations

from typing import Any, Callable

OUR_PACKAGES = frozenset({"revops", "scoring", "forecasting", "territory"})


class RevopsError(ValueError):
    """A problem with the user's input or configuration, explained in the message."""


class ConfigError(RevopsError):
    """The plan file or a command-line option is wrong."""


def is_user_error(exc: BaseException) -> bool:
    """True for a ``ValueError`` raised by one of our packages: its message is for the user."""
    if not isinstance(exc, ValueError):
        return False
    module = type(exc).__module__.split(".")[0]
    return module in OUR_PACKAGES


def describe_validation_error(exc: Any, name: Callable[[tuple], str] | None = None) -> list[str]:
    """One line per problem of a pydantic ``ValidationError``: the setting, what is allowed, what
    arrived. ``name`` turns an error location (a tuple) into the setting's name as the user
    writes it (a plan-file key or a command-line flag)."""
    lines = []
    for error in exc.errors(include_url=False):
        loc = tuple(p for p in error["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        # pydantic adds the union member ('float', 'none') or the tagged type to the location
        loc = tuple(p for p in loc if p not in ("float", "int", "str", "bool", "none", "list[str]"))
        where = name(loc) if name else ".".join(map(str, loc))
        message = error["msg"]
        if error["type"] == "missing_argument":
            message = "is required"
        elif error["type"] in ("unexpected_keyword_argument", "extra_forbidden"):
            message = "is not a known setting"
        got = error.get("input")
        shown = "" if error["type"] in ("missing_argument", "unexpected_keyword_argument",
                                        "extra_forbidden") else f"; got {got!r}"
        lines.append(f"{where}: {message}{shown}" if where else f"{message}{shown}")
    return lines


def config_error(exc: Any, where: str, name: Callable[[tuple], str] | None = None) -> ConfigError:
    """A :class:`ConfigError` listing every problem of a pydantic ``ValidationError``."""
    lines = describe_validation_error(exc, name)
    head = f"{where}: {len(lines)} problem(s) with the settings" if len(lines) > 1 else where
    return ConfigError(head + ":\n  " + "\n  ".join(lines) if len(lines) > 1 else f"{head}: {lines[0]}")
