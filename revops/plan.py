"""The quarterly plan job: validate -> score -> forecast -> funnel -> territory -> report.

One parent MLflow run, one nested run per step. Everything that can be checked is checked before
any step runs (the plan file at load, the output folder, every input table). Everything is
written to a temporary folder that replaces ``out`` only when every step succeeded, and the lead
model trained by the plan is registered (and may become champion) only then: a plan that fails
changes neither the output folder nor the registry.
"""
from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import pandas as pd

from revops import __version__
from revops.config import PlanConfig, config_to_toml
from revops.errors import RevopsError, is_user_error
from revops.headline import guide_section, headline_section, headline_summary
from revops.inputs import InputBundle, load_inputs
from revops.outputs import atomic_output_dir, check_output_dir, write_json
from revops.progress import Progress
from revops.report import Section, render_report
from revops.steps import PlanState, Step, StepContext, StepOutcome
from revops.steps import forecast as forecast_step
from revops.steps import funnel as funnel_step
from revops.steps import scoring as scoring_step
from revops.steps import territory as territory_step
from revops.steps import revenue as revenue_step
from revops.steps import review as review_step
from revops.targets import targets_from_growth

log = logging.getLogger(__name__)

# The steps, in the order they run: a later step reads what an earlier one left in PlanState.
PLAN_STEPS: dict[str, Step] = {step.name: step for step in (
    scoring_step.STEP, forecast_step.STEP, funnel_step.STEP, territory_step.STEP, revenue_step.STEP)}
PLAN_STEPS[review_step.STEP.name] = review_step.STEP  # last: it reads the scoring step's lead scores


class StepFailed(RevopsError):
    """A step met bad input; the plan stops and writes nothing."""


def infer_as_of(bundle: InputBundle) -> pd.Timestamp:
    """The plan date: the latest event in the data (a plan is made the day after its data ends)."""
    latest = []
    for table, columns in (("opportunities", ("created_at", "closed_at")), ("leads", ("created_at",))):
        if bundle.has(table):
            frame = bundle.tables[table]
            for column in columns:
                if column in frame.columns and frame[column].notna().any():
                    latest.append(frame[column].max())
    if not latest and bundle.has("subscriptions"):  # only then: booked renewals may start after the export
        latest.append(bundle.tables["subscriptions"]["start_date"].max())
    if not latest:
        return pd.Timestamp.today().normalize()
    return pd.Timestamp(max(latest)).normalize()


def prepare_inputs(
    data_dir: str | os.PathLike[str], config: PlanConfig
) -> tuple[InputBundle, pd.Timestamp, pd.Period]:
    """The validated tables, the plan date and the quarter planned, as every plan (and notebook)
    sees them; targets come from the plan file's growth rule when the export has none."""
    bundle = load_inputs(data_dir, columns=config.columns, file_names=config.data.tables,
                         derive=config.derive, drop_empty=config.drop_empty,
                         allow_outside=config.data.allow_outside, reading=config.data)
    as_of = pd.Timestamp(config.data.as_of) if config.data.as_of else infer_as_of(bundle)
    period = (as_of + pd.Timedelta(days=1)).to_period("Q")
    if (not bundle.has("targets") and bundle.has("opportunities")
            and config.data.target_growth is not None):
        targets, note = targets_from_growth(bundle.get("opportunities"), period, config.data.target_growth)
        bundle.tables["targets"] = targets
        bundle.notes.append(note)
    return bundle, as_of, period


def inputs_section(bundle: InputBundle, as_of: pd.Timestamp, period: pd.Period) -> Section:
    rows = [
        {"table": t, "file": str(bundle.sources[t].name) if t in bundle.sources else "(derived)",
         "rows": len(f), "sha256": bundle.fingerprints[t][:12] if t in bundle.fingerprints else ""}
        for t, f in bundle.tables.items()
    ]
    section = Section("Inputs", anchor="inputs")
    section.paragraphs.append(
        f"Plan made as of {as_of.date()} for {period}. Every table read from a file passed its data contract."
    )
    section.tables.append(("", pd.DataFrame(rows)))
    section.paragraphs += [f"Note: {note}" for note in bundle.notes]
    return section


def run_plan(
    data_dir: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    config: PlanConfig,
    progress: Progress | None = None,
    *,
    force: bool = False,
) -> dict[str, Any]:
    """Run the plan end to end; return the summary (also written to ``out/summary.json``)."""
    import mlflow

    from revops.mlflow_setup import ensure_experiment
    from revops.tracking import fail_dead_runs, open_store, tag_owner

    progress = progress or Progress(quiet=True)
    # Refused before any work: an output folder that would replace the data or the user's files.
    check_output_dir(out_dir, inputs=[data_dir], force=force)
    with progress.step("validate inputs"):
        bundle, as_of, period = prepare_inputs(data_dir, config)
    open_store(say=progress.info, tracking_uri=config.mlflow.tracking_uri)
    experiment_id = ensure_experiment(config.experiment)
    ended = fail_dead_runs(experiment_id)
    if ended:
        progress.info(f"marked {ended} run(s) of killed plans as FAILED in MLflow")
    state = PlanState()
    outcomes: dict[str, StepOutcome] = {}
    with atomic_output_dir(out_dir, inputs=[data_dir], force=force) as tmp:
        with mlflow.start_run(experiment_id=experiment_id, run_name=f"plan {period}") as parent:
            mlflow.set_tags({"revops.kind": "plan", "revops.version": __version__,
                             "revops.plan_period": str(period), **tag_owner()})
            mlflow.log_params(config.params())
            mlflow.log_params({f"input.{t}.sha256": h for t, h in bundle.fingerprints.items()})
            for name in config.steps:
                ctx = StepContext(bundle, config, tmp / name, as_of, period, progress, state)
                outcomes[name] = _run_step(PLAN_STEPS[name], ctx, experiment_id)
            # Every step succeeded: only now may the registry change (and the router follow it).
            registry_decision = _register_pending(state, progress, config)
            revenue_step.register_pending_renewal(state, progress, config)  # the renewal model, apart
            summary = _summary(bundle, config, as_of, period, outcomes, parent.info.run_id,
                               state, registry_decision)
            write_json(tmp / "summary.json", summary)
            (tmp / "plan.toml").write_text(config_to_toml(config), encoding="utf-8")
            currency = config.report.currency
            headline = headline_section(state, bundle.tables.get("targets"), period, currency)
            sections = ([headline] if headline else []) + [guide_section(period, as_of, currency)]
            sections += [inputs_section(bundle, as_of, period)]
            sections += [o.section for o in outcomes.values() if o.section is not None]
            page = render_report(
                f"Quarterly revenue plan {period}",
                f"Data: {Path(data_dir).name} - as of {as_of.date()} - revops {__version__} - seed {config.seed}",
                sections, currency=currency,
            )
            (tmp / "report.html").write_text(page, encoding="utf-8")
            mlflow.log_artifact(str(tmp / "summary.json"))
            mlflow.log_artifact(str(tmp / "report.html"))
    progress.info(f"plan written to {Path(out_dir).resolve()}")
    return summary


def _run_step(step: Step, ctx: StepContext, experiment_id: str) -> StepOutcome:
    import mlflow

    from revops.tracking import log_metrics, tag_owner

    missing = [t for t in step.requires if not ctx.bundle.has(t)]
    if missing:
        note = f"step '{step.name}' skipped: no {', '.join(missing)} table in the data folder"
        ctx.progress.info(note)
        return StepOutcome(status="skipped", notes=[note],
                           section=Section(step.title, paragraphs=[f"Note: {note}."]))
    ctx.out_dir.mkdir(parents=True, exist_ok=True)
    with ctx.progress.step(step.title), \
            mlflow.start_run(run_name=step.name, nested=True, experiment_id=experiment_id):
        mlflow.set_tags({"revops.kind": step.name, **tag_owner()})
        try:
            outcome = step.run(ctx)
        except ValueError as exc:
            if not is_user_error(exc):
                raise
            # Say which step stopped the plan; the step's own message says what and where.
            raise StepFailed(f"plan step '{step.name}' stopped the plan (nothing was written, "
                             f"the model registry is unchanged):\n{exc}") from exc
        log_metrics(outcome.metrics)  # the step's engine logger has logged its own
        mlflow.log_artifacts(str(ctx.out_dir), artifact_path=step.name)
    return outcome


def _register_pending(state: PlanState, progress: Progress, config: PlanConfig) -> dict[str, Any] | None:
    """Register the model the scoring step trained, under ``scoring.model_name``; the registry's
    promotion rules decide whether it becomes champion (``scoring.registry.decide``)."""
    pending = state.pending_model
    if pending is None:
        return None
    from scoring import registry

    from revops.mlflow_setup import ensure_store

    ensure_store()  # the store may have been replaced while the plan ran (make clean)
    name = config.scoring.model_name
    # The model is logged into the scoring step's own (finished) run.
    decision = registry.register(pending.scorer, pending.holdout, run_id=pending.run_id, model_name=name)
    progress.info(f"lead model registered as {name} v{decision['version']} "
                  f"({decision['status']}: {decision['reason']})")
    if decision["blocked_by"]:  # not a matter of a better log loss: a person decides
        progress.info(f"  a person may promote it: revops score promote {decision['version']} "
                      f"--model-name {name}")
    return decision


def _summary(bundle, config, as_of, period, outcomes, run_id, state: PlanState,
             registry_decision: dict[str, Any] | None) -> dict[str, Any]:
    lead_model = dict(state.scoring_model)
    if registry_decision is not None:
        lead_model["registry"] = registry_decision
    return {
        "revops_version": __version__,
        "plan_period": str(period),
        "as_of": str(as_of.date()),
        "seed": config.seed,
        "mlflow_run_id": run_id,
        # What depends on the MLflow store's state, not on the inputs: kept apart so the rest of
        # the output is byte-identical for the same inputs and seed.
        "mlflow": {"run_id": run_id, **({"scoring": lead_model} if lead_model else {})},
        "inputs": {
            t: {"file": bundle.sources[t].name, "rows": bundle.counts[t], "sha256": bundle.fingerprints[t]}
            for t in bundle.sources
        },
        "unassigned_accounts": bundle.counts.get("unassigned_accounts"),
        # One headline per segment, the numbers report.html's first table shows.
        "headline": headline_summary(state, bundle.tables.get("targets"), period, config.report.currency),
        "notes": list(bundle.notes) + [n for o in outcomes.values() for n in o.notes],
        "steps": {name: {"status": o.status, **o.summary} for name, o in outcomes.items()},
    }
