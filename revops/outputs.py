"""Output folders: written all at once, and never at the cost of a user's files.

An ``--out`` folder is built in a temporary folder beside it and moved into place only when the
whole job succeeded, so a failed job leaves no half-written output. Before any work starts,
:func:`check_output_dir` refuses a target whose replacement would destroy something that is not
ours: the data folder, the working directory, a parent of either, the MLflow store, a file, or a
folder with files that no revops command wrote (recognised by the marker file ``.revops-output``;
``force=True`` allows that last case only).
"""
from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any, Iterable, Iterator

import numpy as np
import pandas as pd

from revops.errors import ConfigError

MARKER = ".revops-output"
# `.<name>.partial-<pid>-<random>` and `.<name>.old-<pid>`: the pid says whether the run that
# left it is still alive (a killed run's leftovers are removed by the next run).
_LEFTOVER = re.compile(r"^\.(?P<name>.+)\.(?:partial|old)-(?P<pid>\d+)(?:-\w+)?$")


def local_store_dir() -> Path | None:
    """The folder of the local MLflow store (SQLite database and artifacts), if one is used."""
    from revops.mlflow_setup import resolve_tracking_uri

    uri = resolve_tracking_uri()
    if uri.startswith("sqlite:///"):
        return Path(uri.removeprefix("sqlite:///")).expanduser().resolve().parent
    if uri.startswith("file:"):
        return Path(uri.removeprefix("file://").removeprefix("file:")).expanduser().resolve()
    return None


def _inside(child: Path, parent: Path) -> bool:
    """True when ``child`` is ``parent`` or below it (both resolved)."""
    return child == parent or parent in child.parents


def check_output_dir(
    out: str | os.PathLike[str],
    *,
    inputs: Iterable[str | os.PathLike[str] | None] = (),
    force: bool = False,
    option: str = "--out",
) -> Path:
    """Refuse (``ConfigError``, exit 2) an output folder whose replacement could destroy data.

    ``inputs`` are the files and folders the job reads. Returns the resolved target.
    """
    target = Path(out).expanduser().resolve()
    protected: list[tuple[Path, str]] = [(Path.cwd().resolve(), "the working directory")]
    for item in inputs:
        if item:
            path = Path(item).expanduser().resolve()
            protected.append((path if path.is_dir() else path.parent, f"the input {path}"))
    store = local_store_dir()
    if store is not None:
        protected.append((store, "the MLflow store"))
    for path, what in protected:
        if _inside(path, target):
            relation = "is" if path == target else "contains"
            raise ConfigError(
                f"{option} {out}: this folder {relation} {what}, and an output folder is replaced "
                f"as a whole. Choose a new folder for the output, e.g. {option} "
                f"{Path(out) / 'revops-output' if path != target else Path(out).parent / 'revops-output'}."
            )
    if target.exists() and not target.is_dir():
        raise ConfigError(f"{option} {out}: a file of that name is in the way; an output is a folder. "
                          "Move the file or choose another name.")
    if target.is_dir() and not (target / MARKER).exists() and any(target.iterdir()):
        if not force:
            shown = ", ".join(sorted(p.name for p in list(target.iterdir())[:5]))
            raise ConfigError(
                f"{option} {out}: the folder exists and holds files no revops command wrote "
                f"({shown}...). An output folder is replaced as a whole; choose an empty or new "
                "folder, or pass --force to replace it."
            )
    return target


def clean_leftovers(parent: Path) -> list[Path]:
    """Remove partial and old output folders left in ``parent`` by runs that died."""
    removed = []
    if not parent.is_dir():
        return removed
    for entry in parent.iterdir():
        match = _LEFTOVER.match(entry.name)
        if not match or not entry.is_dir() or _alive(int(match["pid"])):
            continue
        shutil.rmtree(entry, ignore_errors=True)
        removed.append(entry)
    return removed


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    return True


@contextlib.contextmanager
def atomic_output_dir(
    out: str | os.PathLike[str],
    *,
    inputs: Iterable[str | os.PathLike[str] | None] = (),
    force: bool = False,
) -> Iterator[Path]:
    """Yield a temporary folder beside ``out``; move it to ``out`` only if the block succeeds.

    The target is checked first (:func:`check_output_dir`); the temporary folder lives in the
    same parent so the final rename is atomic on one file system, and it carries the marker that
    lets the next run replace it.
    """
    out = check_output_dir(out, inputs=inputs, force=force)
    out.parent.mkdir(parents=True, exist_ok=True)
    clean_leftovers(out.parent)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-{os.getpid()}-", dir=out.parent))
    try:
        yield tmp
        (tmp / MARKER).write_text("written by revops; this folder is replaced by the next run\n",
                                  encoding="utf-8")
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    old = None
    if out.exists():
        old = out.parent / f".{out.name}.old-{os.getpid()}"
        os.replace(out, old)
    os.replace(tmp, out)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _json_default(value: Any) -> Any:
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return None if not np.isfinite(value) else float(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (pd.Timestamp,)):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def json_safe(value: Any) -> Any:
    """Replace NaN and infinities by None, recursively: JSON has no such numbers."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def to_json(data: Any) -> str:
    """Sorted, indented JSON (stable bytes for the same content); NaN becomes null."""
    return json.dumps(json_safe(data), indent=2, sort_keys=True, default=_json_default, allow_nan=False)


def write_json(path: str | os.PathLike[str], data: Any) -> Path:
    """Write ``data`` as JSON. Values are kept as they are (no spreadsheet neutralising)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(to_json(data) + "\n", encoding="utf-8")
    return path


# OWASP's rule for CSV injection: a cell a spreadsheet would read as a formula or a command
# starts with one of these; a leading apostrophe makes it text.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def spreadsheet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy whose text cells cannot run as formulas when the CSV is opened in Excel.

    Numbers stay numbers (a negative amount is a float column, not text). Column names are
    neutralised too: a column named after a CRM field could start with '='.
    """
    text_columns = [c for c in frame.columns
                    if frame[c].dtype == object or isinstance(frame[c].dtype, pd.StringDtype)
                    or isinstance(frame[c].dtype, pd.CategoricalDtype)]
    renamed = {c: neutralise_cell(c) for c in frame.columns if neutralise_cell(c) != c}
    if not text_columns and not renamed:
        return frame
    safe = frame.copy()
    for column in text_columns:
        values = safe[column]
        if isinstance(values.dtype, pd.CategoricalDtype):
            values = values.astype(object)
        safe[column] = values.map(neutralise_cell)
    return safe.rename(columns=renamed)


def write_csv(path: str | os.PathLike[str], frame: pd.DataFrame) -> Path:
    """Write a CSV with fixed float formatting (identical inputs give identical bytes), its text
    cells neutralised for spreadsheets (:func:`spreadsheet_safe`)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    spreadsheet_safe(frame).to_csv(path, index=False, float_format="%.6f", lineterminator="\n")
    return path
