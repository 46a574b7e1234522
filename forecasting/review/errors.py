"""Errors of the review engine: what input is wrong, where, and how to fix it."""
from __future__ import annotations


class ReviewInputError(ValueError):
    """An input of the review breaks what the review needs (the message names table and column)."""


def input_error(table: str, column: str, issue: str, rows=(), hint: str = "") -> ReviewInputError:
    shown = ""
    if len(rows):
        first = [int(r) + 2 for r in list(rows)[:5]]  # spreadsheet rows: header is row 1
        shown = f" (row{'s' if len(rows) > 1 else ''} {', '.join(map(str, first))}" + \
            (f" and {len(rows) - 5} more)" if len(rows) > 5 else ")")
    return ReviewInputError(f"{table}: column '{column}': {issue}{shown}." + (f" Hint: {hint}" if hint else ""))
