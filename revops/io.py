"""Reading CRM exports as they come: CSV or Parquet, any common encoding and delimiter."""
from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import pandas as pd

from revops.errors import RevopsError

TABLE_SUFFIXES = (".csv", ".parquet", ".pq", ".tsv", ".txt")
# Excel on Windows writes cp1252 ("Latin-1" to most users); latin-1 decodes any byte as a last resort.
ENCODINGS = ("utf-8-sig", "cp1252", "latin-1")
DELIMITERS = ",;\t|"
# pandas' default missing-value markers minus "NA", which in a CRM is North America (or Namibia).
MISSING_MARKERS = ["", "#N/A", "#N/A N/A", "#NA", "-NaN", "-nan", "<NA>", "N/A", "NULL", "NaN",
                   "None", "n/a", "nan", "null"]


class InputFileError(RevopsError):
    """A file cannot be found or read at all."""


def find_table(data_dir: str | os.PathLike[str], name: str) -> Path | None:
    """The file for table ``name`` in ``data_dir`` (``name.csv``, ``name.parquet``, ...), or None."""
    data_dir = Path(data_dir)
    matches = [data_dir / f"{name}{suffix}" for suffix in TABLE_SUFFIXES]
    found = [path for path in matches if path.is_file()]
    if len(found) > 1:
        names = ", ".join(p.name for p in found)
        raise InputFileError(
            f"{data_dir}: table '{name}' is given twice ({names}); keep one file per table."
        )
    return found[0] if found else None


def decode(raw: bytes) -> tuple[str, str]:
    """Decode bytes with the first encoding that fits; return (text, encoding)."""
    for encoding in ENCODINGS:
        try:
            return raw.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise AssertionError("latin-1 decodes every byte")  # pragma: no cover


def sniff_delimiter(text: str) -> str:
    """The delimiter of a CSV text, judged from its first lines."""
    sample = "\n".join(text.splitlines()[:50])
    try:
        return csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        header = sample.splitlines()[0] if sample else ""
        counts = {d: header.count(d) for d in DELIMITERS}
        best = max(counts, key=lambda d: counts[d])
        return best if counts[best] else ","


def read_table(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read one CRM table. Column names are stripped of whitespace and byte-order marks.

    CSV values are read as pandas infers them; the data contracts then coerce and check each
    column, so a stray text value in a numeric column is reported, not silently turned to NaN.
    """
    path = Path(path)
    if not path.is_file():
        raise InputFileError(f"{path}: no such file. Check the path, or the --data folder.")
    suffix = path.suffix.lower()
    if suffix in (".parquet", ".pq"):
        try:
            frame = pd.read_parquet(path)
        except Exception as exc:  # pyarrow raises several types for a bad file
            raise InputFileError(f"{path}: not a readable Parquet file ({exc}).") from exc
    else:
        raw = path.read_bytes()
        if not raw.strip():
            raise InputFileError(
                f"{path}: the file is empty. Expected a header line and at least one row; "
                "export the table again."
            )
        text, _ = decode(raw)
        delimiter = "\t" if suffix == ".tsv" else sniff_delimiter(text)
        try:
            frame = pd.read_csv(
                io.StringIO(text), sep=delimiter, low_memory=False,
                keep_default_na=False, na_values=MISSING_MARKERS,
                skipinitialspace=True,
            )
        except pd.errors.ParserError as exc:
            raise InputFileError(
                f"{path}: cannot be parsed as CSV with delimiter {delimiter!r} ({exc}). "
                "Check for unquoted delimiters inside values."
            ) from exc
        except pd.errors.EmptyDataError as exc:
            raise InputFileError(f"{path}: the file is empty.") from exc
    frame.columns = [str(c).replace("\ufeff", "").strip() for c in frame.columns]
    return frame
