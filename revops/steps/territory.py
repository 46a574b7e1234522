"""Plan step: balanced territories with the least disruption, and quotas that add up."""
from __future__ import annotations

import dataclasses

from revops.artifacts.territory import log_plan, summary_record, write_plan
from revops.potential import fill_potential
from revops.report import Section
from revops.steps import Step, StepContext, StepOutcome

TITLE = "Territory and quota plan"


def run(ctx: StepContext) -> StepOutcome:
    from territory import plan_territories

    bundle = ctx.bundle
    notes: list[str] = []
    accounts = bundle.get("accounts")
    if "potential" not in accounts.columns or accounts["potential"].isna().any():
        run_rate = ctx.state.annual_run_rate if ctx.state.annual_run_rate is not None else {}
        accounts, note = fill_potential(accounts, bundle.tables.get("opportunities"), run_rate)
        if note:
            notes.append(note)
    # The plan sets quotas for the quarter it plans, unless the plan file names another period.
    config = ctx.config.territory
    if config.quota_period is None:
        config = dataclasses.replace(config, quota_period=str(ctx.plan_period))
    plan = plan_territories(accounts, bundle.get("reps"), costs=bundle.tables.get("costs"),
                            targets=bundle.tables.get("targets"), config=config,
                            progress=ctx.progress.info)
    write_plan(plan, ctx.out_dir)
    log_plan(plan)
    ctx.state.territory = plan
    notes += plan.notes
    s = plan.summary
    section = Section(TITLE, anchor="territory")
    section.paragraphs.append(
        f"Status {s.status}: {s.accounts_moved} account(s) moved "
        f"({100 * float(s.moved_share):.1f}% of potential); worst deviation from a fair share "
        f"{float(s.worst_deviation_pct):.1f}% after vs {float(s.worst_deviation_before_pct):.1f}% "
        f"before; certified optimality gap {100 * float(s.certified_gap):.2f}% ({s.solver})."
    )
    section.paragraphs += [f"Note: {n}" for n in notes]
    section.tables.append(("Reps: territory, fair share, deviation and quota", plan.rep_summary))
    section.tables.append(("Pools", plan.pool_summary.drop(columns=["seconds"], errors="ignore")))
    for name, caption in (("balance_potential", "Potential per rep vs fair share, before and after"),
                          ("balance_workload", "Workload per rep vs fair share, before and after"),
                          ("moves", "Accounts moved in and out per rep")):
        path = ctx.out_dir / f"{name}.png"
        if path.exists():
            section.figures.append((caption, path.read_bytes()))
    record = summary_record(plan)
    summary = {k: v for k, v in record.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}
    summary["solver_status"] = s.status
    return StepOutcome(summary=summary, section=section, notes=notes)


STEP = Step("territory", TITLE, ("accounts", "reps"), run)
