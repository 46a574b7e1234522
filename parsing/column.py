"""What a whole-column reading says about itself, for numbers and dates alike.

A column is read one way (a decimal separator, a day/month order). Some values read only one
of two ways and so *tell* it; others read both ways and are *ambiguous*. These properties are
the same for :class:`parsing.numbers.NumberReading` and :class:`parsing.dates.DateReading`,
which name their two ways in ``WAYS`` and keep the rows that tell each in ``told_rows()``.
"""
from __future__ import annotations

from typing import ClassVar

import numpy as np


class ColumnReading:
    """Mixin of the readings: needs ``missing``, ``bad``, ``ambiguous``, ``decided_by``."""

    WAYS: ClassVar[tuple[str, str]]
    missing: np.ndarray
    bad: np.ndarray
    ambiguous: np.ndarray
    decided_by: str | None

    def told_rows(self) -> tuple[np.ndarray, np.ndarray]:
        """Rows that read only the first way, rows that read only the second way."""
        raise NotImplementedError

    @property
    def told(self) -> str | None:
        """The way the column's own values tell, when they tell one (and only one)."""
        first, second = (bool(rows.any()) for rows in self.told_rows())
        if first == second:
            return None
        return self.WAYS[0] if first else self.WAYS[1]

    @property
    def mixed(self) -> bool:
        """Some values read only the first way, others only the second."""
        first, second = self.told_rows()
        return bool(first.any() and second.any())

    @property
    def undecided(self) -> bool:
        """Values read differently the two ways, and nothing decided which."""
        return self.decided_by == "default" and bool(self.ambiguous.any())

    @property
    def share(self) -> float:
        """Share of the present rows that read (1.0 for a column with none)."""
        present = int((~self.missing).sum())
        return 1.0 if present == 0 else 1.0 - int(self.bad.sum()) / present
