"""The knobs of a territory plan, checked once (sklearn-style: constraints as data)."""
from __future__ import annotations

from dataclasses import dataclass

from territory.errors import TerritoryInputError

OBJECTIVES = ("disruption", "travel", "mix")
SOLVERS = ("highs", "cbc")
ENGINES = ("auto", "pulp", "highspy")

# From this many eligible pairs in a block, "auto" hands arrays straight to highspy (with the
# LP-rounded warm start): PuLP's per-column Python work costs about a minute per million
# variables, and without a start HiGHS spends seconds per pool in root cuts before its first
# good plan. Smaller blocks use the PuLP model itself.
FAST_PATH_MIN_PAIRS = 5_000


@dataclass(frozen=True)
class TerritoryConfig:
    """Everything that shapes a plan apart from the data.

    ``balance_tolerance``: each rep's potential and workload stay within +/- this share of the
    rep's fair share. ``max_moved_share``: optional cap on the potential moved off current
    owners, as a share of total potential. ``mip_gap``: relative gap at which the solver stops.
    ``engine``: "pulp" (the readable model), "highspy" (arrays, same model) or "auto".
    ``warm_start``: the highspy engine first hands HiGHS a plan rounded from the LP relaxation
    (a hint: same model, same bound; it only finds a good plan sooner).
    """

    balance_tolerance: float = 0.10
    objective: str = "disruption"
    disruption_weight: float = 1.0
    travel_weight: float = 1.0
    max_moved_share: float | None = None
    over_assignment: float = 0.10
    quota_period: str | None = None
    solver: str = "highs"
    engine: str = "auto"
    time_limit: float | None = None
    mip_gap: float = 1e-4
    best_effort: bool = False
    tie_break: bool = True
    warm_start: bool = True
    n_jobs: int = 1

    def __post_init__(self) -> None:
        _check_open_unit("balance_tolerance", self.balance_tolerance)
        _check_choice("objective", self.objective, OBJECTIVES)
        _check_choice("solver", self.solver, SOLVERS)
        _check_choice("engine", self.engine, ENGINES)
        for name in ("disruption_weight", "travel_weight", "over_assignment", "mip_gap"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or value < 0:
                raise TerritoryInputError(
                    f"The '{name}' parameter of TerritoryConfig must be a number >= 0. "
                    f"Got {value!r} instead."
                )
        if self.objective == "mix" and self.disruption_weight + self.travel_weight <= 0:
            raise TerritoryInputError(
                "The 'mix' objective needs disruption_weight + travel_weight > 0. "
                f"Got {self.disruption_weight!r} and {self.travel_weight!r} instead."
            )
        if self.max_moved_share is not None and not 0 <= self.max_moved_share <= 1:
            raise TerritoryInputError(
                "The 'max_moved_share' parameter of TerritoryConfig must be in [0, 1] or None. "
                f"Got {self.max_moved_share!r} instead."
            )
        if self.time_limit is not None and not self.time_limit > 0:
            raise TerritoryInputError(
                "The 'time_limit' parameter of TerritoryConfig must be > 0 seconds or None. "
                f"Got {self.time_limit!r} instead."
            )
        if not isinstance(self.n_jobs, int) or self.n_jobs == 0:
            raise TerritoryInputError(
                f"The 'n_jobs' parameter of TerritoryConfig must be a non-zero int. "
                f"Got {self.n_jobs!r} instead."
            )


def _check_open_unit(name: str, value: object) -> None:
    if not isinstance(value, (int, float)) or not 0 < value < 1:
        raise TerritoryInputError(
            f"The '{name}' parameter of TerritoryConfig must be a number in (0, 1), "
            f"e.g. 0.10 for +/-10%. Got {value!r} instead."
        )


def _check_choice(name: str, value: object, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise TerritoryInputError(
            f"The '{name}' parameter of TerritoryConfig must be a str among "
            f"{{{', '.join(repr(c) for c in choices)}}}. Got {value!r} instead."
        )
