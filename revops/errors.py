"""Errors a user can fix, and how an exception is told apart from a bug.

The CLI prints a user error's message and exits with status 2; anything else is a bug and keeps
its traceback. Domain packages (scoring, forecasting, territory) never import revops: they raise
their own ``ValueError`` subclasses, and any ``ValueError`` raised from one of our packages is a
user error. Configuration objects are pydantic dataclasses; the hub turns their
``ValidationError`` into a :class:`ConfigError` naming the setting (:func:`config_error`).
"""
from __future__ import annotations

import difflib
import re
from typing import Any, Callable

OUR_PACKAGES = frozenset({"revops", "scoring", "forecasting", "territory", "parsing"})


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


# Parts of a pydantic error location that name a type (a union member, a validator), not a key.
_TYPE_TAG = re.compile(r"^(constrained-\w+|function-.*|.*\[.*\]|float|int|str|bool|none|dict|list|tuple)$")


def describe_validation_error(exc: Any, name: Callable[[tuple], str] | None = None,
                              allowed: Callable[[tuple], list[str]] | None = None) -> list[str]:
    """One line per problem of a pydantic ``ValidationError``: the setting, what is allowed, what
    arrived. ``name`` turns an error location (a tuple) into the setting's name as the user
    writes it (a plan-file key or a command-line flag).

    A value that may be one of several types (a number, or a number per segment) fails once per
    type; the failure of the type the user evidently meant is kept, the "not a dictionary" of the
    other is dropped."""
    grouped: dict[str, list[dict]] = {}
    for error in exc.errors(include_url=False):
        loc = tuple(p for p in error["loc"] if not (isinstance(p, str) and _TYPE_TAG.match(p)))
        where = name(loc) if name else ".".join(map(str, loc))
        grouped.setdefault(where, []).append(error)
    lines = []
    for where, errors in grouped.items():
        meant = [e for e in errors if not e["type"].endswith("_type")] or errors
        messages = []
        for error in meant:
            message = error["msg"]
            if error["type"] == "missing_argument":
                message = "is required"
            elif error["type"] in ("unexpected_keyword_argument", "extra_forbidden"):
                message = "is not a known setting"
                known = allowed(loc[:-1]) if allowed else []
                if known:
                    close = difflib.get_close_matches(str(loc[-1]), known, n=1)
                    message += (f" (did you mean {close[0]}?)" if close else "") + \
                        f"; allowed: {', '.join(known)}"
            if message not in messages:
                messages.append(message)
        error = meant[0]
        shown = "" if error["type"] in ("missing_argument", "unexpected_keyword_argument",
                                        "extra_forbidden") else f"; got {error.get('input')!r}"
        text = " or ".join(messages)
        lines.append(f"{where}: {text}{shown}" if where else f"{text}{shown}")
    return lines


def config_error(exc: Any, where: str, name: Callable[[tuple], str] | None = None,
                 allowed: Callable[[tuple], list[str]] | None = None) -> ConfigError:
    """A :class:`ConfigError` listing every problem of a pydantic ``ValidationError``."""
    lines = describe_validation_error(exc, name, allowed)
    head = f"{where}: {len(lines)} problem(s) with the settings" if len(lines) > 1 else where
    return ConfigError(head + ":\n  " + "\n  ".join(lines) if len(lines) > 1 else f"{head}: {lines[0]}")
