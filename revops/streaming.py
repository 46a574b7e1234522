"""Reading a large lead file in chunks, with the decisions of a whole-file read.

``revops score predict`` streams: memory stays flat in the number of leads. Every chunk must be
read as :func:`revops.reading.read_input` reads the whole file, or the scores would depend on the
chunk size. So the first chunk is read exactly as a whole file is (pandas' types, the parsing
layer's decimal separator and day/month order per column, from the chunk's values and the
file's evidence), and those decisions are then *fixed* for every later chunk: a column read as
whole numbers stays whole numbers, a number column keeps its decimal separator, a date column
its day/month order. A later chunk that contradicts them (text in a number column, a decimal
comma in a column the first chunk read with decimal points, values in a column that was empty)
is refused with its row numbers and the way out (larger chunks, or a setting), rather than
read differently from a whole-file read.

Text files (CSV, TSV, gzip'd) and Parquet stream; a workbook is read whole (Excel caps a sheet
at about a million rows) and handed on in chunks.
"""
from __future__ import annotations

import dataclasses
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import numpy as np
import pandas as pd

from parsing import Conventions, InputProblem, found_values, read_dates, read_numbers, told_by
from revops.config import DataConfig, FileReading

# Rows per chunk: ~100 MB of pandas memory for a 20-column export; large enough that the first
# chunk decides what a whole file would (every decision needs only a few thousand values).
DEFAULT_CHUNK_ROWS = 200_000
_INTEGER = re.compile(r"^\s*[+-]?\d+\s*$")
_BOOLEAN = {"true": True, "false": False}


@dataclass
class _Decisions:
    """What the first chunk decided, applied to every later chunk."""

    settings: Conventions
    evidence: Conventions
    fixed_dtypes: dict[str, np.dtype] = field(default_factory=dict)  # int/bool columns
    numbers: dict[str, Conventions] = field(default_factory=dict)    # typed as numbers
    dates: dict[str, Conventions] = field(default_factory=dict)      # typed as dates
    empty: list[str] = field(default_factory=list)                   # all missing at first
    columns: list[str] = field(default_factory=list)


def iter_input_chunks(path: str | os.PathLike[str], data: DataConfig | None = None, *,
                      like: str = "leads", keep: tuple[str, ...] = (),
                      chunk_rows: int = DEFAULT_CHUNK_ROWS) -> Iterator[pd.DataFrame]:
    """:func:`revops.reading.read_input` (without a table contract) in chunks of ``chunk_rows``
    rows: the concatenated chunks equal the whole-file reading, or a later chunk is refused
    (:class:`~revops.contracts.DataContractError`) naming the contradiction."""
    from revops.io import PARQUET_SUFFIXES, WORKBOOK_SUFFIXES, read_table
    from revops.reading import read_input

    if chunk_rows < 1:
        raise ValueError(f"chunk_rows must be 1 or more; got {chunk_rows!r}")
    data = data or DataConfig()
    reading = data.reading(like)
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in WORKBOOK_SUFFIXES or not path.is_file():
        whole = read_input(path, None, data, like=like, keep=keep)
        for start in range(0, len(whole), chunk_rows):
            yield whole.iloc[start:start + chunk_rows].reset_index(drop=True)
        return
    with path.open("rb") as handle:
        magic = handle.read(4)
    if suffix in PARQUET_SUFFIXES or magic == b"PAR1":
        raw_chunks = _parquet_chunks(path, chunk_rows)
    else:
        raw_chunks = _text_chunks(path, reading, chunk_rows)
    first = next(raw_chunks, None)
    if first is None:  # nothing streamed (cannot happen for a file with rows): the whole reader says why
        read_table(path)
        return
    decisions, typed = _first_chunk(first, path, reading, like, keep)
    yield typed
    offset = len(first)
    del first, typed
    for raw in raw_chunks:
        raw.columns = _clean_names(raw.columns)
        n = len(raw)
        typed = _later_chunk(raw, decisions, path, like, offset)
        del raw  # the next chunk is read while this one is scored: keep one copy only
        yield typed
        del typed
        offset += n


# --- the raw chunks -----------------------------------------------------------------------------

def _clean_names(columns) -> list[str]:
    # as revops.io.read_table cleans them
    return [str(c).replace("\ufeff", "").strip() for c in columns]


def _parquet_chunks(path: Path, chunk_rows: int) -> Iterator[pd.DataFrame]:
    import pyarrow.parquet as pq

    from revops.io import InputFileError

    try:
        parquet = pq.ParquetFile(path)
    except Exception as exc:  # pyarrow raises several types for a bad file
        raise InputFileError(f"{path}: not a readable Parquet file ({exc}).") from exc
    # pandas turns an integer (bool) column with a null into floats (objects); a whole-file read
    # does so when the column has a null anywhere, a batch only when the batch has one
    import pyarrow as pa

    schema = parquet.schema_arrow
    widened = {}
    for j, arrow_field in enumerate(schema):
        if not (pa.types.is_integer(arrow_field.type) or pa.types.is_boolean(arrow_field.type)):
            continue
        if _parquet_has_nulls(parquet, path, j, arrow_field.name):
            widened[arrow_field.name] = "float64" if pa.types.is_integer(arrow_field.type) else object
    for batch in parquet.iter_batches(batch_size=chunk_rows):
        frame = batch.to_pandas()
        for name, dtype in widened.items():
            if frame[name].dtype != dtype:
                frame[name] = frame[name].astype(dtype)
        yield frame


def _parquet_has_nulls(parquet, path: Path, index: int, name: str) -> bool:
    """Whether column ``index`` holds a null: from the row groups' statistics, else read."""
    counts = []
    for g in range(parquet.metadata.num_row_groups):
        stats = parquet.metadata.row_group(g).column(index).statistics
        if stats is None or not stats.has_null_count:
            import pyarrow.parquet as pq

            return pq.read_table(path, columns=[name]).column(0).null_count > 0
        counts.append(stats.null_count)
    return sum(counts) > 0


def _text_chunks(path: Path, reading: FileReading, chunk_rows: int) -> Iterator[pd.DataFrame]:
    """The first chunk as ``revops.io`` reads a whole file (pandas' types, floats and mixed
    columns as text); the later ones as text, typed in :func:`_later_chunk`."""
    from revops import io

    found = io.text_format(path, encoding=reading.encoding, delimiter=reading.delimiter)
    options = found.options()
    first = io.read_csv_text(path, nrows=chunk_rows, **options)
    if not isinstance(first.index, pd.RangeIndex):
        raise ValueError(f"{path}: the header has fewer fields than the rows; this file cannot be "
                         "read in chunks (read it whole: --chunk-rows 0), or fix its header.")
    first.columns = _clean_names(first.columns)
    n_first = len(first)
    yield first
    del first  # one chunk in memory at a time
    if n_first < chunk_rows:
        return
    # The later chunks as text, from the top: the first chunk's records are parsed again and
    # dropped (skipping lines instead would miscount records holding a quoted line break).
    rest = pd.read_csv(path, dtype=str, chunksize=chunk_rows, keep_default_na=False,
                       na_values=io.MISSING_MARKERS, skipinitialspace=True, **options)
    with rest:
        again = next(rest, None)
        if again is None or len(again) != n_first:  # pragma: no cover - same parser, same records
            raise ValueError(f"{path}: the file changed while it was read; read it again.")
        del again
        yield from rest


# --- decisions ---------------------------------------------------------------------------------

def _first_chunk(raw: pd.DataFrame, path: Path, reading: FileReading, like: str,
                 keep: tuple[str, ...]) -> tuple[_Decisions, pd.DataFrame]:
    from revops.contracts import DataContractError, type_features
    from revops.io import read_table
    from revops.reading import conventions, decimal_point_problems

    raw.columns = _clean_names(raw.columns)
    if len(raw) == 0:
        read_table(path)  # the whole reader's "only a header" error
    settings = conventions(reading)
    evidence = told_by(raw)
    misread = decimal_point_problems(raw, path, reading.decimal or evidence.decimal)
    if misread:
        raise DataContractError(str(path), misread)
    names = [c for c in raw.columns if c not in keep]
    typed = type_features(raw, names, table=like, source=str(path), settings=settings,
                          evidence=evidence)
    decisions = _Decisions(settings, evidence, columns=list(raw.columns))
    for name in raw.columns:
        dtype = raw[name].dtype
        if (pd.api.types.is_integer_dtype(dtype) or pd.api.types.is_bool_dtype(dtype)
                or pd.api.types.is_float_dtype(dtype)):
            decisions.fixed_dtypes[name] = dtype
    for name in names:
        before, after = raw[name], typed[name]
        if after.dtype == before.dtype:
            if before.dtype == object and bool(before.isna().all()):
                decisions.empty.append(name)
            continue
        if pd.api.types.is_float_dtype(after.dtype):
            told = read_numbers(before, decimal=settings.decimal, fallback=evidence.decimal)
            decisions.numbers[name] = Conventions(settings.decimal or told.decimal, None)
        elif pd.api.types.is_datetime64_any_dtype(after.dtype):
            told = read_dates(before, order=settings.date_order, fallback=evidence.date_order)
            decisions.dates[name] = Conventions(None, settings.date_order or told.order)
    return decisions, typed


def _later_chunk(raw: pd.DataFrame, decisions: _Decisions, path: Path, like: str,
                 offset: int) -> pd.DataFrame:
    from revops.contracts import DataContractError, type_features
    from revops.reading import decimal_point_problems

    if list(raw.columns) != decisions.columns:  # pragma: no cover - one header for all chunks
        raise ValueError(f"{path}: a chunk's columns differ from the first chunk's.")
    problems: list[InputProblem] = []
    out = raw.copy()
    for name, dtype in decisions.fixed_dtypes.items():
        values = raw[name]
        if values.dtype == dtype:  # typed by the file itself (Parquet)
            continue
        # A blank cell further down is a missing value, not a contradiction: the column then
        # comes out as the whole-file reader gives it with blanks (objects, floats).
        present = values.notna().to_numpy()
        if pd.api.types.is_bool_dtype(dtype):
            lowered = values.str.lower()
            bad = ~lowered.isin(list(_BOOLEAN)).to_numpy() & present
            converted = ((lambda: lowered.map(_BOOLEAN).astype(bool)) if present.all()  # noqa: E731
                         else (lambda: lowered.map(_BOOLEAN).astype(object)))
            kind = "true/false"
        elif pd.api.types.is_float_dtype(dtype):  # pandas' own float reading (no missing markers left)
            numbers = pd.to_numeric(values, errors="coerce")
            bad = (numbers.isna() & values.notna()).to_numpy(dtype=bool)
            converted = lambda: values.astype(dtype)  # noqa: E731
            kind = "numbers"
        else:
            bad = ~values.str.match(_INTEGER, na=False).to_numpy(dtype=bool) & present
            converted = ((lambda: values.str.strip().astype(dtype)) if present.all()  # noqa: E731
                         else (lambda: pd.to_numeric(values.str.strip()).astype(float)))
            kind = "whole numbers"
        if bad.any():
            problems.append(_contradiction(name, values, bad, offset, kind))
        else:
            out[name] = converted()
    if problems:
        raise DataContractError(str(path), problems)
    decimal = decisions.settings.decimal or decisions.evidence.decimal
    misread = decimal_point_problems(out, path, decimal)
    if misread:
        raise DataContractError(str(path), [_shifted(p, offset) for p in misread])
    for name, settings in {**decisions.numbers, **decisions.dates}.items():
        is_number = name in decisions.numbers
        column = out[[name]]
        try:
            typed = type_features(column, [name], table=like, source=str(path),
                                  settings=settings, evidence=decisions.evidence)[name]
        except DataContractError as exc:
            raise DataContractError(str(path), [_shifted(p, offset) if p is not None else text
                                                for p, text in zip(exc.details, exc.problems)]) from None
        expected = pd.api.types.is_float_dtype if is_number else pd.api.types.is_datetime64_any_dtype
        if expected(typed.dtype):
            out[name] = typed
            continue
        raw_values = out[name]
        if bool(raw_values.isna().all()):  # an empty stretch: missing values of that type
            out[name] = (pd.Series(np.nan, index=raw_values.index) if is_number
                         else pd.Series(pd.NaT, index=raw_values.index, dtype="datetime64[ns]"))
            continue
        reading = (read_numbers(raw_values, decimal=settings.decimal) if is_number
                   else read_dates(raw_values, order=settings.date_order))
        bad = reading.bad if reading.bad.any() else ~reading.missing
        problems.append(_contradiction(name, raw_values, bad, offset,
                                       "numbers" if is_number else "dates"))
    for name in decisions.empty:
        column = out[[name]]
        if bool(column[name].isna().all()):
            continue
        typed = type_features(column, [name], table=like, source=str(path),
                              settings=decisions.settings, evidence=decisions.evidence)[name]
        if typed.dtype != column[name].dtype:
            present = column[name].notna().to_numpy()
            problems.append(InputProblem(
                name, "value(s) in a column that was empty in the first chunk", rows=_rows(present, offset),
                found=found_values(column[name], present),
                expected=f"the column read the same way in every chunk; the {offset:,} rows before "
                "held no values",
                hint="the file is read in chunks and each column's type is decided on the first "
                "one; give a larger --chunk-rows (0: the whole file at once), or put rows with "
                "values first."))
    if problems:
        raise DataContractError(str(path), problems)
    return out


def _rows(mask: np.ndarray, offset: int) -> tuple[int, ...]:
    return tuple(int(p) + offset for p in np.flatnonzero(mask))


def _contradiction(name: str, values: pd.Series, bad: np.ndarray, offset: int,
                   kind: str) -> InputProblem:
    return InputProblem(
        name, f"value(s) that are not {kind}, in a column the first chunk read as {kind}",
        rows=_rows(bad, offset), found=found_values(values, bad),
        expected=f"{kind} all the way down, as in the {offset:,} rows before",
        hint="the file is read in chunks and each column's type is decided on the first one; "
        "give a larger --chunk-rows (0: the whole file at once) so the first chunk shows these "
        "values too, or correct them.")


def _shifted(problem: InputProblem, offset: int) -> InputProblem:
    """A chunk's problem with the file's row numbers."""
    return dataclasses.replace(problem, rows=tuple(int(r) + offset for r in problem.rows))
