"""How the commands read the files they are given: the ``--decimal``, ``--date-order`` and
``--encoding`` flags (the plan file's ``[data]`` settings), one reader for every command.

A command adds the flags with :func:`add_reading_flags`, turns them into a
:class:`~revops.config.DataConfig` with :func:`reading_from_flags` and reads each file with
:func:`read_input`: the file is read (encoding, sheet, delimiter), then checked against its
table's contract with the decimal separator and date order set, or told by the values.
"""
from __future__ import annotations

import argparse
import os
from typing import Any

import pandas as pd

from parsing import Conventions
from revops.config import DataConfig, FileReading
from revops.flags import add_config_flags, config_from_flags

READING_FIELDS = ("decimal", "date_order", "encoding")
TITLE = "reading the files (the plan file's [data] section)"


def add_reading_flags(parser: argparse.ArgumentParser | Any) -> None:
    """Add ``--decimal``, ``--date-order`` and ``--encoding`` to a command."""
    skip = [name for name in DataConfig.__pydantic_fields__ if name not in READING_FIELDS]
    add_config_flags(parser, DataConfig, skip=skip, title=TITLE)


def reading_from_flags(args: argparse.Namespace, base: DataConfig | None = None) -> DataConfig:
    """``base`` (or the defaults) with the reading flags the user gave; a bad value is a
    ConfigError naming the flag."""
    return config_from_flags(DataConfig, args, base=base)


def read_file(path: str | os.PathLike[str], reading: FileReading | None = None) -> pd.DataFrame:
    """Read one file as set (encoding, sheet, delimiter; detected where not set)."""
    from revops.io import read_table

    reading = reading or FileReading()
    options = {"encoding": reading.encoding, "sheet": reading.sheet, "delimiter": reading.delimiter}
    return read_table(path, **{key: value for key, value in options.items() if value is not None})


def conventions(reading: FileReading) -> Conventions:
    """The decimal separator and date order a user set for a file (None where not set)."""
    return Conventions(reading.decimal, reading.date_order)


def read_input(path: str | os.PathLike[str], table: str | None = None,
               data: DataConfig | None = None, *, like: str | None = None,
               keep: tuple[str, ...] = ()) -> pd.DataFrame:
    """Read a file given to a command; with ``table``, check it against that table's contract.

    Without a table (a lead export for ``revops score``, a booking history), the columns whose
    every value is a number or a date are read as such, with the same settings and the same
    refusal of what stays ambiguous; ``keep``: columns left as they are (a label, an id);
    ``like``: the table whose ``[data.per_table]`` settings apply (default: ``[data]``'s).
    """
    from revops.contracts import type_features, validate

    data = data or DataConfig()
    reading = data.reading(table or like or "")
    frame = read_file(path, reading)
    if table is not None:
        return validate(table, frame, source=str(path), settings=conventions(reading))
    names = [c for c in frame.columns if c not in keep]
    return type_features(frame, names, table=like or "<table>", source=str(path),
                         settings=conventions(reading))
