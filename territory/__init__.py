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

from typing import TYPE_CHECKING

import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach(__name__, submod_attrs={
    "config": ["TerritoryConfig"],
    "errors": ["TerritoryInfeasibleError", "TerritoryInputError", "TerritoryTimeLimitError"],
    "plan": ["TerritoryPlan", "plan_territories"],
    "summary": ["TerritorySummary"],
})

if TYPE_CHECKING:  # what type checkers and IDEs see; at run time __getattr__ loads these
    from territory.config import TerritoryConfig
    from territory.errors import TerritoryInfeasibleError, TerritoryInputError, TerritoryTimeLimitError
    from territory.plan import TerritoryPlan, plan_territories
    from territory.summary import TerritorySummary
