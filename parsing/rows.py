"""Row numbers as a person sees them in a spreadsheet: the header is row 1, the first data row 2.

Every message of the project that names rows says them through :func:`rows_text`, from 0-based
positions in the table (what numpy and pandas give).
"""
from __future__ import annotations

from typing import Iterable, Sequence

import numpy as np

HEADER_ROWS = 1
ROW_NOTE = "row numbers as in a spreadsheet, the header being row 1"
MAX_ROWS_SHOWN = 5


def positions_of(where: np.ndarray | Sequence[int] | Iterable[int]) -> np.ndarray:
    """0-based positions from a boolean mask or from positions."""
    array = np.asarray(list(where) if not isinstance(where, np.ndarray) else where)
    if array.dtype == bool:
        return np.flatnonzero(array)
    return array.astype(np.int64).ravel()


def spreadsheet_rows(where: np.ndarray | Sequence[int] | Iterable[int]) -> np.ndarray:
    """Spreadsheet row numbers of 0-based positions (or of a mask's true rows)."""
    return positions_of(where) + HEADER_ROWS + 1


def rows_text(where: np.ndarray | Sequence[int] | Iterable[int], *, limit: int = MAX_ROWS_SHOWN,
              count: bool = False) -> str:
    """``row 7``, ``rows 2, 5, 9`` or ``rows 2, 3, 4, 5, 6 and 7 more``; with ``count``, the
    number of rows follows in parentheses (``rows 2, 5 (2 rows)``)."""
    numbers = spreadsheet_rows(where)
    shown = ", ".join(str(int(n)) for n in numbers[:limit])
    more = len(numbers) - limit
    noun = "row" if len(numbers) == 1 else "rows"
    text = f"{noun} {shown}" + (f" and {more} more" if more > 0 else "")
    return text + (f" ({len(numbers)} {noun})" if count else "")
