"""Plan step: the funnel worked back from the target, and the headcount it takes."""
from __future__ import annotations

from revops.artifacts.funnel import log_funnel, write_funnel
from revops.report import Section
from revops.steps import Step, StepContext, StepOutcome

TITLE = "Funnel and capacity"


def run(ctx: StepContext) -> StepOutcome:
    from forecasting.funnel import OVERALL, compute_funnel
    from forecasting.funnel.kpis import kpi_summary

    bundle = ctx.bundle
    targets = bundle.get("targets")
    targets = targets[targets["period"] == str(ctx.plan_period)]
    if targets.empty:
        note = f"funnel skipped: the targets table has no rows for {ctx.plan_period}"
        return StepOutcome(status="skipped", notes=[note], section=Section(TITLE, [f"Note: {note}."]))
    result = compute_funnel(
        bundle.get("opportunities"), targets,
        leads=bundle.tables.get("leads"), reps=bundle.tables.get("reps"),
        lead_scores=ctx.state.open_lead_scores, config=ctx.config.funnel, random_state=ctx.config.seed,
    )
    write_funnel(result, ctx.out_dir)
    log_funnel(ctx.config.funnel, result)
    ctx.state.funnel_totals, ctx.state.headcount = result.totals, result.headcount
    section = Section(TITLE, anchor="funnel")
    section.paragraphs.append(
        "The SLA numbers: each segment's target worked back to won deals, opportunities, SQLs and MQLs "
        "(marketing's MQL goal, inside sales' SQL goal, field sales' pipeline goal), each placed in the "
        "month it must happen. Where lead scores exist, the expected SQLs from today's open MQLs are "
        "counted first, so 'still needed' is what marketing still owes."
    )
    section.paragraphs += [f"Note: {n}" for n in result.notes]
    section.tables.append(("Funnel goals for the plan period", result.totals))
    section.tables.append(("Headcount: needed vs on file", result.headcount))
    section.tables.append(("Funnel KPIs (* = built on too few records)", kpi_summary(result.kpis)))
    section.tables.append(("Which assumption moves the MQL goal most", result.sensitivity))
    for name, caption in (("funnel", "The funnel per segment"), ("monthly_goals", "Monthly goals per stage")):
        path = ctx.out_dir / f"{name}.png"
        if path.exists():
            section.figures.append((caption, path.read_bytes()))
    summary = {k: v for k, v in result.summary().items() if k.startswith(f"{OVERALL}.") or k == "low_sample_kpis"}
    return StepOutcome(summary=summary, section=section, notes=result.notes)


STEP = Step("funnel", TITLE, ("opportunities", "targets"), run)
