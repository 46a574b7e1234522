"""The revenue engine's user-facing error: the table, the column, the rows, what was expected."""
from __future__ import annotations

from typing import Sequence

MAX_ROWS_SHOWN = 5


class RevenueInputError(ValueError):
    """ARR, renewals or unit economics cannot be computed from these inputs; the message says why."""


def rows_text(positions: Sequence[int]) -> str:
    """``rows 2, 5 and 3 more (5 in all)``, numbered as in a spreadsheet (the header is row 1)."""
    positions = [int(p) for p in positions]
    shown = ", ".join(str(p + 2) for p in positions[:MAX_ROWS_SHOWN])
    more = len(positions) - MAX_ROWS_SHOWN
    return f"rows {shown}" + (f" and {more} more" if more > 0 else "") + f" ({len(positions)} in all)"


def input_error(table: str, column: str | None, problem: str, expected: str,
                rows: Sequence[int] | None = None, hint: str | None = None) -> RevenueInputError:
    where = table + (f", column '{column}'" if column else "")
    if rows is not None and len(rows):
        where += f", {rows_text(rows)}"
    return RevenueInputError(f"{where}: {problem}; expected {expected}." + (f" Hint: {hint}" if hint else ""))
