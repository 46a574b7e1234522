"""Command-line flags derived from an engine's configuration object.

A field ``time_limit`` of ``TerritoryConfig`` becomes ``--time-limit``; its description is the
help text, its default is shown, a ``Literal`` gives the choices, a bool gives ``--x/--no-x``, a
tuple is written comma-separated, and an optional value takes ``none``. Values are checked by the
configuration object itself, so a command and the plan file refuse the same values with the same
rule. Only the flags a user gives are passed on: everything else keeps the object's default.
"""
from __future__ import annotations

import argparse
import dataclasses
import types
import typing
from typing import Any, Iterable, Mapping, TypeVar

from pydantic import ValidationError

from revops.errors import config_error

C = TypeVar("C")
_PREFIX = "cfg__"
NONE_WORDS = ("none", "null")


def flag_name(field: str) -> str:
    return "--" + field.replace("_", "-")


def _optional(annotation: Any) -> tuple[bool, Any]:
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) in (typing.Union, types.UnionType) and type(None) in args:
        rest = [a for a in args if a is not type(None)]
        return True, rest[0] if len(rest) == 1 else annotation
    return False, annotation


def _default_text(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, tuple):
        return ",".join(map(str, value)) or "none"
    if isinstance(value, bool):
        return "on" if value else "off"
    return str(value)


def add_config_flags(
    parser: argparse.ArgumentParser | Any,
    config_cls: type,
    *,
    skip: Iterable[str] = (),
    aliases: Mapping[str, Iterable[str]] | None = None,
    title: str | None = None,
) -> None:
    """Add one flag per field of ``config_cls`` (a pydantic dataclass) to ``parser``."""
    fields = config_cls.__pydantic_fields__
    skip = set(skip)
    aliases = aliases or {}
    target = parser.add_argument_group(title) if title else parser
    for name, info in fields.items():
        if name in skip:
            continue
        optional, inner = _optional(info.annotation)
        default = info.get_default(call_default_factory=True)
        help_text = (info.description or name.replace("_", " ")).replace("%", "%%")
        names = [flag_name(name), *aliases.get(name, ())]
        kwargs: dict[str, Any] = {"dest": _PREFIX + name, "default": argparse.SUPPRESS}
        if inner is bool:
            kwargs["action"] = argparse.BooleanOptionalAction
            kwargs["help"] = f"{help_text} (default: {_default_text(default)})"
        else:
            if typing.get_origin(inner) is typing.Literal:
                choices = [str(c) for c in typing.get_args(inner)]
                kwargs["metavar"] = "{" + ",".join(choices + (["none"] if optional else [])) + "}"
            elif typing.get_origin(inner) is tuple:
                kwargs["metavar"] = "A,B,..."
            elif _takes_mapping(info.annotation):
                kwargs["metavar"] = "X|SEGMENT=X,..."
            else:
                kwargs["metavar"] = name.upper()
            kwargs["help"] = f"{help_text} (default: {_default_text(default)})"
        target.add_argument(*names, **kwargs)


def _value(text: Any, annotation: Any) -> Any:
    optional, inner = _optional(annotation)
    if not isinstance(text, str):
        return text
    if optional and text.strip().lower() in NONE_WORDS:
        return None
    if typing.get_origin(inner) is tuple:
        return tuple(part.strip() for part in text.split(",") if part.strip())
    if "=" in text and _takes_mapping(annotation):  # per segment: "Enterprise=0.2,SMB=0.3"
        pairs = [part.split("=", 1) for part in text.split(",") if part.strip()]
        if all(len(pair) == 2 for pair in pairs):
            return {key.strip(): value.strip() for key, value in pairs}
    return text


def _takes_mapping(annotation: Any) -> bool:
    return any(typing.get_origin(a) is dict for a in typing.get_args(annotation))


def given_flags(args: argparse.Namespace) -> dict[str, Any]:
    """The configuration fields the user set on the command line (raw text)."""
    return {k.removeprefix(_PREFIX): v for k, v in vars(args).items() if k.startswith(_PREFIX)}


def config_from_flags(
    config_cls: type[C],
    args: argparse.Namespace,
    *,
    base: C | None = None,
    **fixed: Any,
) -> C:
    """The configuration: ``base`` (or the defaults), the flags the user gave, then ``fixed``
    (values the command decides itself). A bad value is a ``ConfigError`` naming the flag."""
    fields = config_cls.__pydantic_fields__
    values: dict[str, Any] = {}
    if base is not None:
        values.update({name: getattr(base, name) for name in fields})
    for name, text in given_flags(args).items():
        if name in fields:
            values[name] = _value(text, fields[name].annotation)
    values.update(fixed)
    try:
        return config_cls(**values)
    except ValidationError as exc:
        raise config_error(exc, "command line",
                           lambda loc: flag_name(str(loc[0])) if loc else "") from None


def config_as_params(config: Any, prefix: str = "") -> dict[str, str]:
    """A configuration object as flat MLflow parameters (``prefix.field -> text``)."""
    out: dict[str, str] = {}
    for field in dataclasses.fields(config):
        value = getattr(config, field.name)
        key = f"{prefix}{field.name}"
        if dataclasses.is_dataclass(value):
            out.update(config_as_params(value, key + "."))
        else:
            out[key] = str(value)[:500]
    return out


def iso_date(text: str) -> str:
    """An argparse ``type`` for ``--as-of``: a calendar date written YYYY-MM-DD (no other order
    is guessed on the command line); a bad one is argparse's exit 2 naming the flag."""
    import datetime as dt

    try:
        return dt.date.fromisoformat(text.strip()).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a date written YYYY-MM-DD, e.g. 2026-12-31; got {text!r}") from None
