"""The funnel's user-facing error: what is wrong, where, what was expected, and how to fix it."""
from __future__ import annotations

from typing import Iterable, Sequence

MAX_ROWS_SHOWN = 5


class FunnelInputError(ValueError):
    """The funnel cannot be worked out from these inputs; the message says why and what to do."""


def describe_rows(positions: Sequence[int] | Iterable[int]) -> str:
    """``rows 2, 5, 9 and 3 more`` with spreadsheet numbering (the header is row 1)."""
    positions = list(positions)
    shown = ", ".join(str(int(p) + 2) for p in positions[:MAX_ROWS_SHOWN])
    more = len(positions) - MAX_ROWS_SHOWN
    return f"rows {shown}" + (f" and {more} more" if more > 0 else "") + f" ({len(positions)} in all)"


def input_error(
    table: str,
    column: str | None,
    problem: str,
    expected: str,
    got: str,
    hint: str,
    rows: Sequence[int] | None = None,
) -> FunnelInputError:
    """Build a :class:`FunnelInputError` whose message has one fixed shape."""
    where = table + (f", column '{column}'" if column else "")
    if rows is not None and len(rows):
        where += f", {describe_rows(rows)}"
    return FunnelInputError(f"{where}: {problem}. Expected {expected}; got {got}. Hint: {hint}")
