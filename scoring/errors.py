"""Errors a user can fix; the CLI prints the message and exits with status 2."""
from __future__ import annotations

from typing import Sequence


class ScoringInputError(ValueError):
    """The lead table, the label or an option does not fit what the scorer needs."""


def first_rows(positions: Sequence[int], limit: int = 5) -> str:
    """'rows 3, 7, 9 (3 rows)' with 1-based data row numbers (the header is not counted)."""
    shown = ", ".join(str(int(p) + 1) for p in list(positions)[:limit])
    more = ", ..." if len(positions) > limit else ""
    return f"rows {shown}{more} ({len(positions)} row{'s' if len(positions) != 1 else ''})"
