"""Reading CRM exports as they come: CSV (plain or gzip'd), Excel workbooks or Parquet, in any
common encoding and delimiter.

A text file is never decoded whole into memory: its encoding and delimiter are judged from a
sample (the first :data:`SAMPLE_BYTES`), and pandas then reads the file itself with them, so
reading costs what ``pandas.read_csv`` costs (``bench/bench_read.py``). Encodings: a byte-order
mark decides (UTF-8, UTF-16 or UTF-32, whatever the extension: Excel's "Unicode Text" is UTF-16
with a mark); without one, the ``encoding`` setting, else UTF-8, else cp1252, else latin-1,
whichever decodes every byte of the file. Excel cells arrive typed (numbers, dates, booleans);
they are handed on as the CSV path hands them: a column of dates as dates, a date among text as
its ISO text, which the data contracts read the same in every order.
"""
from __future__ import annotations

import codecs
import csv
import datetime as dt
import gzip
import os
import warnings
import zipfile
from pathlib import Path
from typing import IO, Callable, NamedTuple

import numpy as np
import pandas as pd
from pandas.api.types import infer_dtype

from revops.errors import RevopsError

TABLE_SUFFIXES = (".csv", ".parquet", ".pq", ".tsv", ".txt", ".xlsx", ".xlsm",
                  ".csv.gz", ".tsv.gz", ".txt.gz")
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")
PARQUET_SUFFIXES = (".parquet", ".pq")
# Excel on Windows writes cp1252 ("Latin-1" to most users); latin-1 decodes any byte as a last resort.
ENCODINGS = ("utf-8", "cp1252", "latin-1")
DELIMITERS = ",;\t|"
# pandas' default missing-value markers minus "NA", which in a CRM is North America (or Namibia).
MISSING_MARKERS = ["", "#N/A", "#N/A N/A", "#NA", "-NaN", "-nan", "<NA>", "N/A", "NULL", "NaN",
                   "None", "n/a", "nan", "null"]
# Enough lines to judge the delimiter and the encoding; small next to any file worth streaming.
SAMPLE_BYTES = 64 * 1024
_BLOCK = SAMPLE_BYTES  # small blocks: freed memory goes back to the heap pandas reuses
# UTF-32's marks first: UTF-32 LE's (FF FE 00 00) begins with UTF-16 LE's (FF FE). The codecs
# named here read the mark, pick the byte order from it and drop it.
BYTE_ORDER_MARKS = (
    (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"),
)
_GZIP_MAGIC = b"\x1f\x8b"
_ZIP_MAGIC = b"PK\x03\x04"
_PARQUET_MAGIC = b"PAR1"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # Excel 97-2003 .xls, or a password-protected workbook
# Excel keeps 15 significant digits; what a formula leaves beyond them (0.1 + 0.2) is binary
# noise that Excel neither shows nor writes to a CSV.
_EXCEL_DIGITS = 15


class InputFileError(RevopsError):
    """A file cannot be found or read at all."""


def find_table(data_dir: str | os.PathLike[str], name: str) -> Path | None:
    """The file for table ``name`` in ``data_dir`` (``name.csv``, ``name.xlsx``, ``name.csv.gz``,
    ``name.parquet``, ...; see :data:`TABLE_SUFFIXES`), or None."""
    data_dir = Path(data_dir)
    matches = [data_dir / f"{name}{suffix}" for suffix in TABLE_SUFFIXES]
    found = [path for path in matches if path.is_file()]
    if len(found) > 1:
        names = ", ".join(p.name for p in found)
        raise InputFileError(
            f"{data_dir}: table '{name}' is given twice ({names}); keep one file per table."
        )
    return found[0] if found else None


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


def read_table(path: str | os.PathLike[str], *, encoding: str | None = None,
               sheet: str | None = None, delimiter: str | None = None) -> pd.DataFrame:
    """Read one CRM table. Column names are stripped of whitespace and byte-order marks.

    ``encoding`` (text files): used when the file has no byte-order mark (a mark always says
    which Unicode encoding the file is in); None: UTF-8, else cp1252, else latin-1.
    ``sheet`` (workbooks): the sheet to read; None: the first visible one.
    ``delimiter`` (text files): None: detected (a ``.tsv`` file: tab).

    Whole numbers and text are read as pandas infers them; anything else (decimals, amounts,
    dates) arrives as the file's text, and the data contracts read and check each column whole
    (parsing/), so a stray text value in a numeric column is reported, not silently turned to
    NaN, and ``6.000`` in a European file is not taken for 6.
    A file that cannot be read, or that has a header but no rows, is an :class:`InputFileError`
    naming the file, what was expected and the setting that fixes it.
    """
    path = Path(path)
    if not path.is_file():
        raise InputFileError(f"{path}: no such file. Check the path, or the --data folder.")
    with path.open("rb") as handle:
        magic = handle.read(8)
    suffixes = [s.lower() for s in path.suffixes[-2:]]
    suffix = suffixes[-1] if suffixes else ""
    if suffix in PARQUET_SUFFIXES or magic.startswith(_PARQUET_MAGIC):
        frame = _read_parquet(path)
    elif suffix in WORKBOOK_SUFFIXES or (magic.startswith(_ZIP_MAGIC) and _is_workbook(path)):
        frame = _read_workbook(path, sheet)
    elif magic.startswith(_OLE_MAGIC):
        raise InputFileError(
            f"{path}: an Excel 97-2003 workbook (.xls) or a password-protected workbook; expected "
            "a CSV file or an .xlsx workbook. Save it from Excel as .xlsx (without a password) or "
            "as CSV.")
    elif magic.startswith(_ZIP_MAGIC):
        raise InputFileError(
            f"{path}: a zip archive, not a table; expected a CSV file or an .xlsx workbook. "
            "Unzip it and give the file inside.")
    else:
        frame = _read_text(path, encoding=encoding, delimiter=delimiter)
    frame.columns = [str(c).replace("\ufeff", "").strip() for c in frame.columns]
    if len(frame) == 0:
        names = ", ".join(map(repr, frame.columns[:20]))
        raise InputFileError(
            f"{path}: the file has no rows, only a header ({names}); expected at least one row "
            "under the header. Export the table again with its rows, or remove the file if the "
            "step is not needed.")
    return frame


# --- text files ------------------------------------------------------------------------------

def _table_of(path: Path) -> str:
    """The table a file is for, as the plan file's [data.per_table.<table>] spells it."""
    from revops.contracts import TABLES  # at call time: contracts is heavier than this module

    stem = path.name.split(".")[0]
    return stem if stem in TABLES else "<table>"


def _encoding_hint(path: Path) -> str:
    return (f"set encoding under [data] in the plan file (every file), or under "
            f"[data.per_table.{_table_of(path)}] (this file only); on the command line, --encoding")


def _opener(path: Path, gzipped: bool) -> Callable[[], IO[bytes]]:
    return (lambda: gzip.open(path, "rb")) if gzipped else (lambda: path.open("rb"))


def _sample(path: Path, opener: Callable[[], IO[bytes]]) -> tuple[bytes, bool]:
    """The first bytes of the (decompressed) file, and whether they are the whole file."""
    try:
        with opener() as handle:
            sample = handle.read(SAMPLE_BYTES)
            whole = len(sample) < SAMPLE_BYTES or not handle.read(1)
    except (OSError, EOFError) as exc:  # gzip.BadGzipFile is an OSError
        raise InputFileError(
            f"{path}: a damaged gzip file ({exc}); expected a CSV file compressed with gzip. "
            "Compress the export again, or give it uncompressed.") from exc
    return sample, whole


def _decodes_whole(opener: Callable[[], IO[bytes]], encoding: str) -> bool:
    """Whether every byte of the file decodes; read in blocks, so memory stays flat."""
    decoder = codecs.getincrementaldecoder(encoding)()
    ascii_safe = codecs.lookup(encoding).name in ("utf-8", "cp1252", "latin-1", "iso8859-1")
    try:
        with opener() as handle:
            for block in iter(lambda: handle.read(_BLOCK), b""):
                # ASCII reads the same in these encodings: decode (and allocate) only the rest,
                # and the block after a character cut in two.
                if not (ascii_safe and block.isascii() and not decoder.getstate()[0]):
                    decoder.decode(block)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _looks_wide(sample: bytes) -> str | None:
    """The encoding a file without a byte-order mark seems to be in, when it is UTF-16 or
    UTF-32 (text in them holds a NUL byte beside each Latin letter), else None."""
    nul = sample.count(0)
    if nul == 0 or nul < len(sample) / 4:
        return None
    width = "32" if nul > len(sample) * 0.6 else "16"
    order = "be" if sample[0] == 0 else "le"
    return f"utf-{width}-{order}"


def _choose_encoding(path: Path, sample: bytes, whole: bool, opener: Callable[[], IO[bytes]],
                     encoding: str | None) -> tuple[str, str]:
    """(encoding, how it was chosen: "set", "mark" or "detected")."""
    for mark, name in BYTE_ORDER_MARKS:
        if sample.startswith(mark):
            return name, "mark"
    if encoding is not None:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise InputFileError(
                f"{path}: unknown encoding {encoding!r} set for the file; expected a name such as "
                f"utf-8, cp1252, utf-16 or latin-1. Hint: {_encoding_hint(path)}.") from None
        return encoding, "set"
    wide = _looks_wide(sample)
    if wide is not None:
        raise InputFileError(
            f"{path}: looks like {wide.upper()[:6]} text without a byte-order mark (many NUL bytes); "
            f"expected UTF-8, cp1252, or a Unicode file with a byte-order mark. Hint: "
            f"{_encoding_hint(path)}, e.g. encoding = \"{wide}\".")
    for name in ENCODINGS:
        decoder = codecs.getincrementaldecoder(name)()
        try:
            # A sample may end inside a character: not final unless it is the whole file.
            decoder.decode(sample, final=whole)
        except UnicodeDecodeError:
            continue
        # The sample decodes; so must the rest, or the whole file is read the next way
        # (as a whole-file decode would have decided).
        if whole or name == ENCODINGS[-1] or _decodes_whole(opener, name):
            return name, "detected"
    raise AssertionError("latin-1 decodes every byte")  # pragma: no cover


def _sample_text(sample: bytes, whole: bool, encoding: str) -> str:
    text = codecs.getincrementaldecoder(encoding)(errors="replace").decode(sample, final=whole)
    if not whole and "\n" in text:
        text = text[: text.rindex("\n")]  # the last line may be cut short
    return text.lstrip("\ufeff")


class TextFormat(NamedTuple):
    """How a text export is written, as :func:`text_format` decides it."""

    encoding: str
    how: str          # how the encoding was chosen: "set", "mark" (byte-order mark) or "detected"
    delimiter: str
    gzipped: bool

    def options(self) -> dict[str, object]:
        """``pandas.read_csv`` options for the file."""
        return dict(sep=self.delimiter, encoding=self.encoding,
                    compression="gzip" if self.gzipped else None)


def text_format(path: str | os.PathLike[str], *, encoding: str | None = None,
                delimiter: str | None = None) -> TextFormat:
    """The encoding, delimiter and compression of a text export, decided as :func:`read_table`
    decides them (``encoding``/``delimiter``: the user's settings, None to detect). The
    streaming reader (``revops.streaming``) reads a file in chunks with the same decisions."""
    path = Path(path)
    with path.open("rb") as handle:
        gzipped = handle.read(2) == _GZIP_MAGIC
    opener = _opener(path, gzipped)
    sample, whole = _sample(path, opener)
    chosen, how = _choose_encoding(path, sample, whole, opener, encoding)
    text = _sample_text(sample, whole, chosen)
    if not text.strip():
        raise InputFileError(
            f"{path}: the file is empty. Expected a header line and at least one row; "
            "export the table again."
        )
    suffixes = [s.lower() for s in path.suffixes[-2:]]
    inner = suffixes[-2] if suffixes[-1:] == [".gz"] and len(suffixes) == 2 else (
        suffixes[-1] if suffixes else "")
    delimiter = delimiter or ("\t" if inner == ".tsv" else None) or sniff_delimiter(text)
    return TextFormat(chosen, how, delimiter, gzipped)


def _read_text(path: Path, *, encoding: str | None, delimiter: str | None) -> pd.DataFrame:
    found = text_format(path, encoding=encoding, delimiter=delimiter)
    try:
        return read_csv_text(path, **found.options())
    except UnicodeDecodeError:
        chosen = found.encoding
        said = {"set": "as set", "mark": "as its byte-order mark says",
                "detected": "as detected"}[found.how]
        raise InputFileError(
            f"{path}: cannot be read as {chosen} ({said}): some bytes are not {chosen} text. "
            f"Expected the file's own encoding. Hint: {_encoding_hint(path)}"
            + (", or remove the setting to let revops detect it." if found.how == "set" else ".")
        ) from None
    except pd.errors.ParserError as exc:
        raise InputFileError(
            f"{path}: cannot be parsed as CSV with delimiter {found.delimiter!r} ({exc}). "
            "Check for unquoted delimiters inside values, or set delimiter under "
            f"[data.per_table.{_table_of(path)}] in the plan file."
        ) from exc
    except pd.errors.EmptyDataError as exc:
        raise InputFileError(f"{path}: the file is empty.") from exc


def read_csv_text(path: str | os.PathLike[str], **options: object) -> pd.DataFrame:
    """``pandas.read_csv(path, low_memory=False, ...)``'s values at ``low_memory=True``'s cost.

    pandas reads the file in blocks and infers each block's types apart: a column of numbers
    in the first blocks and text further down comes out mixed (``123`` beside ``"A-7"``;
    ``"0123"`` turned into 123). Those columns, and the float ones, are read again as text
    (see below); integers and text come out as pandas gives them.
    """
    options.update(keep_default_na=False, na_values=MISSING_MARKERS, skipinitialspace=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", pd.errors.DtypeWarning)  # mended below
        frame = pd.read_csv(path, low_memory=True, **options)
    mixed = [i for i, dtype in enumerate(frame.dtypes) if dtype == object
             and infer_dtype(frame.iloc[:, i], skipna=True) not in ("string", "boolean", "empty")]
    # Columns pandas made floats are handed over as their text too: "6.000" is six thousand in
    # a European file and pandas' 6.0 has lost that. The data contracts read the text, deciding
    # the decimal separator for the whole column (parsing.numbers), so nothing is guessed here.
    floats = [i for i, dtype in enumerate(frame.dtypes) if pd.api.types.is_float_dtype(dtype)]
    mixed = sorted(mixed + floats)
    if not mixed:
        return frame
    if not isinstance(frame.index, pd.RangeIndex):
        # The header is a field short and pandas made the first column the index: column
        # positions are not the file's; read the whole file at once instead.
        del frame
        return pd.read_csv(path, low_memory=False, **options)
    text = pd.read_csv(path, usecols=mixed, dtype=str, low_memory=True, **options)
    for j, i in enumerate(mixed):
        frame.isetitem(i, text.iloc[:, j].to_numpy(dtype=object))
    return frame


# --- Parquet and workbooks ---------------------------------------------------------------------

def _read_parquet(path: Path) -> pd.DataFrame:
    try:
        return pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises several types for a bad file
        raise InputFileError(f"{path}: not a readable Parquet file ({exc}).") from exc


def _is_workbook(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as archive:
            return "xl/workbook.xml" in archive.namelist()
    except zipfile.BadZipFile:
        return False


def _read_workbook(path: Path, sheet: str | None) -> pd.DataFrame:
    from python_calamine import CalamineError, SheetTypeEnum, SheetVisibleEnum

    hint = f"[data.per_table.{_table_of(path)}] sheet = \"...\" in the plan file"
    try:
        workbook = pd.ExcelFile(path, engine="calamine")
    except (CalamineError, OSError, ValueError) as exc:
        raise InputFileError(
            f"{path}: not a readable Excel workbook ({type(exc).__name__}); expected an .xlsx "
            "or .xlsm file as Excel saves it. Save it again from Excel, or export the table as CSV."
        ) from exc
    with workbook:
        names = workbook.sheet_names
        listed = ", ".join(map(repr, names))
        if sheet is None:
            sheets = [m.name for m in workbook.book.sheets_metadata
                      if m.visible == SheetVisibleEnum.Visible and m.typ == SheetTypeEnum.WorkSheet]
            if not sheets:
                raise InputFileError(f"{path}: the workbook has no visible worksheet (sheets: {listed}); "
                                     f"name the sheet to read with {hint}.")
            name = sheets[0]
        else:
            loose = [n for n in names if n.strip().casefold() == sheet.strip().casefold()]
            name = sheet if sheet in names else loose[0] if len(loose) == 1 else None
            if name is None:
                raise InputFileError(
                    f"{path}: no sheet named {sheet!r}; the workbook's sheets are {listed}. "
                    f"Set {hint} to one of them.")
        try:
            frame = pd.read_excel(workbook, sheet_name=name, keep_default_na=False,
                                  na_values=MISSING_MARKERS)
        except pd.errors.EmptyDataError:
            frame = pd.DataFrame()
    if frame.columns.empty:
        raise InputFileError(
            f"{path}: sheet {name!r} is empty. Expected a header row and at least one row; "
            f"export the table again, or set {hint} to the sheet that holds it (sheets: {listed}).")
    return _like_csv(frame)


def _like_csv(frame: pd.DataFrame) -> pd.DataFrame:
    """Excel's typed cells as the contracts see a CSV's: a column of dates stays dates; a date
    or time among text becomes its ISO text (which no day/month order misreads); numbers keep
    Excel's 15 significant digits."""
    out = {}
    for name in frame.columns:
        column = frame[name]
        if pd.api.types.is_float_dtype(column.dtype):
            column = pd.Series(_excel_precision(column.to_numpy()), index=column.index, name=name)
        elif column.dtype == object:
            column = _object_cells(column)
        out[name] = column
    return pd.DataFrame(out, index=frame.index, columns=frame.columns)


def _object_cells(column: pd.Series) -> pd.Series:
    present = column.dropna()
    if present.empty:
        return column
    is_date = present.map(lambda v: isinstance(v, (dt.date, np.datetime64)))
    if bool(is_date.all()):
        return pd.to_datetime(column)
    if not bool(is_date.any()) and not present.map(lambda v: isinstance(v, (dt.time, float))).any():
        return column
    return column.map(_cell_text, na_action="ignore")


def _cell_text(value: object) -> object:
    if isinstance(value, (dt.date, np.datetime64)):
        stamp = pd.Timestamp(value)
        return stamp.strftime("%Y-%m-%d") if stamp == stamp.normalize() else stamp.isoformat(sep=" ")
    if isinstance(value, dt.time):
        return value.isoformat()
    if isinstance(value, float):
        return float(_excel_precision(np.array([value]))[0])
    return value


def _excel_precision(values: np.ndarray) -> np.ndarray:
    values = values.astype(np.float64, copy=True)
    fraction = np.isfinite(values) & (values != np.round(values))
    if fraction.any():
        values[fraction] = [float(f"{v:.{_EXCEL_DIGITS}g}") for v in values[fraction]]
    return values
