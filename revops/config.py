"""The plan file (``plan.toml``): one typed, frozen configuration loaded once and passed down.

Every knob has a default, so an empty file (or none) is a valid plan. Unknown sections or keys
are errors that list the allowed ones: a typo must not silently fall back to a default.
"""
from __future__ import annotations

import collections.abc
import dataclasses
import re
import tomllib
import typing
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Mapping

from revops.errors import ConfigError

STEPS = ("scoring", "forecast", "funnel", "territory")


@dataclass(frozen=True)
class DataConfig:
    """Where the tables are and when the plan is made."""

    as_of: str = ""  # the day the plan is made (YYYY-MM-DD); empty = the latest date in the data
    tables: Mapping[str, str] = field(default_factory=dict)  # table -> file name in the data folder
    # Without a targets table: target = the last full quarter's bookings x (1 + growth). < -1: off.
    target_growth: float = -2.0


@dataclass(frozen=True)
class ScoringConfig:
    mode: str = "train"  # "train" a new challenger, or "champion" to score with the registered one
    target: str = "is_sql"
    positive: str = ""  # the label value meaning "became an SQL"; empty = 1/true/yes
    id_column: str = "lead_id"
    time_column: str = "created_at"  # time-ordered holdout; empty = stratified
    exclude: tuple[str, ...] = ()
    # Score cut-offs (0-100) for tiers A, B, C, e.g. [60, 35, 15]; empty = the holdout's
    # 90th / 70th / 40th score percentiles.
    tier_thresholds: tuple[float, ...] = ()
    model_uri: str = "models:/lead-scoring@champion"


@dataclass(frozen=True)
class ForecastConfig:
    freq: str = "M"
    horizon: int = 3  # periods ahead; the quarter being planned when freq = "M"
    levels: tuple[int, ...] = (80, 95)
    backtest_origins: int = 3
    n_jobs: int = 1
    backend: str = "loky"  # or "dask"
    scheduler: str = ""  # dask scheduler address when backend = "dask"
    fill_missing: str = ""  # "zero" fills months without bookings
    group_season: bool = True  # also try each segment's level x the season of their sum


@dataclass(frozen=True)
class FunnelConfig:
    min_records: int = 30  # rates built on fewer records are flagged
    expected_attainment: float = 0.8
    sqls_per_sdr_per_month: float = 20.0


@dataclass(frozen=True)
class TerritoryConfig:
    balance_tolerance: float = 0.10
    objective: str = "disruption"  # disruption | travel | mix
    max_moved_share: float = -1.0  # < 0: no cap on the share of potential moved
    over_assignment: float = 0.10
    solver: str = "highs"
    # The solver stops at this certified relative gap. A gap, unlike a time limit, makes the
    # same inputs give the same plan; the time limit is only a safety net.
    mip_gap: float = 0.005
    time_limit: float = 600.0
    best_effort: bool = True


@dataclass(frozen=True)
class PlanConfig:
    seed: int = 0
    experiment: str = "revops-plan"
    steps: tuple[str, ...] = STEPS
    data: DataConfig = field(default_factory=DataConfig)
    columns: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # table -> {theirs: ours}
    derive: Mapping[str, Any] = field(default_factory=dict)  # table -> [[rules]] (revops.prepare)
    drop_empty: Mapping[str, Any] = field(default_factory=dict)  # table -> columns
    scoring: ScoringConfig = field(default_factory=ScoringConfig)
    forecast: ForecastConfig = field(default_factory=ForecastConfig)
    funnel: FunnelConfig = field(default_factory=FunnelConfig)
    territory: TerritoryConfig = field(default_factory=TerritoryConfig)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def _convert(value: Any, annotation: Any, where: str) -> Any:
    origin = typing.get_origin(annotation)
    if annotation is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{where} must be true or false. Got {value!r} instead.")
        return value
    if annotation is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{where} must be an integer. Got {value!r} instead.")
        return value
    if annotation is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{where} must be a number. Got {value!r} instead.")
        return float(value)
    if annotation is str:
        if not isinstance(value, str):
            raise ConfigError(f"{where} must be a string. Got {value!r} instead.")
        return value
    if origin is tuple:
        if not isinstance(value, list):
            raise ConfigError(f"{where} must be a list. Got {value!r} instead.")
        inner = typing.get_args(annotation)[0]
        return tuple(_convert(v, inner, f"{where}[{i}]") for i, v in enumerate(value))
    if origin in (collections.abc.Mapping, dict) or annotation is Mapping:
        if not isinstance(value, dict):
            raise ConfigError(f"{where} must be a table. Got {value!r} instead.")
        return {str(k): v for k, v in value.items()}
    raise AssertionError(f"unsupported annotation {annotation}")  # pragma: no cover


def _build(cls: type, raw: Mapping[str, Any], where: str) -> Any:
    hints = typing.get_type_hints(cls)
    known = {f.name for f in fields(cls)}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ConfigError(
            f"{where}: unknown key(s) {', '.join(unknown)}. Allowed: {', '.join(sorted(known))}."
        )
    values = {}
    for name, value in raw.items():
        annotation = hints[name]
        key = f"{where}.{name}" if where else name
        if dataclasses.is_dataclass(annotation):
            if not isinstance(value, dict):
                raise ConfigError(f"[{key}] must be a table. Got {value!r} instead.")
            values[name] = _build(annotation, value, key)
        else:
            values[name] = _convert(value, annotation, key)
    return cls(**values)


def _check(config: PlanConfig) -> None:
    bad_steps = [s for s in config.steps if s not in STEPS]
    if bad_steps:
        raise ConfigError(f"steps: unknown step(s) {', '.join(bad_steps)}. Allowed: {', '.join(STEPS)}.")
    choices = {
        "scoring.mode": (config.scoring.mode, ("train", "champion")),
        "forecast.freq": (config.forecast.freq, ("M", "Q")),
        "forecast.backend": (config.forecast.backend, ("loky", "dask")),
        "forecast.fill_missing": (config.forecast.fill_missing, ("", "zero")),
        "territory.objective": (config.territory.objective, ("disruption", "travel", "mix")),
        "territory.solver": (config.territory.solver, ("highs", "cbc")),
    }
    for key, (value, allowed) in choices.items():
        if value not in allowed:
            raise ConfigError(
                f"The '{key}' setting must be one of {{{', '.join(map(repr, allowed))}}}. "
                f"Got {value!r} instead."
            )
    if not 0 < config.territory.balance_tolerance < 1:
        raise ConfigError("The 'territory.balance_tolerance' setting must be in (0, 1). "
                          f"Got {config.territory.balance_tolerance!r} instead.")
    from revops.contracts import TABLES

    for table in list(config.columns) + list(config.data.tables) + list(config.derive) + list(config.drop_empty):
        if table not in TABLES:
            raise ConfigError(f"columns/tables: unknown table '{table}'. Allowed: {', '.join(TABLES)}.")


def load_config(path: str | Path | None = None, overrides: Mapping[str, Any] | None = None) -> PlanConfig:
    """Read ``plan.toml`` (or defaults when ``path`` is None) into a checked ``PlanConfig``."""
    raw: dict[str, Any] = {}
    if path is not None:
        path = Path(path)
        if not path.is_file():
            raise ConfigError(f"{path}: plan file not found.")
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8-sig"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not valid TOML ({exc}).") from exc
    for key, value in (overrides or {}).items():
        raw[key] = value
    where = str(path) if path else "plan"
    try:
        config = _build(PlanConfig, raw, "")
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc}") from None
    _check(config)
    return config


def config_to_toml(config: PlanConfig) -> str:
    """The effective configuration as TOML text (for ``revops plan --print-config``)."""
    data = config.to_dict()
    lines: list[str] = []

    def toml_key(name: Any) -> str:
        name = str(name)
        return name if re.fullmatch(r"[A-Za-z0-9_-]+", name) else scalar(name)

    def scalar(value: Any) -> str:
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, (int, float)):
            return repr(value)
        if isinstance(value, (list, tuple)):
            return "[" + ", ".join(scalar(v) for v in value) + "]"
        if isinstance(value, dict):
            return "{" + ", ".join(f"{toml_key(k)} = {scalar(v)}" for k, v in value.items()) + "}"
        return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'

    tables = {k: v for k, v in data.items() if isinstance(v, dict)}
    for key, value in data.items():
        if key not in tables:
            lines.append(f"{key} = {scalar(value)}")
    for section, values in tables.items():
        nested = {k: v for k, v in values.items() if isinstance(v, dict)}
        lines.append(f"\n[{section}]")
        for key, value in values.items():
            if key not in nested:
                lines.append(f"{key} = {scalar(value)}")
        for key, value in nested.items():
            lines.append(f"\n[{section}.{key}]")
            for k, v in value.items():
                lines.append(f"{toml_key(k)} = {scalar(v)}")
    return "\n".join(lines) + "\n"
