"""The forecasting package's user-facing error: a ``ValueError`` whose message says what to fix."""
from __future__ import annotations

from typing import Iterable, Sequence


class ForecastInputError(ValueError):
    """Bad forecasting input (history, opportunities, targets or options), explained in the message."""


def rows_text(rows: Sequence[int] | Iterable[int], limit: int = 5) -> str:
    """'rows 3, 7, 9 (3 rows)' from zero-based positions, shown one-based as in a spreadsheet
    with a header line (data row 0 is line 2)."""
    rows = list(rows)
    shown = ", ".join(str(r + 2) for r in rows[:limit])
    more = ", ..." if len(rows) > limit else ""
    noun = "row" if len(rows) == 1 else "rows"
    return f"{noun} {shown}{more} ({len(rows)} {noun})"


def input_error(table: str, column: str, problem: str, rows: Sequence[int] | None = None,
                expected: str | None = None, got: str | None = None,
                hint: str | None = None) -> ForecastInputError:
    """Build a ForecastInputError in the project's message shape."""
    parts = [f"{table}: column '{column}': {problem}"]
    if rows is not None and len(rows):
        parts.append(f"at {rows_text(rows)}")
    if expected:
        parts.append(f"expected {expected}")
    if got:
        parts.append(f"got {got}")
    text = "; ".join(parts) + "."
    if hint:
        text += f" Hint: {hint}"
    return ForecastInputError(text)
