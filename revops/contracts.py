"""The data contracts: one written contract per CRM table, checked once at the entry point.

``validate`` renames a CRM export's columns to the canonical names, reads every contract column
through the parsing layer (:mod:`parsing`) and reports *every* problem in one message: the file,
the column, the rows (first few, and how many), what was expected, what arrived, and how to fix
it. Numbers and dates are read a whole column at a time: the decimal separator and the day/month
order come from the user's settings, else from the column's own values, else from what the rest
of the file (or folder) tells; a column that stays ambiguous, or mixes two readings, is refused
with the setting that settles it. Non-finite numbers and absurd magnitudes are refused like
negative ones.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Iterable, Mapping

import numpy as np
import pandas as pd

from parsing.column import ColumnReading
from parsing import (ORDER_WORDS, Conventions, DateReading, InputError, InputProblem,
                     NumberReading, found_values, read_dates, read_flags, read_numbers,
                     read_periods, rows_text, told_by)
from revops.errors import RevopsError

# Above this, an amount, a target or a potential is a unit or export error, not a deal.
MAX_MONEY = 1e15
_SAMPLE = 100  # distinct values tried before a whole feature column is read


class DataContractError(RevopsError, InputError):
    """One or more inputs break their contract. ``problems`` lists each one (as text),
    ``details`` the structured :class:`parsing.InputProblem` of each."""

    def __init__(self, source: str, problems: list[InputProblem | str]):
        InputError.__init__(self, source, problems)


@dataclass(frozen=True)
class Column:
    """One column of a contract.

    kind: ``id`` (text, never empty), ``text``, ``number``, ``date``, ``flag`` (true/false,
    empty meaning "not decided yet" where ``nullable``), ``period`` (``2027Q1`` or ``2027-01``),
    ``raw`` (kept as it is; a later step checks it). ``max_abs``: largest plausible magnitude.
    """

    name: str
    kind: str
    required: bool = True
    nullable: bool = False
    nonnegative: bool = False
    default: object = None
    description: str = ""
    max_abs: float | None = None


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
            C("owner_rep_id", "text", required=False, nullable=True, description="the rep working the lead"),
            C("disposition", "text", required=False, nullable=True,
              description="sales' verdict: accepted / rejected (empty = not decided)"),
            C("rejection_reason", "text", required=False, nullable=True,
              description="why sales rejected the lead"),
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
            C("amount", "number", nullable=True, nonnegative=True, description="deal value",
              max_abs=MAX_MONEY),
            C("close_date", "date", nullable=True, description="actual or expected close"),
            C("is_won", "flag", nullable=True, description="1 won, 0 lost, empty = open"),
            C("owner_rep_id", "text", required=False, nullable=True),
            C("closed_at", "date", required=False, nullable=True),
            C("type", "text", required=False, nullable=True,
              description="new / renewal / expansion (empty: new business)"),
            C("forecast_category", "text", required=False, nullable=True,
              description="closed / commit / best case / pipeline / omitted (empty: from the stage)"),
        ),
        key=("opportunity_id",),
    ),
    "bookings": TableContract(
        "bookings",
        (
            C("segment", "text"),
            C("period", "period"),
            C("bookings", "number", max_abs=MAX_MONEY),
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
              description="expected bookings potential; empty = taken from the forecast", max_abs=MAX_MONEY),
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
            C("hire_date", "date", required=False, nullable=True,
              description="first day; ramp by month of tenure from here"),
            C("end_date", "date", required=False, nullable=True,
              description="last day (a rep leaving); empty: staying"),
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
        (C("segment", "text"), C("period", "period"),
         C("target", "number", nonnegative=True, max_abs=MAX_MONEY),
         C("type", "text", required=False, nullable=True,
           description="new / renewal / expansion (empty: new business); the funnel works back the new part")),
        key=("segment", "period", "type"),
    ),
    "subscriptions": TableContract(
        "subscriptions",
        (
            C("subscription_id", "id", description="one row per subscription; a renewal is a new row"),
            C("account_id", "id"),
            C("segment", "text"),
            C("start_date", "date", description="first day of service"),
            C("end_date", "date", nullable=True, description="last day of service; empty: open-ended"),
            C("arr", "number", nonnegative=True, max_abs=MAX_MONEY, description="annual recurring revenue"),
            C("product", "text", required=False, nullable=True),
        ),
        key=("subscription_id",),
        description="recurring contracts per account (ARR, renewals, churn)",
    ),
    "spend": TableContract(
        "spend",
        (
            C("period", "period"),
            C("segment", "text"),
            C("amount", "number", nonnegative=True, max_abs=MAX_MONEY, description="marketing and sales cost"),
            C("channel", "text", required=False, nullable=True),
        ),
        key=("period", "segment", "channel"),
        description="marketing and sales spend per period and segment (CAC, cost per lead, ROI)",
    ),
    "activities": TableContract(
        "activities",
        (
            C("activity_id", "id"),
            C("lead_id", "id", description="the lead worked (in the leads table)"),
            C("at", "date", description="when the activity happened (date and time)"),
            C("channel", "text", description="call / email / meeting / other"),
            C("rep_id", "text", required=False, nullable=True),
            C("outcome", "text", required=False, nullable=True,
              description="free text; 'accepted' or 'rejected: <reason>' records sales' verdict"),
        ),
        key=("activity_id",),
        description="one row per touch of a lead (calls, emails, meetings)",
    ),
    "forecast_calls": TableContract(
        "forecast_calls",
        (
            C("owner_id", "id", description="the rep, manager or segment (or Total) calling"),
            C("period", "period", description="the quarter called, e.g. 2027Q1"),
            C("amount", "number", max_abs=MAX_MONEY, description="the bookings the owner calls"),
            C("category", "text", required=False, nullable=True,
              description="what the call is (commit, best case); empty: the call"),
            C("note", "text", required=False, nullable=True),
        ),
        key=("owner_id", "period", "category"),
        description="each owner's call of the quarter beside the model (the forecast roll-up)",
    ),
}
TABLES = tuple(CONTRACTS)


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


@dataclass
class Validated:
    """A validated table and the notes a user should read (defaults filled, rows excluded...)."""

    frame: pd.DataFrame
    notes: list[str] = field(default_factory=list)




def setting_hint(setting: str, table: str, choices: Iterable[str]) -> str:
    """How to settle a reading: the plan-file key (every file, or this table's only) and the flag."""
    options = " or ".join(f'"{c}"' for c in choices)
    return (f"set {setting} = {options} under [data] in the plan file (every file), or under "
            f"[data.per_table.{table}] (this file only); on the command line, "
            f"--{setting.replace('_', '-')}.")


def validate(
    table: str,
    frame: pd.DataFrame,
    source: str | None = None,
    columns: Mapping[str, str] | None = None,
    *,
    settings: Conventions | None = None,
    evidence: Conventions | None = None,
) -> pd.DataFrame:
    """Check ``frame`` against the contract of ``table``; return it with canonical names and types.

    ``settings``: the decimal separator and date order the user set (they win); ``evidence``:
    what the file (and its folder) tells, for the columns whose own values do not; None: what
    the other columns of ``frame`` tell (:func:`parsing.told_by`).
    """
    return validate_with_notes(table, frame, source, columns, settings=settings, evidence=evidence).frame


def validate_with_notes(
    table: str,
    frame: pd.DataFrame,
    source: str | None = None,
    columns: Mapping[str, str] | None = None,
    *,
    settings: Conventions | None = None,
    evidence: Conventions | None = None,
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
    settings = settings or Conventions()
    fallback = evidence if evidence is not None else told_by(frame)
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
    reader = _Reader(table, settings, fallback)
    for column in contract.columns:
        if column.name not in out.columns:
            if column.default is not None:
                out[column.name] = column.default
                notes.append(f"{source}: no '{column.name}' column; using {column.default!r} for every row")
            continue
        problems += reader.coerce(out, column)
    if contract.extra_columns == "keep":
        known = {c.name for c in contract.columns}
        problems += reader.type_features(out, [c for c in out.columns if c not in known])
    problems += _check_key(out, contract)
    if problems:
        raise DataContractError(source, problems)
    return Validated(out, notes)


def type_features(
    frame: pd.DataFrame,
    names: Iterable[str],
    *,
    table: str = "leads",
    source: str | None = None,
    settings: Conventions | None = None,
    evidence: Conventions | None = None,
) -> pd.DataFrame:
    """Columns of ``names`` whose every value is a number (or every value a date) become numbers
    (dates), read like contract columns; the others are left as they are. For files that have no
    contract of their own (a lead export for ``revops score``): the model then sees the values
    the user meant, and an ambiguous column is refused with the setting that settles it."""
    settings = settings or Conventions()
    fallback = evidence if evidence is not None else told_by(frame)
    out = frame.copy()
    problems = _Reader(table, settings, fallback).type_features(out, list(names))
    if problems:
        raise DataContractError(source or f"{table} table", problems)
    return out


@dataclass
class _Reader:
    """Reads the columns of one table with its settings and the evidence of its file."""

    table: str
    settings: Conventions
    fallback: Conventions

    def coerce(self, out: pd.DataFrame, column: Column) -> list[InputProblem]:
        name, raw = column.name, out[column.name]
        problems: list[InputProblem] = []
        if column.kind in ("id", "text"):
            empty = _empty_text(raw)
            values = raw.astype("string").str.strip()
            # Whole numbers read as floats ("12.0") would not match the same id elsewhere.
            if pd.api.types.is_float_dtype(raw):
                whole = raw.dropna() % 1 == 0
                if bool(whole.all()):
                    values = raw.astype("Int64").astype("string")
            out[name] = values.astype(object).where(~empty, None)
        elif column.kind == "number":
            reading = read_numbers(raw, decimal=self.settings.decimal, fallback=self.fallback.decimal)
            empty = reading.missing
            problems += self.number_problems(name, raw, reading)
            problems += _bounds(column, raw, reading)
            values = pd.Series(reading.values, index=raw.index)
            if column.default is not None:
                values = values.fillna(float(column.default))
            out[name] = values
        elif column.kind == "date":
            reading = read_dates(raw, order=self.settings.date_order, fallback=self.fallback.date_order)
            empty = reading.missing
            problems += self.date_problems(name, raw, reading, "date(s) cannot be read",
                                           "a date such as 2026-03-31 or 2026-03-31 14:05")
            out[name] = pd.Series(reading.values, index=raw.index)
        elif column.kind == "flag":
            values, bad = read_flags(raw)
            empty = np.isnan(values) & ~bad
            if bad.any():
                problems.append(InputProblem(
                    name, "value(s) are not true/false", rows=_positions(bad), found=found_values(raw, bad),
                    expected="1/0, true/false or yes/no" + (" (empty = not decided yet)" if column.nullable else "")))
            series = pd.Series(values, index=raw.index)
            if column.default is not None:
                series = series.fillna(float(bool(column.default)))
            out[name] = series if column.nullable else series.astype(bool) if column.default is not None else series
        elif column.kind == "period":
            reading = read_periods(raw, order=self.settings.date_order, fallback=self.fallback.date_order)
            empty = reading.missing
            if reading.dates is not None:
                rows = reading.date_rows
                problems += [_shift(p, rows) for p in
                             self.date_problems(name, raw.iloc[rows], reading.dates, None, None)]
            if reading.bad.any():
                problems.append(InputProblem(
                    name, "period(s) cannot be read", rows=_positions(reading.bad),
                    found=found_values(raw, reading.bad),
                    expected="a quarter such as 2027Q1 or a month such as 2027-01"))
            out[name] = reading.values
        else:
            empty = _empty_text(raw)
        if not column.nullable and column.default is None and column.kind != "raw" and empty.any():
            problems.append(InputProblem(name, "empty value(s)", rows=_positions(empty),
                                         expected="a value in every row"))
        return problems

    def number_problems(self, name: str, raw: pd.Series, reading: NumberReading) -> list[InputProblem]:
        hint = setting_hint("decimal", self.table, (",", "."))
        problems = _one_reading(
            name, raw, reading, hint, kinds=("decimal point", "decimal comma"),
            mixed="value(s) read only with a decimal point or only with a decimal comma, both in one column",
            one="one decimal separator per column",
            fix="fix the export so the column uses one separator; with a setting, the values that "
                "do not read under it are reported: ",
            undecided="value(s) read differently with a decimal comma and a decimal point",
            shows="a column, or a file, that shows which separator it uses (such as 1.234,50 or 1,234.50)")
        if reading.mixed and reading.decided_by != "setting":
            return problems
        if reading.bad.any():
            told = "" if reading.decided_by != "setting" else f" (with decimal = {reading.decimal!r}, as set)"
            problems.append(InputProblem(
                name, "value(s) are not numbers", rows=_positions(reading.bad),
                found=found_values(raw, reading.bad),
                expected=f"a number such as 1200 or 1200.50{told}"))
        return problems

    def date_problems(self, name: str, raw: pd.Series, reading: DateReading, issue: str | None,
                      expected: str | None) -> list[InputProblem]:
        hint = setting_hint("date_order", self.table, ("DMY", "MDY", "YMD"))
        problems = _one_reading(
            name, raw, reading, hint, kinds=("day first", "month first"),
            mixed="date(s) read only day-first or only month-first, both in one column",
            one="one day/month order per column",
            fix="fix the export so the column uses one order; with a setting, the dates that do "
                "not read under it are reported: ",
            undecided="date(s) read differently day-first and month-first",
            shows="a column, or a file, with a date that shows the order (a day above 12, such as "
                  "31/03/2026)")
        if reading.mixed and reading.decided_by != "setting":
            return problems
        if issue is not None and reading.bad.any():
            told = ("" if reading.decided_by != "setting"
                    else f" in {ORDER_WORDS[reading.order]} order (date_order = {reading.order!r}, as set)")
            problems.append(InputProblem(
                name, issue, rows=_positions(reading.bad), found=found_values(raw, reading.bad),
                expected=f"{expected}{told}"))
        return problems

    def type_features(self, out: pd.DataFrame, names: list[str]) -> list[InputProblem]:
        problems: list[InputProblem] = []
        for name in names:
            raw = out[name]
            if not (pd.api.types.is_object_dtype(raw.dtype) or pd.api.types.is_string_dtype(raw.dtype)):
                continue
            kind = _all_of_one_kind(raw)
            if kind == "number":
                reading = read_numbers(raw, decimal=self.settings.decimal, fallback=self.fallback.decimal)
                if reading.bad.any() or reading.missing.all():
                    continue
                found = self.number_problems(name, raw, reading)
                problems += found
                if not found:
                    out[name] = pd.Series(reading.values, index=raw.index)
            elif kind == "date":
                reading = read_dates(raw, order=self.settings.date_order, fallback=self.fallback.date_order)
                if reading.bad.any() or reading.missing.all():
                    continue
                found = self.date_problems(name, raw, reading, None, None)
                problems += found
                if not found:
                    out[name] = pd.Series(reading.values, index=raw.index)
        return problems


def _all_of_one_kind(raw: pd.Series) -> str | None:
    """"number" or "date" when a sample of the column's distinct values all read that way."""
    uniques = pd.unique(raw.dropna())
    sample = pd.Series(uniques[:_SAMPLE], dtype=object)
    if not any(isinstance(v, str) and any(ch.isdigit() for ch in v) for v in sample):
        return None
    numbers = read_numbers(sample)
    if not numbers.bad.any() and not numbers.missing.all():
        return "number"
    dates = read_dates(sample)
    if not dates.bad.any() and not dates.missing.all():
        return "date"
    return None


def _positions(mask: np.ndarray) -> tuple[int, ...]:
    return tuple(int(p) for p in np.flatnonzero(mask))


def _shift(problem: InputProblem, positions: np.ndarray) -> InputProblem:
    """A problem found in a part of a column, with the part's rows as the column's."""
    return replace(problem, rows=tuple(int(positions[r]) for r in problem.rows))


def _empty_text(series: pd.Series) -> np.ndarray:
    as_text = series.astype("string").str.strip()
    return (series.isna() | (as_text == "")).to_numpy(dtype=bool)


def _one_reading(name: str, raw: pd.Series, reading: ColumnReading, hint: str, *,
                 kinds: tuple[str, str], mixed: str, one: str, fix: str, undecided: str,
                 shows: str) -> list[InputProblem]:
    """A column read two ways at once, or undecided between them: the problems numbers and
    dates share (:class:`parsing.column.ColumnReading`), in each one's words."""
    if reading.mixed and reading.decided_by != "setting":
        first, second = reading.told_rows()
        return [InputProblem(
            name, mixed, rows=_positions(first | second),
            found=(f"{found_values(raw, first)} ({kinds[0]}) and "
                   f"{found_values(raw, second)} ({kinds[1]})"),
            expected=one,
            hint=fix + hint)]
    if reading.undecided:
        return [InputProblem(name, undecided, rows=_positions(reading.ambiguous),
                             found=found_values(raw, reading.ambiguous), expected=shows, hint=hint)]
    return []

def _bounds(column: Column, raw: pd.Series, reading: NumberReading) -> list[InputProblem]:
    """Infinite, implausibly large and (where refused) negative values."""
    problems = []
    values = reading.values
    if len(reading.currencies) > 1:
        signs = sorted(reading.currencies)
        where = "; ".join(f"{sign} in {rows_text(reading.currencies[sign])}" for sign in signs)
        problems.append(InputProblem(
            column.name, f"values in {len(signs)} currencies ({where})",
            expected="one currency per column",
            hint="convert the amounts to one currency in the export (revops does not convert)."))
    nonfinite = reading.nonfinite
    if nonfinite.any():
        problems.append(InputProblem(
            column.name, "value(s) are not finite numbers", rows=_positions(nonfinite),
            found=found_values(raw, nonfinite), expected="a finite number",
            hint="fix or remove those rows in the export (inf, Infinity and numbers beyond 1e308 "
                 "are not amounts)."))
    if column.max_abs is not None:
        with np.errstate(invalid="ignore"):
            huge = np.isfinite(values) & (np.abs(values) > column.max_abs)
        if huge.any():
            problems.append(InputProblem(
                column.name, "value(s) are implausibly large", rows=_positions(huge),
                found=found_values(raw, huge), expected=f"{column.name} of at most {column.max_abs:.0e}",
                hint="check the export's units and separators; fix or remove those rows."))
    if column.nonnegative:
        with np.errstate(invalid="ignore"):
            negative = values < 0
        if negative.any():
            problems.append(InputProblem(
                column.name, "negative value(s)", rows=_positions(negative),
                found=found_values(raw, negative), expected=f"{column.name} >= 0",
                hint="fix or remove those rows in the export."))
    return problems


def _check_key(out: pd.DataFrame, contract: TableContract) -> list[str]:
    key = [k for k in contract.key if k in out.columns]
    # An optional key column that is absent leaves the rest as the key (targets without type).
    absent = [k for k in contract.key if k not in out.columns]
    if not key or any(contract.column(k).required for k in absent):
        return []
    needed = [k for k in key if contract.column(k).required]  # an empty optional part is a value
    dup = out.duplicated(subset=key, keep=False).to_numpy() & out[needed].notna().all(axis=1).to_numpy()
    if not dup.any():
        return []
    label = " + ".join(key)
    example = out.loc[dup, key].astype(str).agg(" / ".join, axis=1).iloc[0]
    return [
        f"column{'s' if len(key) > 1 else ''} '{label}': {int(dup.sum())} rows share a value that must "
        f"be unique ({rows_text(dup)}): e.g. {example!r}. Hint: remove the duplicate rows from the export."
    ]
