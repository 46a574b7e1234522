"""Plan step: balanced territories with the least disruption, and quotas that add up."""
from __future__ import annotations

import dataclasses

from revops.artifacts.territory import log_plan, summary_record, write_plan
from revops.potential import fill_potential
from revops.report import Section, Table
from revops.steps import Step, StepContext, StepOutcome

TITLE = "Territory and quota plan"
# The reps table's first columns: who, where, the quota, and how fair the territory is.
REP_COLUMNS = ("rep_id", "pool", "quota", "potential", "fair_potential", "potential_deviation_pct",
               "accounts", "moved_in", "moved_out", "capacity", "ramp")


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
        f"{s.accounts_moved:,} of {s.accounts:,} accounts change owner "
        f"({100 * float(s.moved_share):.1f}% of potential), so that every rep's territory is within "
        f"{float(s.worst_deviation_pct):.1f}% of a fair share of its pool (the worst was "
        f"{float(s.worst_deviation_before_pct):,.0f}% before). Quotas add up to the target plus the "
        f"over-assignment, in proportion to territory potential and ramp. Solver status {s.status}, "
        f"certified optimality gap {100 * float(s.certified_gap):.2f}% ({s.solver})."
    )
    section.paragraphs += [f"Note: {n}" for n in notes]
    reps = plan.rep_summary
    first = [c for c in REP_COLUMNS if c in reps.columns]
    section.tables.append(Table(
        reps[first + [c for c in reps.columns if c not in first and c not in ("segment", "region")]],
        "Reps: quota, territory and balance (scroll sideways for before/after and workload)",
        key=("rep_id",), max_rows=max(60, len(reps)) if len(reps) <= 200 else 60,
        # potential is in the accounts table's own unit (revenue, bookings, employees): no currency
        kinds={"potential": "number", "fair_potential": "number", "potential_before": "number",
               "quota_per_potential": "number", "ramp": "share", "capacity": "number",
               "workload": "number", "fair_workload": "number", "workload_before": "number",
               "accounts": "count", "moved_in": "count", "moved_out": "count"}))
    pools = plan.pool_summary.drop(columns=["seconds", "objective", "bound"], errors="ignore")
    section.tables.append(Table(pools, "Pools: the solve per segment and region", key=("pool",),
                                kinds={"gap": "share", "accounts": "count", "reps": "count",
                                       "pairs": "count"},
                                labels={"gap": "Optimality gap"}))
    for name, caption in (("balance_potential", "Potential per rep vs its fair share, before and after (rep ids, grouped by pool)"),
                          ("balance_workload", "Workload per rep vs its fair share, before and after (rep ids, grouped by pool)"),
                          ("moves", "Accounts moved in and out per rep (rep ids, grouped by pool)")):
        path = ctx.out_dir / f"{name}.png"
        if path.exists():
            section.figures.append((caption, path.read_bytes()))
    record = summary_record(plan)
    summary = {k: v for k, v in record.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}
    summary["solver_status"] = s.status
    return StepOutcome(summary=summary, section=section, notes=notes)


STEP = Step("territory", TITLE, ("accounts", "reps"), run)
