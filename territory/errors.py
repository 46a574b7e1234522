"""Errors a user can fix: bad territory input, and plans that cannot exist (explained)."""
from __future__ import annotations

from typing import Sequence


class TerritoryInputError(ValueError):
    """The accounts, reps, costs or targets table (or an option) is wrong; the message says how."""


class TerritoryInfeasibleError(TerritoryInputError):
    """No plan satisfies every rule; ``reasons`` lists why, one sentence per pool and bound."""

    def __init__(self, reasons: Sequence[str], hint: str = "") -> None:
        self.reasons = list(reasons)
        lines = ["no territory plan satisfies every rule:"]
        lines += [f"  - {reason}" for reason in self.reasons]
        if hint:
            lines.append(f"hint: {hint}")
        super().__init__("\n".join(lines))


class TerritoryTimeLimitError(TerritoryInputError):
    """The time limit ran out before some pool had any plan; ``pools`` names them."""

    def __init__(self, message: str, pools: Sequence[str] = ()) -> None:
        self.pools = list(pools)
        super().__init__(message)
