"""What-ifs on the quarter's outlook and on the funnel, for notebooks and reviews.

- :func:`forecast_vs_target`: per segment, the bookings forecast summed over the quarter, the
  pipeline view of the same quarter, the target, the gap and the pipeline coverage.
- :func:`win_rate_scenarios`: what if win rates drop by a given amount? Every open deal's win
  probability is scaled down (or lowered by points) and the quarter re-simulated exactly the way
  :func:`forecasting.pipeline.forecast_pipeline` simulates it (same draws, same seed), so a drop of
  zero gives back the pipeline forecast and every other drop differs only by the drop.
- :func:`funnel_scenarios`: the funnel plan and headcount under several sets of assumptions,
  side by side.

Pure functions on DataFrames; no files, no MLflow.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from forecasting.errors import ForecastInputError
from forecasting.pipeline import PipelineResult, simulate_quarter

KINDS = ("relative", "points")
TOTAL = "Total"


# ---------------------------------------------------------------------------- win rate drops
def scale_win_probabilities(probabilities: Sequence[float] | np.ndarray, drop: float,
                            kind: str = "relative") -> np.ndarray:
    """Win probabilities after a drop: ``relative`` p x (1 - drop); ``points`` p - drop.

    A negative drop is a rise. Results stay within [0, 1].
    """
    if kind not in KINDS:
        raise ForecastInputError(f"win rate scenario: kind must be one of {KINDS}; got {kind!r}.")
    if not np.isfinite(drop) or not -1.0 <= drop <= 1.0:
        raise ForecastInputError(f"win rate scenario: drop must be in [-1, 1] (e.g. 0.10 for 10%); got {drop!r}.")
    p = np.asarray(probabilities, dtype=float)
    moved = p * (1.0 - drop) if kind == "relative" else p - drop
    return np.clip(moved, 0.0, 1.0)


def _targets_for(targets: pd.DataFrame | None, period: pd.Period) -> dict[str, float]:
    if targets is None:
        return {}
    periods = targets["period"].astype(str).str.replace("-", "").str.upper()
    rows = targets[periods == str(period)]
    goal = rows.groupby(rows["segment"].astype(str))["target"].sum().astype(float).to_dict()
    if goal and TOTAL not in goal:
        goal[TOTAL] = float(sum(goal.values()))
    return goal


def win_rate_scenarios(
    pipeline: PipelineResult,
    drops: Sequence[float] = (0.0, 0.05, 0.10, 0.20),
    *,
    kind: str = "relative",
    targets: pd.DataFrame | None = None,
    new_business_follows: bool = True,
    n_simulations: int = 10_000,
    random_state: int | None = 0,
) -> pd.DataFrame:
    """The quarter's outlook per segment if win rates drop by each of ``drops``.

    ``pipeline`` is the result of ``forecast_pipeline`` (its open deals carry the fitted win
    probabilities, and its new-business parameters are the ones re-drawn here). With
    ``new_business_follows`` the deals still to be created and won this quarter shrink in the
    same proportion as the segment's expected wins from the open pipeline (they are won deals
    too). Columns: drop, kind, segment, period,
    weighted_pipeline, expected_new, expected_total, p10, p50, p90, target, gap_to_target,
    probability_of_target, change_vs_base (expected_total minus that at drop 0).
    """
    open_deals = pipeline.open_deals
    base_p = open_deals["probability"].to_numpy(dtype=float)
    amounts = open_deals["amount"].to_numpy(dtype=float)
    base_table = pipeline.table.set_index("segment")
    closed = base_table["closed_to_date"].drop(TOTAL, errors="ignore").to_dict()
    if pipeline.new_business is None:
        raise ForecastInputError("win rate scenario: the pipeline result has no new-business "
                                 "parameters; expected the result of forecast_pipeline.")
    base_new = pipeline.new_business.reset_index(drop=True)
    goal = _targets_for(targets, pipeline.period)
    rows = []
    for drop in drops:
        p = scale_win_probabilities(base_p, float(drop), kind)
        deals = open_deals.assign(probability=p)
        new = base_new.copy()
        if new_business_follows:
            for k, segment in enumerate(new["segment"]):
                mask = (open_deals["segment"] == segment).to_numpy()
                before = float(base_p[mask] @ amounts[mask])
                factor = float(p[mask] @ amounts[mask]) / before if before > 0 else (
                    1.0 - drop if kind == "relative" else 1.0)
                new.loc[k, ["new_mean", "new_sd"]] = new.loc[k, ["new_mean", "new_sd"]] * factor
        sims = simulate_quarter(deals, closed, new, n_simulations=n_simulations, random_state=random_state,
                                spread=pipeline.spread)
        new_mean = new.set_index("segment")["new_mean"]
        for segment, draws in sims.items():
            in_segment = np.ones(len(deals), bool) if segment == TOTAL else (deals["segment"] == segment).to_numpy()
            weighted = float(p[in_segment] @ amounts[in_segment])
            expected_new = float(new_mean.sum() if segment == TOTAL else new_mean.get(segment, 0.0))
            closed_here = float(sum(closed.values()) if segment == TOTAL else closed.get(segment, 0.0))
            p10, p50, p90 = (float(v) for v in np.quantile(draws, [0.1, 0.5, 0.9]))
            target = goal.get(segment, np.nan)
            rows.append({
                "drop": float(drop), "kind": kind, "segment": segment, "period": str(pipeline.period),
                "weighted_pipeline": weighted, "expected_new": expected_new,
                "expected_total": closed_here + weighted + expected_new, "p10": p10, "p50": p50, "p90": p90,
                "target": target, "gap_to_target": target - (closed_here + weighted + expected_new),
                "probability_of_target": float(np.mean(draws >= target)) if np.isfinite(target) else np.nan,
            })
    out = pd.DataFrame(rows)
    base = out[out["drop"] == 0.0].set_index("segment")["expected_total"]
    out["change_vs_base"] = out["expected_total"] - out["segment"].map(base) if len(base) else np.nan
    return out


# ------------------------------------------------------------------------- forecast vs target
def forecast_vs_target(forecast: pd.DataFrame, targets: pd.DataFrame, period: pd.Period | str,
                       pipeline_table: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per segment (and Total): the quarter's forecast against its target, and pipeline coverage.

    ``forecast`` is ``ForecastResult.forecast`` (monthly p50 per segment); the quarter's p50 is
    the sum of its months' p50s. With ``pipeline_table`` (``PipelineResult.table``) the pipeline
    view is added: its expected total and P(target), and ``pipeline_coverage`` = open pipeline /
    (target - closed to date), the ratio sales leaders watch (3x is a common rule of thumb).
    """
    period = pd.Period(period, freq="Q")
    f = forecast.copy()
    months = pd.to_datetime(f["period"]).dt.to_period("Q")
    f = f[months == period]
    if f.empty:
        raise ForecastInputError(
            f"forecast: no forecast month falls in {period}; the forecast covers "
            f"{', '.join(sorted(set(months.astype(str))))}. Hint: raise horizon so that the forecast reaches {period}.")
    quarter = f.groupby("segment").agg(forecast_p50=("p50", "sum"), months=("p50", "size"))
    goal = _targets_for(targets, period)
    rows = []
    for segment in [s for s in quarter.index if s != TOTAL] + ([TOTAL] if TOTAL in quarter.index else []):
        target = goal.get(segment, np.nan)
        p50 = float(quarter.at[segment, "forecast_p50"])
        rows.append({"segment": segment, "period": str(period), "months": int(quarter.at[segment, "months"]),
                     "forecast_p50": p50, "target": target, "forecast_gap": target - p50,
                     "forecast_attainment": p50 / target if target else np.nan})
    out = pd.DataFrame(rows)
    if pipeline_table is not None:
        pipe = pipeline_table.set_index("segment")
        out["pipeline_expected"] = out["segment"].map(pipe["expected_total"])
        out["open_pipeline"] = out["segment"].map(pipe["open_pipeline"])
        remaining = out["target"] - out["segment"].map(pipe["closed_to_date"]).fillna(0.0)
        out["pipeline_coverage"] = out["open_pipeline"] / remaining.where(remaining > 0)
        if "probability_of_target" in pipe.columns:
            out["probability_of_target"] = out["segment"].map(pipe["probability_of_target"])
    return out


def backtest_accuracy(metrics) -> pd.DataFrame:
    """``ForecastResult.metrics`` (a ``ForecastMetrics``, or its ``to_dict()``) as one row per
    segment (scalar metrics only), overall last."""
    if hasattr(metrics, "to_dict"):
        metrics = metrics.to_dict()
    rows = []
    for segment, values in dict(metrics.get("segments", {})).items():  # type: ignore[arg-type]
        rows.append({"segment": segment, **{k: v for k, v in dict(values).items() if not isinstance(v, dict)}})
    overall = metrics.get("overall")
    if isinstance(overall, Mapping):
        rows.append({"segment": "overall", **{k: v for k, v in overall.items() if not isinstance(v, dict)}})
    return pd.DataFrame(rows)


# ------------------------------------------------------------------------------- funnel what-ifs
@dataclass
class FunnelScenarios:
    """Goals and headcount per scenario (long tables with a ``scenario`` column)."""

    goals: pd.DataFrame       # scenario, segment, stage, required, still_needed
    headcount: pd.DataFrame   # scenario, segment, target_period, role, needed, ..., gap
    plans: dict[str, pd.DataFrame]

    def goal_changes(self, base: str = "base", stage: str = "mql", column: str = "still_needed") -> pd.DataFrame:
        """One row per segment, one column per scenario, for one stage; plus each scenario's
        change against ``base`` in percent (``<scenario> %``)."""
        part = self.goals[self.goals["stage"] == stage]
        wide = part.pivot(index="segment", columns="scenario", values=column)
        wide = wide[[s for s in self.plans if s in wide.columns]]
        if base not in wide.columns:
            raise ForecastInputError(f"funnel scenarios: no scenario named {base!r}; have {list(wide.columns)}.")
        for name in [c for c in wide.columns if c != base]:
            wide[f"{name} %"] = 100.0 * (wide[name] / wide[base] - 1.0)
        return wide.reset_index()


SCALABLE = ("mql_to_sql_rate", "sql_to_opportunity_rate", "win_rate", "avg_deal_size", "sales_cycle_days",
            "sql_to_opportunity_days", "mql_to_sql_days")
RATES = ("mql_to_sql_rate", "sql_to_opportunity_rate", "win_rate")


def scaled_assumptions(kpis: pd.DataFrame, targets: pd.DataFrame, changes: Mapping[str, float], base=None,
                       *, min_records: int | None = None):
    """``base`` (a ``FunnelConfig``) with drivers moved by relative ``changes``.

    ``changes`` maps a driver to a relative move, e.g. ``{"mql_to_sql_rate": -0.10,
    "avg_deal_size": 0.05, "sales_cycle_days": 0.20}``: each segment's value (its override in
    ``base``, else the estimate from the data) times (1 + change); rates are capped at 1.
    ``target_growth`` is not a driver: set it with ``dataclasses.replace``. ``min_records``:
    None takes ``base.min_records``.
    """
    import dataclasses

    from forecasting.funnel import FunnelConfig, estimate_drivers, monthly_targets

    base = base or FunnelConfig()
    unknown = sorted(set(changes) - set(SCALABLE))
    if unknown:
        raise ForecastInputError(f"funnel scenario: cannot scale {unknown}; expected drivers among {SCALABLE} "
                                 "(target growth is set with dataclasses.replace(base, target_growth=...)).")
    bad = {k: v for k, v in changes.items() if not np.isfinite(v) or v <= -1.0}
    if bad:
        raise ForecastInputError(f"funnel scenario: changes must be > -1 (e.g. -0.10 for 10% lower); got {bad}.")
    segments = sorted(monthly_targets(targets, None, base)["segment"].unique())
    drivers = estimate_drivers(kpis, segments, base, min_records)
    overrides = {}
    for name, change in changes.items():
        current = drivers[drivers["driver"] == name].set_index("segment")["value"]
        if current.empty:
            raise ForecastInputError(f"funnel scenario: no estimate of {name} in the data (no leads table?); "
                                     f"set it in FunnelConfig instead.")
        moved = {str(s): float(v) * (1.0 + float(change)) for s, v in current.items()}
        overrides[name] = {s: min(1.0, v) for s, v in moved.items()} if name in RATES else moved
    return dataclasses.replace(base, **overrides)


def funnel_scenarios(
    targets: pd.DataFrame,
    kpis: pd.DataFrame,
    scenarios: Mapping[str, object],
    *,
    reps: pd.DataFrame | None = None,
    opportunities: pd.DataFrame | None = None,
    leads: pd.DataFrame | None = None,
    lead_scores: pd.DataFrame | None = None,
    min_records: int | None = None,
    as_of: str | pd.Timestamp | None = None,
    open_bookings: pd.Series | None = None,
    expected_bookings: Mapping[str, float] | None = None,
) -> FunnelScenarios:
    """The funnel plan (won deals -> MQLs) and headcount for each named ``FunnelConfig``
    (``min_records``: None takes each scenario's own).

    ``as_of``, ``open_bookings`` and ``expected_bookings`` are :func:`forecasting.funnel.
    compute_funnel`'s: with the plan date, months already over need nothing more and today's
    open deals are netted from the goals, as in the plan.

    The KPIs are computed once; each scenario only changes the assumptions worked back from the
    target, so differences between scenarios are the assumptions' doing alone.
    """
    from forecasting.funnel import build_funnel_plan, funnel_totals, plan_headcount

    if not scenarios:
        raise ForecastInputError("funnel scenarios: expected at least one named scenario, e.g. {'base': FunnelConfig()}.")
    goals, heads, plans = [], [], {}
    for name, assumptions in scenarios.items():
        plan = build_funnel_plan(targets, kpis, opportunities=opportunities, leads=leads, lead_scores=lead_scores,
                                 assumptions=assumptions, min_records=min_records, as_of=as_of,
                                 open_bookings=open_bookings)
        plans[name] = plan
        goals.append(funnel_totals(plan).assign(scenario=name))
        heads.append(plan_headcount(targets, plan, kpis, reps, assumptions,
                                    expected_bookings=expected_bookings).assign(scenario=name))
    goal_frame = pd.concat(goals, ignore_index=True)
    head_frame = pd.concat(heads, ignore_index=True)
    first = ["scenario"]
    return FunnelScenarios(goals=goal_frame[first + [c for c in goal_frame.columns if c != "scenario"]],
                           headcount=head_frame[first + [c for c in head_frame.columns if c != "scenario"]],
                           plans=plans)
