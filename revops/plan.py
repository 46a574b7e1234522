"""The quarterly plan job: validate -> score -> forecast -> funnel -> territory -> report.

One parent MLflow run, one nested run per step. Everything is written to a temporary folder
that replaces ``out`` only when every step succeeded.
"""
from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import pandas as pd

from revops import __version__
from revops.config import PlanConfig, config_to_toml
from revops.errors import RevopsError
from revops.headline import headline_section
from revops.inputs import InputBundle, load_inputs
from revops.mlflow_setup import configure, ensure_experiment
from revops.outputs import atomic_output_dir, write_json
from revops.progress import Progress
from revops.report import Section, render_report
from revops.steps import StepContext, StepOutcome, load_step
from revops.targets import targets_from_growth

log = logging.getLogger(__name__)


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
    if not latest:
        return pd.Timestamp.today().normalize()
    return pd.Timestamp(max(latest)).normalize()


def _flat_params(config: PlanConfig) -> dict[str, str]:
    flat: dict[str, str] = {}

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), inner)
        else:
            flat[prefix] = str(value)[:500]

    walk("", config.to_dict())
    return flat


def prepare_inputs(
    data_dir: str | os.PathLike[str], config: PlanConfig
) -> tuple[InputBundle, pd.Timestamp, pd.Period]:
    """The validated tables, the plan date and the quarter planned, as every plan (and notebook)
    sees them; targets come from the plan file's growth rule when the export has none."""
    bundle = load_inputs(data_dir, columns=config.columns, file_names=config.data.tables,
                         derive=config.derive, drop_empty=config.drop_empty)
    as_of = pd.Timestamp(config.data.as_of) if config.data.as_of else infer_as_of(bundle)
    period = (as_of + pd.Timedelta(days=1)).to_period("Q")
    if not bundle.has("targets") and bundle.has("opportunities") and config.data.target_growth >= -1:
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
) -> dict[str, Any]:
    """Run the plan end to end; return the summary (also written to ``out/summary.json``)."""
    import mlflow

    progress = progress or Progress(quiet=True)
    with progress.step("validate inputs"):
        bundle, as_of, period = prepare_inputs(data_dir, config)
    configure()
    experiment_id = ensure_experiment(config.experiment)
    outcomes: dict[str, StepOutcome] = {}
    with atomic_output_dir(out_dir) as tmp:
        with mlflow.start_run(experiment_id=experiment_id, run_name=f"plan {period}") as parent:
            mlflow.set_tags({"revops.kind": "plan", "revops.version": __version__,
                             "revops.plan_period": str(period)})
            mlflow.log_params(_flat_params(config))
            mlflow.log_params({f"input.{t}.sha256": h for t, h in bundle.fingerprints.items()})
            for name in config.steps:
                outcomes[name] = _run_step(name, bundle, config, tmp, as_of, period, progress, outcomes,
                                           experiment_id)
            summary = _summary(bundle, config, as_of, period, outcomes, parent.info.run_id)
            write_json(tmp / "summary.json", summary)
            (tmp / "plan.toml").write_text(config_to_toml(config), encoding="utf-8")
            headline = headline_section(outcomes, bundle.tables.get("targets"), period)
            sections = ([headline] if headline else []) + [inputs_section(bundle, as_of, period)]
            sections += [o.section for o in outcomes.values() if o.section is not None]
            page = render_report(
                f"Quarterly revenue plan {period}",
                f"Data: {Path(data_dir).name} - as of {as_of.date()} - revops {__version__} - seed {config.seed}",
                sections,
            )
            (tmp / "report.html").write_text(page, encoding="utf-8")
            mlflow.log_artifact(str(tmp / "summary.json"))
            mlflow.log_artifact(str(tmp / "report.html"))
    progress.info(f"plan written to {Path(out_dir).resolve()}")
    return summary


def _run_step(name, bundle, config, tmp, as_of, period, progress, outcomes, experiment_id) -> StepOutcome:
    import mlflow

    module = load_step(name)
    if module is None:
        return StepOutcome(status="skipped", notes=[f"step '{name}' is not available in this version"])
    missing = [t for t in module.REQUIRES if not bundle.has(t)]
    if missing:
        note = f"step '{name}' skipped: no {', '.join(missing)} table in the data folder"
        progress.info(note)
        return StepOutcome(status="skipped", notes=[note],
                           section=Section(module.TITLE, paragraphs=[f"Note: {note}."]))
    step_dir = tmp / name
    step_dir.mkdir(parents=True, exist_ok=True)
    ctx = StepContext(bundle, config, step_dir, as_of, period, progress, dict(outcomes))
    with progress.step(module.TITLE), mlflow.start_run(run_name=name, nested=True, experiment_id=experiment_id):
        mlflow.set_tag("revops.kind", name)
        try:
            outcome = module.run(ctx)
        except ValueError as exc:
            from revops.cli import is_user_error

            if not is_user_error(exc):
                raise
            # Say which step stopped the plan; the step's own message says what and where.
            raise StepFailed(f"plan step '{name}' stopped the plan (nothing was written):\n{exc}") from exc
        numeric = {k: float(v) for k, v in outcome.summary.items()
                   if isinstance(v, (int, float)) and not isinstance(v, bool)}
        if numeric:
            mlflow.log_metrics({k.replace("%", "pct"): v for k, v in numeric.items()})
        mlflow.log_artifacts(str(step_dir), artifact_path=name)
    return outcome


def _summary(bundle, config, as_of, period, outcomes, run_id) -> dict[str, Any]:
    return {
        "revops_version": __version__,
        "plan_period": str(period),
        "as_of": str(as_of.date()),
        "seed": config.seed,
        "mlflow_run_id": run_id,
        # What depends on the MLflow store's state, not on the inputs: kept apart so the rest of
        # the output is byte-identical for the same inputs and seed.
        "mlflow": {"run_id": run_id, **{name: o.data["lead_model"] for name, o in outcomes.items()
                                         if "lead_model" in o.data}},
        "inputs": {
            t: {"file": bundle.sources[t].name, "rows": bundle.counts[t], "sha256": bundle.fingerprints[t]}
            for t in bundle.sources
        },
        "unassigned_accounts": bundle.counts.get("unassigned_accounts"),
        "notes": list(bundle.notes) + [n for o in outcomes.values() for n in o.notes],
        "steps": {name: {"status": o.status, **o.summary} for name, o in outcomes.items()},
    }
