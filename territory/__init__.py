"""territory: balanced, least-disruptive account assignment and quotas (a PuLP / HiGHS MILP).

    from territory import TerritoryConfig, plan_territories
    plan = plan_territories(accounts, reps, targets=targets, balance_tolerance=0.10,
                            progress=print)
    plan.assignments, plan.rep_summary, plan.summary.moved_share, plan.summary.to_dict()

Never imports ``revops``; files and MLflow live in the CLI (``revops territory solve``).
Names are imported on first use: ``revops territory solve --help`` and the plan file read
:class:`TerritoryConfig` alone and must not pay for PuLP and highspy.
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_LAZY = {
    "TerritoryConfig": "territory.config",
    "TerritoryInfeasibleError": "territory.errors",
    "TerritoryInputError": "territory.errors",
    "TerritoryTimeLimitError": "territory.errors",
    "TerritoryPlan": "territory.plan",
    "plan_territories": "territory.plan",
    "TerritorySummary": "territory.summary",
}

__all__ = ["TerritoryConfig", "TerritoryInfeasibleError", "TerritoryInputError", "TerritoryPlan",
           "TerritorySummary", "TerritoryTimeLimitError", "plan_territories"]

if TYPE_CHECKING:  # what type checkers and IDEs see; at run time __getattr__ loads these
    from territory.config import TerritoryConfig
    from territory.errors import TerritoryInfeasibleError, TerritoryInputError, TerritoryTimeLimitError
    from territory.plan import TerritoryPlan, plan_territories
    from territory.summary import TerritorySummary


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value  # later look-ups skip this function
        return value
    # AttributeError (not ImportError) lets `from territory import what_if` import the submodule
    raise AttributeError(f"module 'territory' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
