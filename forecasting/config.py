"""The forecasting engine's one configuration object: every knob of the bookings forecast and of
the coming quarter's pipeline forecast.

The hub derives the ``revops forecast`` flags, the plan file's ``[forecast]`` keys, their checks
and the MLflow parameters from this class, so a value is refused here, once, with the same rule
everywhere (a ``pydantic.ValidationError``, which is a ``ValueError``). Notebooks pass single
fields as keywords: ``forecast_bookings(history, horizon=6)``.
"""
from __future__ import annotations

import dataclasses
from typing import Annotated, Any, Literal, Mapping

from pydantic import ConfigDict, Field, field_validator, model_validator
from pydantic.dataclasses import dataclass

Level = Annotated[int, Field(gt=0, lt=100)]


@dataclass(frozen=True, config=ConfigDict(extra="forbid"))
class ForecastConfig:
    """How bookings are forecast per segment, and how the coming quarter's pipeline is simulated.

    ``horizon`` defaults to 3: the plan forecasts the quarter it plans (three months); ask for 12
    for a year ahead.
    """

    freq: Annotated[Literal["M", "Q"], Field(
        description="period of the history and the forecast: M (monthly) or Q (quarterly)")] = "M"
    horizon: Annotated[int, Field(
        ge=1, description="periods ahead to forecast (3 months: the quarter being planned)")] = 3
    levels: Annotated[tuple[Level, ...], Field(
        min_length=1, description="interval levels in percent, e.g. 80,95; 80 (p10-p90) is "
        "always included")] = (80, 95)
    backtest_origins: Annotated[int, Field(
        ge=1, description="rolling-origin backtest folds per segment (model choice and interval "
        "calibration)")] = 3
    backtest_step: Annotated[int | None, Field(
        ge=1, description="periods between backtest origins; none: horizon / backtest_origins "
        "(at least 1)")] = None
    refit: Annotated[bool, Field(
        description="re-estimate every model at every backtest origin (slower; folds run as "
        "separate parallel tasks) instead of running the first fit forward")] = False
    reuse_fit_from: Annotated[int | None, Field(
        ge=1, description="series with at least this many periods keep the parameters fitted "
        "at the first backtest origin for the final forecast, run forward over the whole "
        "history, instead of estimating them again (about half the work on long series; with "
        "refit off only); none: always estimate again")] = 120
    reuse_fit_share: Annotated[float, Field(
        gt=0, le=1, allow_inf_nan=False, description="reuse_fit_from applies only where the "
        "first backtest origin saw at least this share of the history (0.9: a new fit would "
        "add at most a tenth more data)")] = 0.9
    long_from_years: Annotated[int | None, Field(
        ge=2, description="series with at least this many full years of history are long: "
        "their forecast models are fitted to the log of bookings where the ups and downs grow "
        "with the level, an undamped-trend model joins the candidates, and the candidates "
        "within long_combine_tolerance of the best are combined; none: no series is long "
        "(the behaviour before issue #21)")] = 5
    long_combine_tolerance: Annotated[float, Field(
        ge=0, allow_inf_nan=False, description="on long series, candidates within this share "
        "of the best backtest MASE are combined (0.75: within 75%)")] = 0.75
    group_season: Annotated[bool, Field(
        description="also try each segment's level times the season of all segments' sum (needs "
        "two or more segments; turn off for segments that do not share one year)")] = True
    totals: Annotated[bool, Field(
        description="forecast the company total (all segments summed) and reconcile it; off for "
        "unrelated series")] = True
    combine_top: Annotated[int, Field(
        ge=1, description="at most this many close candidates are averaged into a "
        "combination")] = 4
    combine_tolerance: Annotated[float, Field(
        ge=0, allow_inf_nan=False, description="candidates within this share of the best "
        "backtest MASE are combined (0.25: within 25%)")] = 0.25
    fill_missing: Annotated[Literal["zero"] | None, Field(
        description="zero: a period without a row has no bookings; none: a missing period is an "
        "error")] = None
    allow_negative: Annotated[bool, Field(
        description="accept negative bookings (refunds); otherwise they are an error and "
        "forecasts are kept >= 0")] = False
    reconciliation: Annotated[Literal["bottom_up", "mint_shrink"], Field(
        description="how regions and the total are made to add up: bottom_up sums the "
        "segments; mint_shrink weighs every node by its backtest errors")] = "bottom_up"
    n_jobs: Annotated[int, Field(
        description="parallel workers (1: in process; -1: all cores)")] = 1
    backend: Annotated[Literal["loky", "dask"], Field(
        description="where parallel work runs: loky (local processes) or dask (a cluster at "
        "scheduler)")] = "loky"
    scheduler: Annotated[str | None, Field(
        min_length=1, description="Dask scheduler address, e.g. tcp://host:8786 (backend dask "
        "only)")] = None
    n_simulations: Annotated[int, Field(
        ge=100, description="Monte Carlo draws of the coming quarter in the pipeline "
        "forecast")] = 10_000
    calibration_quarters: Annotated[int, Field(
        ge=0, description="past quarters, forecast again the same way, that widen the pipeline "
        "forecast's interval to hold their actuals (0: the simulation's own spread)")] = 4
    categories: Annotated[dict[str, Literal["closed", "commit", "best_case", "pipeline", "omitted"]] | None, Field(
        description="stage -> forecast category (closed, commit, best_case, pipeline, omitted) "
        "for the roll-up, where opportunities carry no forecast_category; none: every open "
        "deal is pipeline")] = None

    @field_validator("n_jobs")
    @classmethod
    def _some_workers(cls, value: int) -> int:
        if value == 0:
            raise ValueError("0 workers cannot run anything; expected 1 (in process), a number "
                             "of workers, or -1 for all cores")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> "ForecastConfig":
        if self.backend == "dask" and self.scheduler is None:
            raise ValueError("backend 'dask' needs a scheduler address, e.g. "
                             "scheduler='tcp://127.0.0.1:8786'")
        if self.backend != "dask" and self.scheduler is not None:
            raise ValueError(f"scheduler {self.scheduler!r} is only used with backend='dask'; "
                             f"got backend={self.backend!r}")
        return self

    @property
    def interval_levels(self) -> tuple[float, ...]:
        """The levels forecast: ``levels`` plus 80 (p10 and p90), sorted, as floats."""
        return tuple(sorted({float(v) for v in self.levels} | {80.0}))


def configure(config: ForecastConfig | None, overrides: Mapping[str, Any],
              caller: str = "forecast_bookings") -> ForecastConfig:
    """``config`` (default ``ForecastConfig()``) with single fields replaced by ``overrides``;
    an unknown name is a TypeError listing the fields, a bad value a pydantic ValidationError."""
    if config is not None and not isinstance(config, ForecastConfig):
        raise TypeError(
            f"{caller}: config must be a ForecastConfig or None; got {type(config).__name__} "
            f"{config!r}. Pass single settings as keywords, e.g. {caller}(data, horizon=12, "
            "freq='M', levels=(80, 95)).")
    config = config or ForecastConfig()
    fields = config.__pydantic_fields__
    unknown = sorted(set(overrides) - set(fields))
    if unknown:
        raise TypeError(f"{caller}: unknown setting(s) {unknown}; expected ForecastConfig "
                        f"fields: {', '.join(fields)}.")
    return dataclasses.replace(config, **overrides) if overrides else config
