"""One shape for every problem found in an input: where (file or table, column, rows), what
was expected, what was found, and how to fix it."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import pandas as pd

from parsing.rows import ROW_NOTE, positions_of, rows_text

MAX_VALUES_SHOWN = 3


@dataclass(frozen=True)
class InputProblem:
    """One problem of one column (or of the whole table when ``column`` is None).

    ``issue`` says what is wrong with the rows, e.g. ``"value(s) are not numbers"``; ``rows``
    are 0-based positions, shown as spreadsheet rows.
    """

    column: str | None
    issue: str
    expected: str = ""
    found: str = ""
    rows: tuple[int, ...] = ()
    hint: str = ""
    source: str | None = None

    def message(self, *, with_source: bool = False) -> str:
        head = f"column '{self.column}': " if self.column is not None else ""
        if self.rows:
            text = f"{head}{len(self.rows)} {self.issue} ({rows_text(self.rows)})"
        else:
            text = f"{head}{self.issue}"
        if self.found:
            text += f": found {self.found}"
        text += "."
        if self.expected:
            text += f" Expected {self.expected}."
        if self.hint:
            text += f" Hint: {self.hint}"
        if with_source and self.source:
            text = f"{self.source}: {text}"
        return text

    def __str__(self) -> str:
        return self.message()


def found_values(values: pd.Series | Sequence[Any], where: np.ndarray | Sequence[int],
                 limit: int = MAX_VALUES_SHOWN) -> str:
    """The first distinct values at ``where`` (a mask or positions), quoted: ``'abc', '-5'``."""
    array = np.asarray(values.to_numpy() if isinstance(values, pd.Series) else list(values), dtype=object)
    picked = array[positions_of(where)]
    shown: list[str] = []
    for value in picked:
        text = str(value)[:40]
        if text not in shown:
            shown.append(text)
        if len(shown) == limit:
            break
    return ", ".join(repr(text) for text in shown)


class InputError(ValueError):
    """Problems of one input; the message lists every one of them.

    ``problems`` holds each problem's text, ``details`` the :class:`InputProblem` objects (for a
    problem given as text, None)."""

    def __init__(self, source: str, problems: Sequence[InputProblem | str]):
        self.source = source
        self.details = [p if isinstance(p, InputProblem) else None for p in problems]
        self.problems = [str(p) for p in problems]
        plural = "s" if len(self.problems) != 1 else ""
        lines = [f"{source}: {len(self.problems)} problem{plural} found ({ROW_NOTE})"]
        lines += [f"  - {p}" for p in self.problems]
        super().__init__("\n".join(lines))
