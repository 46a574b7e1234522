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
from typing import TYPE_CHECKING, Any

from revops.config import DataConfig, FileReading
from revops.flags import add_config_flags, config_from_flags

if TYPE_CHECKING:
    import pandas as pd

    from parsing import Conventions, InputProblem

# numpy, pandas and the parsing layer are imported where a file is read: every command adds the
# reading flags, and `revops <command> --help` must not pay for pandas.

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


# Files whose cells are text: a number typed by the reader had a decimal point in the file.
TEXT_SUFFIXES = (".csv", ".tsv", ".txt", ".gz")


def decimal_point_problems(frame: pd.DataFrame, path: str | os.PathLike[str],
                           decimal: str | None) -> list[InputProblem]:
    """Columns of a text file that the reader turned into numbers with fractions, when the file
    writes decimals with a comma: there ``12.345`` was 12345 (``.`` separates thousands) and has
    become 12.345. Refused rather than read wrong (the reader types such columns before the
    parsing layer sees their text)."""
    if decimal != "," or not str(path).lower().endswith(TEXT_SUFFIXES):
        return []
    import numpy as np
    import pandas as pd

    from parsing import InputProblem, found_values

    problems = []
    for name in frame.columns:
        column = frame[name]
        if not pd.api.types.is_float_dtype(column.dtype):
            continue
        values = column.to_numpy(dtype=float)
        with np.errstate(invalid="ignore"):
            fraction = np.isfinite(values) & (values != np.round(values))
        if fraction.any():
            problems.append(InputProblem(
                str(name), "value(s) written with a decimal point in a file that writes decimals "
                "with a comma", rows=tuple(int(p) for p in np.flatnonzero(fraction)),
                found=found_values(column, fraction) + " as read",
                expected="numbers written as the rest of the file writes them (1.234,5 or 1234,5)",
                hint="in this file '.' separates thousands (12.345 is 12345) but the column was read "
                     "as decimals; export it without thousands separators, or set decimal = \".\" "
                     "if the file really uses decimal points."))
    return problems


def conventions(reading: FileReading) -> Conventions:
    """The decimal separator and date order a user set for a file (None where not set)."""
    from parsing import Conventions

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
    from parsing import told_by
    from revops.contracts import DataContractError, type_features, validate

    data = data or DataConfig()
    reading = data.reading(table or like or "")
    frame = read_file(path, reading)
    misread = decimal_point_problems(frame, path, reading.decimal or told_by(frame).decimal)
    if misread:
        raise DataContractError(str(path), misread)
    if table is not None:
        return validate(table, frame, source=str(path), settings=conventions(reading))
    names = [c for c in frame.columns if c not in keep]
    return type_features(frame, names, table=like or "<table>", source=str(path),
                         settings=conventions(reading))
