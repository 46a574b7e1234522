"""Funnel outputs: funnel_plan.csv, funnel_totals.csv, headcount.csv (monthly: capacity, hires and
their start month), headcount_summary.csv (per target period), kpis.csv, kpi_summary.csv,
drivers.csv, sensitivity.csv, funnel.png, monthly_goals.png, summary.json."""
from __future__ import annotations

from pathlib import Path

from forecasting.funnel import FunnelConfig, FunnelResult, funnel_figures
from forecasting.funnel.kpis import kpi_summary

from revops.artifacts import save_figures
from revops.flags import config_as_params
from revops.outputs import write_csv, write_json


def write_funnel(result: FunnelResult, out_dir: Path) -> dict[str, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {
        "funnel_plan": write_csv(out_dir / "funnel_plan.csv", result.plan),
        "funnel_totals": write_csv(out_dir / "funnel_totals.csv", result.totals),
        # headcount.csv is the monthly table (issue 19); the per-period need it rests on is
        # the summary beside it.
        "headcount": write_csv(out_dir / "headcount.csv", _monthly(result)),
        "headcount_summary": write_csv(out_dir / "headcount_summary.csv", result.headcount),
        "kpis": write_csv(out_dir / "kpis.csv", result.kpis),
        "kpi_summary": write_csv(out_dir / "kpi_summary.csv", kpi_summary(result.kpis)),
        "drivers": write_csv(out_dir / "drivers.csv", result.drivers),
        "sensitivity": write_csv(out_dir / "sensitivity.csv", result.sensitivity),
    }
    paths.update(save_figures(funnel_figures(result.plan), out_dir))
    paths["summary"] = write_json(out_dir / "summary.json", {"headline": result.summary(), "notes": result.notes})
    return paths


def _monthly(result: FunnelResult):
    if result.headcount_monthly is not None:
        return result.headcount_monthly
    from forecasting.funnel.headcount import MONTHLY_COLUMNS
    import pandas as pd

    return pd.DataFrame(columns=MONTHLY_COLUMNS)


def log_funnel(config: FunnelConfig, result: FunnelResult, out_dir: Path | None = None, **extra) -> None:
    from revops.tracking import log_folder, log_metrics, log_params

    log_params({**config_as_params(config), **extra})
    log_metrics({k.replace(" ", "_"): v for k, v in result.summary().items()})
    if out_dir is not None:
        log_folder(out_dir, "funnel")
