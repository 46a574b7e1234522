"""territory: balanced, least-disruptive account assignment and quotas (a PuLP MILP).

    from territory import plan_territories
    plan = plan_territories(accounts, reps, targets=targets, balance_tolerance=0.10)
    plan.assignments, plan.rep_summary, plan.summary

Never imports ``revops``; files and MLflow live in the CLI (``revops territory solve``).
"""
from territory.config import TerritoryConfig
from territory.errors import TerritoryInfeasibleError, TerritoryInputError
from territory.plan import TerritoryPlan, plan_territories

__all__ = ["TerritoryConfig", "TerritoryInfeasibleError", "TerritoryInputError", "TerritoryPlan",
           "plan_territories"]
