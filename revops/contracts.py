"""The data contracts: one written contract per CRM table, checked once at the entry point.

``validate`` renames a CRM export's columns to the canonical names, coerces every contract
column to its type and reports *every* problem in one message: the file, the column, the rows
(first few, and how many), what was expected, what arrived, and how to fix it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Mapping

import numpy as np
import pandas as pd

from revops.errors import RevopsError

MAX_ROWS_SHOWN = 5
MAX_VALUES_SHOWN = 3
ROW_NOTE = "row numbers as in a spreadsheet, the header being row 1"


class DataContractError(RevopsError):
    """One or more inputs break their contract. ``problems`` lists each one."""

    def __init__(self, source: str, problems: list[str]):
        self.source = source
        self.problems = list(problems)
        plural = "s" if len(problems) != 1 else ""
        lines = [f"{source}: {len(problems)} problem{plural} found ({ROW_NOTE})"]
        lines += [f"  - {p}" for p in problems]
        super().__init__("\n".join(lines))


@dataclass(frozen=True)
class Column:
    """One column of a contract.

    kind: ``id`` (text, never empty), ``text``, ``number``, ``date``, ``flag`` (true/false,
    empty meaning "not decided yet" where ``nullable``), ``period`` (``2027Q1`` or ``2027-01``),
    ``raw`` (kept as it is; a later step checks it).
    """

    name: str
    kind: str
    required: bool = True
    nullable: bool = False
    nonnegative: bool = False
    default: object = None
    description: str = ""


@dataclass(frozen=True)
class TableContract:
    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()
    description: str = ""
    extra_columns: str = "keep"  # leads keep any feature column

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if c.required]


C = Column
CONTRACTS: dict[str, TableContract] = {
    "leads": TableContract(
        "leads",
        (
            C("lead_id", "id", description="unique lead identifier"),
            C("created_at", "date", description="when the lead became an MQL"),
            C("is_sql", "raw", required=False, description="label: became an SQL (empty = still open)"),
            C("segment", "text", required=False, nullable=True),
            C("account_id", "text", required=False, nullable=True),
        ),
        key=("lead_id",),
        description="one row per marketing-qualified lead; any other column is a feature",
    ),
    "opportunities": TableContract(
        "opportunities",
        (
            C("opportunity_id", "id"),
            C("account_id", "text", nullable=True),
            C("segment", "text"),
            C("created_at", "date"),
            C("stage", "text"),
            C("amount", "number", nullable=True, nonnegative=True, description="deal value"),
            C("close_date", "date", nullable=True, description="actual or expected close"),
            C("is_won", "flag", nullable=True, description="1 won, 0 lost, empty = open"),
            C("owner_rep_id", "text", required=False, nullable=True),
            C("closed_at", "date", required=False, nullable=True),
        ),
        key=("opportunity_id",),
    ),
    "bookings": TableContract(
        "bookings",
        (
            C("segment", "text"),
            C("period", "period"),
            C("bookings", "number"),
        ),
        key=("segment", "period"),
    ),
    "accounts": TableContract(
        "accounts",
        (
            C("account_id", "id"),
            C("segment", "text"),
            C("region", "text"),
            C("potential", "number", required=False, nullable=True, nonnegative=True,
              description="expected bookings potential; empty = taken from the forecast"),
            C("workload", "number", required=False, nonnegative=True, default=1.0,
              description="effort to serve the account; 1 per account when not given"),
            C("owner_rep_id", "text", nullable=True, description="current owner; may be empty"),
            C("lat", "number", required=False, nullable=True),
            C("lon", "number", required=False, nullable=True),
            C("locked", "flag", required=False, default=False),
        ),
        key=("account_id",),
    ),
    "reps": TableContract(
        "reps",
        (
            C("rep_id", "id"),
            C("segment", "text"),
            C("region", "text", nullable=True, description="empty: any region of its segment"),
            C("capacity", "number", required=False, nonnegative=True, default=1.0,
              description="full-time equivalents"),
            C("ramp", "number", required=False, nonnegative=True, default=1.0,
              description="productivity 0-1 (new hires ramp up)"),
            C("lat", "number", required=False, nullable=True),
            C("lon", "number", required=False, nullable=True),
            C("manager_id", "text", required=False, nullable=True),
        ),
        key=("rep_id",),
    ),
    "costs": TableContract(
        "costs",
        (C("account_id", "id"), C("rep_id", "id"), C("cost", "number", nonnegative=True)),
        key=("account_id", "rep_id"),
    ),
    "targets": TableContract(
        "targets",
        (C("segment", "text"), C("period", "period"), C("target", "number", nonnegative=True)),
        key=("segment", "period"),
    ),
}
TABLES = tuple(CONTRACTS)

_TRUE = {"1", "1.0", "true", "t", "yes", "y", "won", "closed won", "x"}
_FALSE = {"0", "0.0", "false", "f", "no", "n", "lost", "closed lost"}


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", str(name).lower())


def canonical_columns(
    frame: pd.DataFrame, contract: TableContract, mapping: Mapping[str, str] | None = None
) -> tuple[pd.DataFrame, list[str]]:
    """Rename columns: the user's mapping first, then a case/spacing-insensitive match."""
    problems: list[str] = []
    mapping = dict(mapping or {})
    missing_sources = [src for src in mapping if src not in frame.columns]
    for src in missing_sources:
        problems.append(
            f"the column mapping names '{src}' (-> '{mapping[src]}'), which is not in the file; "
            f"columns found: {', '.join(map(str, frame.columns))}"
        )
    renamed = frame.rename(columns={k: v for k, v in mapping.items() if k in frame.columns})
    present = set(renamed.columns)
    by_norm: dict[str, list[str]] = {}
    for col in renamed.columns:
        by_norm.setdefault(_norm(col), []).append(col)
    auto = {}
    for column in contract.columns:
        if column.name in present:
            continue
        candidates = [c for c in by_norm.get(_norm(column.name), []) if c not in auto]
        if len(candidates) == 1:
            auto[candidates[0]] = column.name
    return renamed.rename(columns=auto), problems


def _rows(mask: np.ndarray) -> tuple[str, int]:
    positions = np.flatnonzero(mask)
    shown = ", ".join(str(p + 2) for p in positions[:MAX_ROWS_SHOWN])
    more = len(positions) - MAX_ROWS_SHOWN
    text = ("row " if len(positions) == 1 else "rows ") + shown + (f" and {more} more" if more > 0 else "")
    return text, len(positions)


def _values(series: pd.Series, mask: np.ndarray) -> str:
    values = pd.unique(series[mask].astype(str))[:MAX_VALUES_SHOWN]
    return ", ".join(repr(v[:40]) for v in values)


def _empty(series: pd.Series) -> np.ndarray:
    as_text = series.astype("string").str.strip()
    return (series.isna() | (as_text == "")).to_numpy(dtype=bool)


def parse_numbers(series: pd.Series) -> pd.Series:
    """Numbers as exports write them: ``1200``, ``1,200.50``, ``$1 200``, ``1200,5``."""
    if pd.api.types.is_bool_dtype(series):
        return series.astype(float)
    if pd.api.types.is_numeric_dtype(series):
        return series.astype(float)
    text = series.astype("string").str.strip()
    text = text.str.replace(r"[\s$€£¥\u00a0']", "", regex=True)
    thousands = text.str.fullmatch(r"-?\d{1,3}(,\d{3})+(\.\d+)?", na=False)
    text = text.mask(thousands, text.str.replace(",", "", regex=False))
    decimal_comma = text.str.fullmatch(r"-?\d+,\d+", na=False)
    text = text.mask(decimal_comma, text.str.replace(",", ".", regex=False))
    return pd.to_numeric(text, errors="coerce").astype(float)


def parse_dates(series: pd.Series) -> pd.Series:
    """ISO dates first; then any common layout. Time zones are converted to naive UTC."""
    if pd.api.types.is_datetime64_any_dtype(series):
        parsed = series
    else:
        text = series.astype("string").str.strip()
        parsed = pd.to_datetime(text, errors="coerce", format="ISO8601", utc=True)
        retry = parsed.isna() & text.notna() & (text != "")
        if retry.any():
            parsed = parsed.copy()
            parsed[retry] = pd.to_datetime(text[retry], errors="coerce", format="mixed", utc=True)
    if getattr(parsed.dt, "tz", None) is not None:
        parsed = parsed.dt.tz_convert("UTC").dt.tz_localize(None)
    return parsed.astype("datetime64[ns]")


def parse_flags(series: pd.Series) -> pd.Series:
    """true/false, yes/no, 1/0, won/lost -> 1.0 / 0.0; empty -> NaN; anything else -> NaN."""
    text = series.astype("string").str.strip().str.lower()
    out = pd.Series(np.nan, index=series.index, dtype=float)
    out[text.isin(_TRUE).fillna(False).to_numpy(dtype=bool)] = 1.0
    out[text.isin(_FALSE).fillna(False).to_numpy(dtype=bool)] = 0.0
    return out


def parse_periods(series: pd.Series) -> pd.Series:
    """``2027Q1``, ``2027-Q1``, ``Q1 2027``, ``2027-01`` or a date -> canonical period text."""
    text = series.astype("string").str.strip().str.upper()
    quarter = text.str.extract(r"^(\d{4})\s*-?\s*Q([1-4])$")
    quarter_rev = text.str.extract(r"^Q([1-4])\s*[- ]?\s*(\d{4})$")
    out = pd.Series(pd.NA, index=series.index, dtype="string")
    q1 = quarter[0].notna()
    out[q1] = quarter[0][q1] + "Q" + quarter[1][q1]
    q2 = quarter_rev[0].notna() & out.isna()
    out[q2] = quarter_rev[1][q2] + "Q" + quarter_rev[0][q2]
    rest = out.isna() & text.notna()
    if rest.any():
        dates = pd.to_datetime(text[rest], errors="coerce", format="mixed")
        ok = dates.notna()
        out[rest[rest].index[ok.to_numpy()]] = dates[ok].dt.strftime("%Y-%m").to_numpy()
    return out


@dataclass
class Validated:
    """A validated table and the notes a user should read (defaults filled, rows excluded...)."""

    frame: pd.DataFrame
    notes: list[str] = field(default_factory=list)


def validate(
    table: str,
    frame: pd.DataFrame,
    source: str | None = None,
    columns: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Check ``frame`` against the contract of ``table``; return it with canonical names and types."""
    return validate_with_notes(table, frame, source, columns).frame


def validate_with_notes(
    table: str,
    frame: pd.DataFrame,
    source: str | None = None,
    columns: Mapping[str, str] | None = None,
) -> Validated:
    if table not in CONTRACTS:
        raise RevopsError(f"unknown table '{table}'; expected one of {', '.join(TABLES)}")
    contract = CONTRACTS[table]
    source = source or f"{table} table"
    if len(frame) == 0:
        raise DataContractError(
            source,
            [f"the file has no rows; expected a header and at least one {table[:-1]} row. "
             "Hint: export the table again, or remove the file if the step is not needed."],
        )
    frame, problems = canonical_columns(frame, contract, columns)
    notes: list[str] = []
    missing = [c for c in contract.required if c not in frame.columns]
    if missing:
        problems.append(
            f"missing required column(s) {', '.join(repr(m) for m in missing)}; columns found: "
            f"{', '.join(map(repr, frame.columns))}. Hint: rename them in the export, or map them "
            f"in plan.toml under [columns.{table}], e.g. \"Your Name\" = \"{missing[0]}\"."
        )
    out = frame.copy()
    for column in contract.columns:
        if column.name not in out.columns:
            if column.default is not None:
                out[column.name] = column.default
                notes.append(f"{source}: no '{column.name}' column; using {column.default!r} for every row")
            continue
        problems += _coerce(out, column)
    problems += _check_key(out, contract)
    if problems:
        raise DataContractError(source, problems)
    return Validated(out, notes)


def _coerce(out: pd.DataFrame, column: Column) -> list[str]:
    name, raw = column.name, out[column.name]
    empty = _empty(raw)
    problems = []
    if column.kind in ("id", "text"):
        values = raw.astype("string").str.strip()
        # Whole numbers read as floats ("12.0") would not match the same id elsewhere.
        if pd.api.types.is_float_dtype(raw):
            whole = raw.dropna() % 1 == 0
            if bool(whole.all()):
                values = raw.astype("Int64").astype("string")
        values = values.mask(pd.Series(empty, index=raw.index))
        out[name] = values.astype(object).where(~empty, None)
    elif column.kind == "number":
        parsed = parse_numbers(raw)
        bad = parsed.isna().to_numpy() & ~empty
        if bad.any():
            rows, n = _rows(bad)
            problems.append(
                f"column '{name}': {n} value(s) are not numbers ({rows}): found {_values(raw, bad)}. "
                "Expected a number such as 1200 or 1200.50."
            )
        if column.nonnegative:
            negative = (parsed < 0).to_numpy()
            if negative.any():
                rows, n = _rows(negative)
                problems.append(
                    f"column '{name}': {n} negative value(s) ({rows}): found {_values(raw, negative)}. "
                    f"Expected {name} >= 0. Hint: fix or remove those rows in the export."
                )
        if column.default is not None:
            parsed = parsed.fillna(float(column.default))
        out[name] = parsed
    elif column.kind == "date":
        parsed = parse_dates(raw)
        bad = parsed.isna().to_numpy() & ~empty
        if bad.any():
            rows, n = _rows(bad)
            problems.append(
                f"column '{name}': {n} date(s) cannot be read ({rows}): found {_values(raw, bad)}. "
                "Expected a date such as 2026-03-31 or 2026-03-31 14:05."
            )
        out[name] = parsed
    elif column.kind == "flag":
        parsed = parse_flags(raw)
        bad = parsed.isna().to_numpy() & ~empty
        if bad.any():
            rows, n = _rows(bad)
            problems.append(
                f"column '{name}': {n} value(s) are not true/false ({rows}): found {_values(raw, bad)}. "
                "Expected 1/0, true/false or yes/no" + (" (empty = not decided yet)." if column.nullable else ".")
            )
        if column.default is not None:
            parsed = parsed.fillna(float(bool(column.default)))
        out[name] = parsed if column.nullable else parsed.astype(bool) if column.default is not None else parsed
    elif column.kind == "period":
        parsed = parse_periods(raw)
        bad = parsed.isna().to_numpy() & ~empty
        if bad.any():
            rows, n = _rows(bad)
            problems.append(
                f"column '{name}': {n} period(s) cannot be read ({rows}): found {_values(raw, bad)}. "
                "Expected a quarter such as 2027Q1 or a month such as 2027-01."
            )
        out[name] = parsed.astype(object).where(parsed.notna(), None)
    if not column.nullable and column.default is None and column.kind != "raw":
        if empty.any():
            rows, n = _rows(empty)
            problems.append(
                f"column '{name}': {n} empty value(s) ({rows}). Expected a value in every row."
            )
    return problems


def _check_key(out: pd.DataFrame, contract: TableContract) -> list[str]:
    key = [k for k in contract.key if k in out.columns]
    if not key or len(key) != len(contract.key):
        return []
    dup = out.duplicated(subset=key, keep=False).to_numpy() & out[key].notna().all(axis=1).to_numpy()
    if not dup.any():
        return []
    rows, n = _rows(dup)
    label = " + ".join(key)
    example = out.loc[dup, key].astype(str).agg(" / ".join, axis=1).iloc[0]
    return [
        f"column{'s' if len(key) > 1 else ''} '{label}': {n} rows share a value that must be unique "
        f"({rows}): e.g. {example!r}. Hint: remove the duplicate rows from the export."
    ]
