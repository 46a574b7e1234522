"""Territory plan outputs: assignments.csv, rep_summary.csv, pools.csv, summary.json, plots."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from territory import TerritoryPlan

from revops.artifacts import save_figures
from revops.flags import config_as_params
from revops.outputs import write_csv, write_json

# Solve times differ run to run: they go to MLflow, never into the files, so the same inputs and
# seed give byte-identical outputs.
RUN_TO_RUN = ("solve_seconds", "total_seconds")


def summary_record(plan: TerritoryPlan) -> dict[str, Any]:
    """The plan's summary as written to summary.json (without the run-to-run timings)."""
    record = plan.summary.to_dict()
    for key in RUN_TO_RUN:
        record.pop(key, None)
    return record


def write_plan(plan: TerritoryPlan, out_dir: Path, attainment=None) -> dict[str, Path]:
    """assignments.csv, rep_summary.csv, pools.csv, summary.json and the plots, into ``out_dir``;
    ``attainment`` (``territory.attainment.AttainmentResult``) adds the share of reps expected
    at quota to summary.json."""
    from territory.plots import balance_figure, moves_figure

    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {
        "assignments": write_csv(out_dir / "assignments.csv", plan.assignments),
        "rep_summary": write_csv(out_dir / "rep_summary.csv", plan.rep_summary),
        "pools": write_csv(out_dir / "pools.csv",
                           plan.pool_summary.drop(columns=["seconds"], errors="ignore")),
        "summary": write_json(out_dir / "summary.json", {
            **summary_record(plan), **(attainment.summary() if attainment is not None else {}),
            "notes": plan.notes}),
    }
    paths.update(save_figures({"balance_potential": balance_figure(plan.rep_summary, "potential"),
                               "balance_workload": balance_figure(plan.rep_summary, "workload"),
                               "moves": moves_figure(plan.rep_summary)}, out_dir))
    return paths


def log_plan(plan: TerritoryPlan, out_dir: Path | None = None) -> None:
    """Parameters (the configuration), metrics (the summary, timings included), status tag."""
    import mlflow

    from revops.tracking import log_folder, log_metrics, log_params

    s = plan.summary
    log_params({**config_as_params(plan.config), "accounts": s.accounts, "reps": s.reps, "pools": s.pools})
    mlflow.set_tag("territory.status", s.status)
    log_metrics(s.metrics())
    if out_dir is not None:
        log_folder(out_dir, "territory")
