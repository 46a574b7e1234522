"""territory: balanced, least-disruptive account assignment and quotas (a PuLP / HiGHS MILP).

    from territory import TerritoryConfig, plan_territories
    plan = plan_territories(accounts, reps, targets=targets, balance_tolerance=0.10,
                            progress=print)
    plan.assignments, plan.rep_summary, plan.summary.moved_share, plan.summary.to_dict()

Never imports ``revops``; files and MLflow live in the CLI (``revops territory solve``).
"""
from territory.config import TerritoryConfig
from territory.errors import TerritoryInfeasibleError, TerritoryInputError, TerritoryTimeLimitError
from territory.plan import TerritoryPlan, plan_territories
from territory.summary import TerritorySummary

__all__ = ["TerritoryConfig", "TerritoryInfeasibleError", "TerritoryInputError", "TerritoryPlan",
           "TerritorySummary", "TerritoryTimeLimitError", "plan_territories"]
