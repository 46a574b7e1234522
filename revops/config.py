"""The plan file (``plan.toml``): one typed, frozen configuration, checked whole when it is read.

Each engine owns its configuration object; the plan file's sections *are* those objects:
``[scoring]`` is :class:`scoring.ScoringConfig` (plus how the plan uses the registry),
``[forecast]`` :class:`forecasting.ForecastConfig`, ``[funnel]``
:class:`forecasting.funnel.FunnelConfig`, ``[territory]`` :class:`territory.TerritoryConfig`. The
commands derive their flags from the same objects (:mod:`revops.flags`), so a command and the plan
share defaults and checks. Every value is validated at load (types, ranges, choices, dates, list
lengths), every problem in one message naming the key; nothing runs before that.

TOML has no null: an optional setting is left out for its default, or written ``"none"``.
"""
from __future__ import annotations

import datetime as dt
import re
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal, Mapping

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, with_config
from pydantic.dataclasses import dataclass
from typing_extensions import TypedDict

# The engines' configuration modules, not their packages: `revops --help` builds every flag from
# these and must not import the engines' libraries (scikit-learn, PuLP, matplotlib...).
from forecasting.config import ForecastConfig
from forecasting.funnel.config import FunnelConfig
from scoring.config import MODEL_NAME_PATTERN, ScoringConfig
from territory.config import TerritoryConfig
from territory.compensation import CompensationConfig
from forecasting.revenue.config import RevenueConfig
from forecasting.review.config import SlaConfig
from scoring.config import CandidateName

from revops.errors import ConfigError, config_error

STEPS = ("scoring", "forecast", "funnel", "territory", "revenue", "review")
StepName = Literal["scoring", "forecast", "funnel", "territory", "revenue", "review"]
NONE_WORDS = ("none", "null")


def _known_tables(value: Mapping[str, Any]) -> Mapping[str, Any]:
    from revops.contracts import TABLES

    unknown = [t for t in value if t not in TABLES]
    if unknown:
        raise ValueError(f"unknown table(s) {', '.join(map(repr, unknown))}; allowed: {', '.join(TABLES)}")
    return value


def _known_encoding(value: str | None) -> str | None:
    import codecs

    if value is not None:
        try:
            codecs.lookup(value)
        except LookupError:
            raise ValueError(f"unknown encoding {value!r}; e.g. utf-8, cp1252, utf-16, latin-1") from None
    return value


Decimal = Literal[",", "."]
DateOrder = Literal["DMY", "MDY", "YMD"]
DECIMAL_HELP = ("decimal separator of numbers in the files (, or .); none: told by the values "
                "(a column's, else its file's, else the folder's), and refused where nothing tells")
DATE_ORDER_HELP = ("order of day, month and year in dates such as 03/04/2026 (DMY, MDY or YMD); "
                   "none: told by the values, and refused where nothing tells")
ENCODING_HELP = ("text encoding of the files (e.g. utf-8, cp1252, utf-16); none: detected "
                 "(byte-order mark, else UTF-8, else cp1252)")


@with_config(ConfigDict(extra="forbid"))
class TableReading(TypedDict, total=False):
    """How one table's file is written, where it differs from the other files: the plan file's
    ``[data.per_table.<table>]`` (a plain table, so it is written back as it was read)."""

    decimal: Annotated[Decimal, Field(description=DECIMAL_HELP)]
    date_order: Annotated[DateOrder, Field(description=DATE_ORDER_HELP)]
    encoding: Annotated[str, Field(min_length=1, description=ENCODING_HELP)]
    sheet: Annotated[str, Field(min_length=1, description="the sheet of an Excel workbook; default: the first")]
    delimiter: Annotated[str, Field(min_length=1, max_length=1, description="the CSV delimiter; default: detected")]


@dataclass(frozen=True)
class FileReading:
    """How to read one table's file: ``[data]`` with the table's ``per_table`` settings over it."""

    decimal: Decimal | None = None
    date_order: DateOrder | None = None
    encoding: str | None = None
    sheet: str | None = None
    delimiter: str | None = None


@dataclass(frozen=True, config=ConfigDict(extra="forbid"))
class DataConfig:
    """Where the tables are, how their files are written, and when the plan is made."""

    as_of: Annotated[dt.date | None, Field(
        description="the day the plan is made (YYYY-MM-DD); none: the latest date in the data")] = None
    tables: Annotated[dict[str, str], Field(
        description="table -> file name in the data folder, when the export's names differ")] = \
        Field(default_factory=dict)
    allow_outside: Annotated[bool, Field(
        description="let [data.tables] name files outside the data folder (or behind links)")] = False
    previous_plan: Annotated[str | None, Field(
        min_length=1, description="folder of the last plan (its --out), held against what happened "
        "since by the review step (a path relative to the working directory); none: no plan review")] = None
    target_growth: Annotated[float | None, Field(
        gt=-1, le=10, description="without a targets table: target = the last full quarter's "
        "bookings x (1 + growth); none: no targets")] = None
    decimal: Annotated[Decimal | None, Field(description=DECIMAL_HELP)] = None
    date_order: Annotated[DateOrder | None, Field(description=DATE_ORDER_HELP)] = None
    encoding: Annotated[str | None, Field(min_length=1, description=ENCODING_HELP)] = None
    per_table: Annotated[dict[str, TableReading], Field(
        description="table -> how its file is written, where it differs from the settings above")] = \
        Field(default_factory=dict)

    @field_validator("tables", "per_table")
    @classmethod
    def _tables(cls, value: dict[str, Any]) -> dict[str, Any]:
        return dict(_known_tables(value))

    @field_validator("encoding")
    @classmethod
    def _encoding(cls, value: str | None) -> str | None:
        return _known_encoding(value)

    @field_validator("per_table")
    @classmethod
    def _encodings(cls, value: dict[str, TableReading]) -> dict[str, TableReading]:
        for options in value.values():
            _known_encoding(options.get("encoding"))
        return value

    def reading(self, table: str) -> FileReading:
        """How ``table``'s file is written: its ``per_table`` settings, else the ones of ``[data]``."""
        own = self.per_table.get(table, {})
        return FileReading(decimal=own.get("decimal", self.decimal),
                           date_order=own.get("date_order", self.date_order),
                           encoding=own.get("encoding", self.encoding),
                           sheet=own.get("sheet"), delimiter=own.get("delimiter"))


@dataclass(frozen=True, config=ConfigDict(extra="forbid"))
class PlanScoringConfig(ScoringConfig):
    """The scorer's configuration, plus how the plan uses the registry."""

    mode: Annotated[Literal["train", "champion"], Field(
        description="train a new model (registered as challenger), or score with a registered one")] = "train"
    model_name: Annotated[str, Field(
        pattern=MODEL_NAME_PATTERN, description="registered model the plan's model is registered "
        "as (and read from in 'champion' mode)")] = "lead-scoring"
    model_uri: Annotated[str | None, Field(
        min_length=1, description="the registered model to score with in 'champion' mode; none: "
        "models:/<model_name>@champion")] = None

    def engine(self) -> ScoringConfig:
        """The scorer's own configuration (without the plan's registry settings)."""
        names = ScoringConfig.__pydantic_fields__
        return ScoringConfig(**{name: getattr(self, name) for name in names})

    def champion_uri(self) -> str:
        """The model 'champion' mode scores with."""
        return self.model_uri or f"models:/{self.model_name}@champion"


@dataclass(frozen=True, config=ConfigDict(extra="forbid"))
class PlanRevenueConfig(RevenueConfig):
    """The revenue engine's configuration, plus how the renewal model is trained and registered
    (the lead-scoring trainer, on the decided renewals, registered apart from lead-scoring)."""

    model_name: Annotated[str, Field(
        pattern=MODEL_NAME_PATTERN, description="registered model the renewal model is registered as")] = "renewal"
    candidates: Annotated[tuple[CandidateName, ...], Field(
        min_length=1, description="model families the renewal model compares on its time-ordered holdout")] = \
        ("logistic_regression", "gradient_boosting")

    def engine(self) -> RevenueConfig:
        """The revenue engine's own configuration (without the renewal model's settings)."""
        return RevenueConfig(**{name: getattr(self, name) for name in RevenueConfig.__pydantic_fields__})


@dataclass(frozen=True, config=ConfigDict(extra="forbid"))
class MlflowConfig:
    """Where the plan's runs and models go: the plan file's ``[mlflow]`` section."""

    tracking_uri: Annotated[str | None, Field(
        min_length=1, description="the MLflow store of a team (e.g. http://mlflow-host:5000, or "
        "sqlite:///models/mlflow.db, a path relative to the plan file); MLFLOW_TRACKING_URI wins "
        "over it; none: MLFLOW_TRACKING_URI, else models/mlflow.db of the working directory")] = None

    def anchored(self, folder: Path) -> "MlflowConfig":
        """A relative SQLite path read as relative to ``folder`` (the plan file's), so the plan
        finds its store from whichever folder it runs."""
        prefix = "sqlite:///"
        uri = self.tracking_uri
        if uri is None or not uri.startswith(prefix):
            return self
        path, query = (uri.removeprefix(prefix).split("?", 1) + [""])[:2]
        if not path or path == ":memory:" or Path(path).expanduser().is_absolute():
            return self
        absolute = (folder / path).resolve()
        return MlflowConfig(tracking_uri=f"{prefix}{absolute}" + (f"?{query}" if query else ""))


@dataclass(frozen=True, config=ConfigDict(extra="forbid"))
class ReportConfig:
    """How report.html writes the plan: the plan file's ``[report]`` section."""

    currency: Annotated[str | None, Field(
        min_length=1, max_length=8, pattern=r"^\S+$", description="currency of the amounts (an ISO "
        "code such as USD or EUR, or a sign such as $); none: amounts without a currency")] = None


class PlanConfig(BaseModel):
    """Everything a plan needs apart from the data. Every section has defaults: an empty plan file
    (or none) is a valid plan."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    seed: Annotated[int, Field(ge=0, le=2**32 - 1, description="random seed of every step")] = 0
    experiment: Annotated[str, Field(min_length=1, description="MLflow experiment of the plan's runs")] = \
        "revops-plan"
    steps: Annotated[tuple[StepName, ...], Field(
        description="steps to run, in order (none: only validate the inputs and write the summary)")] = STEPS
    data: DataConfig = Field(default_factory=DataConfig)
    columns: dict[str, dict[str, str]] = Field(default_factory=dict, description="table -> {theirs: ours}")
    derive: dict[str, Any] = Field(default_factory=dict, description="table -> [[rules]] (revops.prepare)")
    drop_empty: dict[str, Any] = Field(default_factory=dict, description="table -> columns")
    scoring: PlanScoringConfig = Field(default_factory=PlanScoringConfig)
    mlflow: MlflowConfig = Field(default_factory=MlflowConfig)
    forecast: ForecastConfig = Field(default_factory=ForecastConfig)
    funnel: FunnelConfig = Field(default_factory=FunnelConfig)
    territory: TerritoryConfig = Field(default_factory=TerritoryConfig)
    report: ReportConfig = Field(default_factory=ReportConfig)
    compensation: CompensationConfig = Field(default_factory=CompensationConfig)
    revenue: PlanRevenueConfig = Field(default_factory=PlanRevenueConfig)
    sla: SlaConfig = Field(default_factory=SlaConfig)

    @field_validator("columns", "derive", "drop_empty")
    @classmethod
    def _tables(cls, value: dict[str, Any]) -> dict[str, Any]:
        return dict(_known_tables(value))

    @field_validator("steps")
    @classmethod
    def _unique(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if len(set(value)) != len(value):
            raise ValueError("a step is listed twice")
        return value

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="python")

    def params(self) -> dict[str, str]:
        """Every setting as a flat ``section.key -> text`` dict: the MLflow run's parameters."""
        flat: dict[str, str] = {}

        def walk(prefix: str, value: Any) -> None:
            if isinstance(value, dict):
                for key, inner in value.items():
                    # A user's key (a stage "Proposal (sent)" under forecast.categories) may hold
                    # characters MLflow refuses in a parameter name: they become "_".
                    key = re.sub(r"[^\w\-. /]", "_", str(key))
                    walk(f"{prefix}.{key}" if prefix else key, inner)
            else:
                flat[prefix] = str(value)[:500]

        walk("", self.model_dump(mode="json"))
        return flat


def _none_words(raw: Any, model: Any) -> Any:
    """``"none"`` for an optional setting means None (TOML has no null)."""
    if not isinstance(raw, dict):
        return raw
    fields = getattr(model, "__pydantic_fields__", None) or getattr(model, "model_fields", {})
    out = {}
    for key, value in raw.items():
        info = fields.get(key)
        if info is None:
            out[key] = value
            continue
        annotation = info.annotation
        nested = annotation if hasattr(annotation, "__pydantic_fields__") else None
        if nested is not None:
            out[key] = _none_words(value, nested)
        elif isinstance(value, str) and value.strip().lower() in NONE_WORDS and _optional(annotation):
            out[key] = None
        else:
            out[key] = value
    return out


def _optional(annotation: Any) -> bool:
    import types
    import typing

    return (typing.get_origin(annotation) in (typing.Union, types.UnionType)
            and type(None) in typing.get_args(annotation))


def _key(loc: tuple) -> str:
    """An error location as the plan file spells it: ``territory.mip_gap``, ``forecast.levels[0]``."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _allowed(loc: tuple) -> list[str]:
    """The keys a plan-file section accepts (for an unknown key's message)."""
    model: Any = PlanConfig
    for part in loc:
        fields = getattr(model, "__pydantic_fields__", None) or getattr(model, "model_fields", {})
        info = fields.get(part) if isinstance(part, str) else None
        if info is None:
            return []
        model = info.annotation
    fields = getattr(model, "__pydantic_fields__", None) or getattr(model, "model_fields", None)
    return list(fields) if fields else []


def build_config(raw: Mapping[str, Any], where: str = "plan") -> PlanConfig:
    """A checked ``PlanConfig`` from the plan file's parsed contents; every problem in one error."""
    try:
        return PlanConfig.model_validate(_none_words(dict(raw), PlanConfig))
    except ValidationError as exc:
        raise config_error(exc, where, _key, _allowed) from None


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
        except UnicodeDecodeError as exc:
            raise ConfigError(f"{path}: not UTF-8 text ({exc.reason}); save the plan file as UTF-8.") from exc
    for key, value in (overrides or {}).items():
        raw[key] = value
    config = build_config(raw, str(path) if path else "plan")
    if path is not None and config.mlflow.tracking_uri:
        config = config.model_copy(update={"mlflow": config.mlflow.anchored(path.resolve().parent)})
    return config


def _toml_ready(value: Any, default: Any = ...) -> Any:
    if isinstance(value, dict):
        return {str(k): _toml_ready(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [_toml_ready(v) for v in value]
    return value


def config_to_toml(config: PlanConfig) -> str:
    """The effective configuration as TOML (``revops plan --print-config``); reading it back
    gives the same configuration. A setting that is None is written ``"none"`` when its default
    is not None, and left out otherwise."""
    import tomli_w

    def dump(obj: Any) -> dict[str, Any]:
        fields = getattr(obj, "__pydantic_fields__", None) or type(obj).model_fields
        out: dict[str, Any] = {}
        for name, info in fields.items():
            value = getattr(obj, name)
            if hasattr(value, "__pydantic_fields__") or isinstance(value, BaseModel):
                out[name] = dump(value)
            elif value is None:
                if info.default is not None:
                    out[name] = "none"
            elif isinstance(value, dict):
                out[name] = _toml_ready(value)
            elif isinstance(value, tuple):
                out[name] = list(value)
            else:
                out[name] = value
        return out

    return tomli_w.dumps(dump(config))
