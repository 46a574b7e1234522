"""Plan step: balanced territories with the least disruption, and quotas that add up."""
from __future__ import annotations

from territory import TerritoryConfig, plan_territories

from revops.commands.territory import write_plan
from revops.potential import fill_potential
from revops.report import Section
from revops.steps import StepContext, StepOutcome

TITLE = "Territory and quota plan"
REQUIRES = ("accounts", "reps")


def run(ctx: StepContext) -> StepOutcome:
    bundle, cfg = ctx.bundle, ctx.config.territory
    notes: list[str] = []
    accounts = bundle.get("accounts")
    if "potential" not in accounts.columns or accounts["potential"].isna().any():
        forecast = ctx.results.get("forecast")
        run_rate = forecast.data["annual_run_rate"] if forecast and "annual_run_rate" in forecast.data else {}
        accounts, note = fill_potential(accounts, bundle.tables.get("opportunities"), run_rate)
        if note:
            notes.append(note)
    targets = bundle.tables.get("targets")
    config = TerritoryConfig(
        balance_tolerance=cfg.balance_tolerance, objective=cfg.objective,
        max_moved_share=None if cfg.max_moved_share < 0 else cfg.max_moved_share,
        over_assignment=cfg.over_assignment, solver=cfg.solver, time_limit=cfg.time_limit,
        mip_gap=cfg.mip_gap,
        best_effort=cfg.best_effort, quota_period=str(ctx.plan_period),
    )
    plan = plan_territories(accounts, bundle.get("reps"), costs=bundle.tables.get("costs"),
                            targets=targets, config=config)
    # Solve times differ run to run: inside the plan they go to MLflow, not into the files, so the
    # same inputs and seed give byte-identical plans.
    timings = {k: plan.summary.pop(k) for k in ("solve_seconds", "total_seconds") if k in plan.summary}
    write_plan(plan, ctx.out_dir)
    import mlflow

    mlflow.log_metrics({f"territory_{k}": float(v) for k, v in timings.items()})
    notes += plan.notes
    s = plan.summary
    section = Section(TITLE, anchor="territory")
    section.paragraphs.append(
        f"Status {s['status']}: {s.get('accounts_moved', 0)} account(s) moved "
        f"({100 * float(s.get('moved_share', 0)):.1f}% of potential); worst deviation from a fair share "
        f"{float(s.get('worst_deviation_pct', 0)):.1f}% after vs {float(s.get('worst_deviation_before_pct', 0)):.1f}% "
        f"before; certified optimality gap {100 * float(s.get('certified_gap', 0)):.2f}% ({s.get('solver')})."
    )
    section.paragraphs += [f"Note: {n}" for n in notes]
    section.tables.append(("Reps: territory, fair share, deviation and quota", plan.rep_summary))
    section.tables.append(("Pools", plan.pool_summary.drop(columns=["seconds"], errors="ignore")))
    for name, caption in (("balance_potential.png", "Potential per rep vs fair share, before and after"),
                          ("balance_workload.png", "Workload per rep vs fair share, before and after"),
                          ("moves.png", "Accounts moved in and out per rep")):
        path = ctx.out_dir / name
        if path.exists():
            section.figures.append((caption, path.read_bytes()))
    numeric = {k: v for k, v in s.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}
    numeric["solver_status"] = s["status"]
    return StepOutcome(summary=numeric, section=section, notes=notes,
                       data={"assignments": plan.assignments, "rep_summary": plan.rep_summary})
