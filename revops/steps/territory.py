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
    # P(attain) per rep for the plan quarter: the pipeline forecast's simulation per rep.
    outlook, draws = rep_outlook(ctx, plan)
    payouts = None
    if outlook is not None:
        plan.rep_summary = plan.rep_summary.merge(outlook.reps, on="rep_id", how="left")
        notes += outlook.notes + ([f"Warning: {outlook.warning}."] if outlook.warning else [])
        # The [compensation] pay plan on the same simulated attainment (compensation/).
        from revops.steps.compensation import plan_payouts

        payouts = plan_payouts(ctx, draws, plan.rep_summary)
        if payouts is not None:
            notes += payouts[2]
    write_plan(plan, ctx.out_dir, attainment=outlook)
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
    if payouts is not None:
        section.tables.append(payouts[1])
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
    if outlook is not None and outlook.reps_with_quota:
        section.paragraphs.insert(1, (
            f"Attainability: {outlook.share_attaining:.0%} of the {outlook.reps_with_quota} reps "
            f"with a quota are expected at or above it in {ctx.plan_period} (80% interval "
            f"{outlook.share_p10:.0%}-{outlook.share_p90:.0%}; healthy: "
            f"{outlook.healthy_band[0]:.0%}-{outlook.healthy_band[1]:.0%}), from each rep's open "
            "deals on its new territory and its share of new business, simulated with the "
            "forecast (p_attain and bookings_p10/p50/p90 per rep)."))
    record = summary_record(plan)
    summary = {k: v for k, v in record.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}
    summary["solver_status"] = s.status
    if outlook is not None:
        summary.update({k: v for k, v in outlook.summary().items() if isinstance(v, (int, float))})
    if payouts is not None:
        summary.update({f"compensation_{k}": v for k, v in payouts[0].items()})
    return StepOutcome(summary=summary, section=section, notes=notes)


NEW_BUSINESS = "\x00new business"  # stand-in owner of a segment's new business (never a rep id)


def rep_draws(ctx: StepContext, plan):
    """Simulated bookings of the plan quarter per rep of ``plan`` (simulations x reps, in the
    order of ``plan.rep_summary``), from the forecast step's pipeline simulation: open deals go
    to their account's rep in the new plan, won-to-date stays with who won it, and each
    segment's new business is shared by territory potential as deals land (lumpy per rep, each
    draw's parts adding up to the segment's draw). None without a pipeline forecast of the plan
    quarter."""
    import numpy as np
    import pandas as pd

    from forecasting.rollup import simulate_owners

    pipeline = ctx.state.pipeline
    if pipeline is None or not ctx.bundle.has("opportunities") or pipeline.period != ctx.plan_period:
        return None
    opps = ctx.bundle.get("opportunities")
    new_owner = plan.assignments.set_index(plan.assignments["account_id"].astype(str))["rep_id"].astype(str)
    open_ids = set(pipeline.open_deals["opportunity_id"].astype(str))
    is_open = opps["opportunity_id"].astype(str).isin(open_ids).to_numpy()
    accounts = (opps["account_id"].astype("string").fillna("").to_numpy(object)
                if "account_id" in opps.columns else np.full(len(opps), "", dtype=object))
    owner_of = pd.Series(new_owner.reindex(accounts[is_open]).to_numpy(),
                         index=opps.loc[is_open, "opportunity_id"].astype(str).to_numpy())
    reps = plan.rep_summary
    share = reps[["segment", "rep_id", "potential"]].rename(columns={"rep_id": "owner"})
    total = share.groupby("segment")["potential"].transform("sum")
    share = share.assign(share=np.where(total > 0, share["potential"] / total.where(total > 0), 0.0))
    # Each segment's new business is simulated whole (a stand-in owner takes it: the same random
    # numbers as the forecast), then shared among the reps as deals land, lumpy per rep
    # (territory.attainment.split_new_business): an exact split by potential would give a rep
    # the segment's spread only and push every P(attain) towards 0 or 1.
    from forecasting.pipeline import canonical_opportunities
    from forecasting.rollup import OwnerDraws
    from territory.attainment import split_new_business

    whole = pd.DataFrame({"segment": sorted(set(share["segment"].astype(str))), "owner": NEW_BUSINESS,
                          "share": 1.0})
    sims = simulate_owners(pipeline, opps, owner_of=owner_of, new_business_share=whole,
                           owners=share[["segment", "owner"]], random_state=ctx.config.seed)
    keys, draws = sims.keys.astype(str), sims.draws.copy()
    column_of = {(seg, own): i for i, (seg, own) in enumerate(zip(keys["segment"], keys["owner"]))}
    won = canonical_opportunities(opps)
    won = won[won["won"] == 1]
    params = pipeline.new_business.set_index("segment") if pipeline.new_business is not None else None
    for k, segment in enumerate(whole["segment"]):
        stand_in = column_of.get((segment, NEW_BUSINESS))
        seg_reps = share[share["segment"].astype(str) == segment]
        if stand_in is None or seg_reps.empty:
            continue
        amounts = won.loc[won["segment"].astype(str) == segment, "amount"].astype(float)
        mean_new = float(params.at[segment, "new_mean"]) if params is not None and segment in params.index else np.nan
        deals = mean_new / amounts.mean() if len(amounts) and amounts.mean() > 0 else np.nan
        cv = float(amounts.std() / amounts.mean()) if len(amounts) > 1 and amounts.mean() > 0 else 0.0
        parts = split_new_business(draws[:, stand_in], seg_reps["share"].to_numpy(float), deals, cv,
                                   random_state=[ctx.config.seed or 0, 19, k])
        columns = [column_of[(segment, str(rep))] for rep in seg_reps["owner"]]
        draws[:, columns] += parts
        draws[:, stand_in] = 0.0
    sims = OwnerDraws(keys=sims.keys, draws=draws, closed=sims.closed, spread=sims.spread)
    owner = sims.keys["owner"].astype(str).to_numpy()
    return np.column_stack([sims.node(owner == str(rep)) for rep in reps["rep_id"]]) if len(reps) else None


def rep_outlook(ctx: StepContext, plan):
    """(P(attain) per rep and the share of reps at quota (``territory.attainment``), the draws
    it rests on), or (None, None) without a pipeline forecast of the plan quarter or quotas."""
    from territory.attainment import rep_attainment

    draws = rep_draws(ctx, plan)
    if draws is None or "quota" not in plan.rep_summary.columns:
        return None, None
    return rep_attainment(draws, plan.rep_summary[["rep_id", "quota"]],
                          healthy_band=tuple(ctx.config.territory.healthy_attainment)), draws


STEP = Step("territory", TITLE, ("accounts", "reps"), run)
