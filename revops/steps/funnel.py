"""Plan step: the funnel worked back from the target, and the headcount it takes."""
from __future__ import annotations

import pandas as pd

from revops.artifacts.funnel import log_funnel, write_funnel
from revops.report import Section, Table
from revops.report_format import all_zero, label
from revops.steps import Step, StepContext, StepOutcome

TITLE = "Funnel and capacity"
STAGE_NAMES = {"won": "Won deals", "opportunity": "Opportunities", "sql": "SQLs", "mql": "MQLs"}
TOP_DRIVERS = 5


def run(ctx: StepContext) -> StepOutcome:
    from forecasting.funnel import OVERALL, compute_funnel

    bundle, state = ctx.bundle, ctx.state
    targets = bundle.get("targets")
    targets = targets[targets["period"] == str(ctx.plan_period)]
    if targets.empty:
        note = f"funnel skipped: the targets table has no rows for {ctx.plan_period}"
        return StepOutcome(status="skipped", notes=[note], section=Section(TITLE, [f"Note: {note}."]))
    # The same open deals, win probabilities and quarter forecast as the forecast step: the
    # funnel nets what the pipeline is expected to bring, and the AE need rests on the forecast.
    open_deals = state.pipeline.open_deals if state.pipeline is not None else None
    expected = None
    if state.quarter is not None:
        table = state.quarter.table
        expected = dict(zip(table["segment"], table["p50"]))
    result = compute_funnel(
        bundle.get("opportunities"), targets,
        leads=bundle.tables.get("leads"), reps=bundle.tables.get("reps"),
        lead_scores=state.open_lead_scores, config=ctx.config.funnel, random_state=ctx.config.seed,
        as_of=ctx.as_of, open_opportunities=open_deals, expected_bookings=expected,
    )
    write_funnel(result, ctx.out_dir)
    log_funnel(ctx.config.funnel, result)
    state.funnel_totals, state.headcount = result.totals, result.headcount
    section = funnel_section(ctx, result)
    summary = {k: v for k, v in result.summary().items() if k.startswith(f"{OVERALL}.") or k == "low_sample_kpis"}
    return StepOutcome(summary=summary, section=section, notes=result.notes)


def _readable(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    if "segment" in out:
        out["segment"] = out["segment"].replace({"ALL": "Total"})
    if "stage" in out:
        out["stage"] = out["stage"].map(STAGE_NAMES).fillna(out["stage"])
    return out


def top_drivers(sensitivity: pd.DataFrame, n: int = TOP_DRIVERS) -> pd.DataFrame:
    """The ``n`` assumptions that move the company's MQL goal most (percent method): one row
    each, the goal's change for the assumption moved down and up."""
    part = sensitivity[(sensitivity["method"] == "percent") & (sensitivity["segment"] == "ALL")]
    if part.empty or all_zero(part["delta"]):
        return pd.DataFrame()
    wide = part.pivot_table(index="assumption", columns="change", values="delta", aggfunc="first")
    order = wide.abs().max(axis=1).sort_values(ascending=False, kind="stable").index[:n]
    wide = wide.loc[order]
    base = float(part["base_mql_goal"].iloc[0])
    out = pd.DataFrame({"assumption": [a.replace("_", " ") for a in wide.index]})
    for change in wide.columns:
        out[f"{'+' if change > 0 else '-'}{abs(change):.0%} moves the MQL goal by"] = wide[change].to_numpy()
    out.attrs["base"] = base  # the MQLs still needed before any move (said in the caption)
    return out


def funnel_section(ctx: StepContext, result) -> Section:
    from forecasting.funnel.kpis import kpi_summary

    open_month = (ctx.as_of + pd.Timedelta(days=1)).strftime("%B %Y")
    section = Section(TITLE, anchor="funnel")
    section.paragraphs.append(
        f"What the {ctx.plan_period} target needs at each stage (the target worked back through deal "
        "size, win rate and conversion rates), each placed in the month it must happen. Months "
        f"before {open_month} are over: they show what happened (actual) and the gap, never as "
        f"still needed. From {open_month} on, the open opportunities' expected wins and the open "
        "MQLs' expected SQLs are counted first; 'still needed' is what new work must bring.")
    totals = _readable(result.totals)
    section.tables.append(Table(
        totals, f"Funnel goals for {ctx.plan_period}", key=("segment", "stage"),
        kinds={c: "count" for c in totals.columns if c not in ("segment", "stage")},
        labels={"due_before_as_of": "Due in past months", "actual": "Happened",
                "gap": "Gap (due − happened; − is ahead)", "expected_from_open": "Expected from open pipeline/leads",
                "still_needed": "Still needed from now"}))
    head = _readable(result.headcount)
    head["role"] = head["role"].str.upper()
    section.tables.append(Table(
        head[[c for c in ("segment", "role", "needed", "on_file", "productive_fte", "gap",
                          "needed_from_history", "basis") if c in head.columns]],
        "Capacity: AEs and SDRs needed against the reps on file", key=("segment", "role"),
        kinds={"needed": "count", "on_file": "count", "productive_fte": "count", "gap": "count",
               "needed_from_history": "count"},
        labels={"gap": "Gap (needed - productive)", "needed_from_history": "AEs needed at history's productivity"}))
    section.paragraphs.append(
        "AEs needed rest on the same bookings as the forecast: what the forecast expects of the "
        "reps on file per productive FTE, at the plan's attainment assumption "
        f"({ctx.config.funnel.expected_attainment:.0%}); a forecast below target therefore means "
        "more AEs in the same proportion. The history column shows what the past year's bookings "
        "per rep would say.")
    monthly = result.headcount_monthly
    if monthly is not None and len(monthly):
        hires = _readable(monthly[monthly["role"] == "ae"])
        ramp = ctx.config.funnel.ramp_curve
        section.tables.append(Table(
            hires[["segment", "month", "needed", "productive_fte", "hires_start", "hires_total",
                   "hires_productive_fte", "gap", "hire_note"]],
            "Capacity month by month: AEs needed, the reps on file, and the hires with the month they start",
            key=("segment", "month"),
            kinds={c: "count" for c in ("needed", "productive_fte", "hires_start", "hires_total",
                                        "hires_productive_fte", "gap")},
            labels={"productive_fte": "Productive FTE on file", "hires_start": "Hires starting",
                    "hires_total": "Hires so far", "hires_productive_fte": "Hires' productive FTE",
                    "gap": "Gap after hires", "hire_note": "Note"}))
        section.paragraphs.append(
            f"A new AE is {', '.join(f'{v:.0%}' for v in ramp)} productive in the first "
            f"{len(ramp)} month(s) and fully after, so a hire starts {len(ramp)} month(s) before "
            "the month it is needed; when that month is too close, more hires are needed (they are still ramping). "
            f"Attrition: {ctx.config.funnel.annual_attrition:.0%} a year. headcount.csv has the "
            "SDRs too; headcount_summary.csv the need per target period.")
    kpis = kpi_summary(result.kpis)
    kpis.columns = [("Total" if c == "ALL" else c) for c in kpis.columns]
    kpis["kpi"] = kpis["kpi"].map(label)
    section.tables.append(Table(kpis, "Funnel KPIs (* = built on too few records)",
                                key=("kpi",), kinds={c: "text" for c in kpis.columns}))
    drivers = top_drivers(result.sensitivity)
    base = drivers.attrs.get("base")
    section.tables.append(Table(
        drivers, f"The {TOP_DRIVERS} assumptions that move the MQLs still needed most (all segments"
        + (f", {base:,.0f} MQLs still needed as planned)" if base is not None else ")"),
        key=("assumption",), kinds={c: "count" for c in drivers.columns if c != "assumption"},
        empty_note=("no assumption changes the MQLs still needed: every MQL month of the plan "
                    "period is over, or the plan has no MQL stage (sensitivity.csv has the detail)")))
    for name, caption in (("funnel", "The funnel per segment: required, happened and still needed"),
                          ("monthly_goals", "Each stage's volume by month: required, happened and still needed")):
        path = ctx.out_dir / f"{name}.png"
        if path.exists():
            section.figures.append((caption, path.read_bytes()))
    section.paragraphs += [f"Note: {n}" for n in result.notes]
    return section


STEP = Step("funnel", TITLE, ("opportunities", "targets"), run)
