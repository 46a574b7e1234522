"""Check and normalise the accounts, reps, costs and targets tables (one place, one message each).

Row numbers in messages count the header as row 1, so they match a spreadsheet view of the file.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from territory.errors import TerritoryInputError

ACCOUNT_COLUMNS = ("account_id", "segment", "region", "potential", "workload", "owner_rep_id")
REP_COLUMNS = ("rep_id", "segment", "region", "capacity")
COST_COLUMNS = ("account_id", "rep_id", "cost")
TARGET_COLUMNS = ("segment", "period", "target")
TRUE_WORDS = {"1", "true", "t", "yes", "y", "locked", "1.0"}
FALSE_WORDS = {"0", "false", "f", "no", "n", "", "nan", "none", "0.0"}


@dataclass(frozen=True)
class Inputs:
    """Validated tables. ``accounts.owner_rep_id`` is "" when the owner is empty or unknown;
    ``accounts.previous_rep_id`` keeps what the file said."""

    accounts: pd.DataFrame
    reps: pd.DataFrame
    costs: pd.DataFrame | None
    targets: pd.DataFrame | None
    unknown_owner_accounts: tuple[str, ...]
    locked_without_owner: tuple[str, ...]


def rows_text(positions: np.ndarray | list[int], limit: int = 5) -> str:
    """'rows 3, 9 (2 rows)' from 0-based positions; the header is row 1."""
    numbers = [int(p) + 2 for p in positions]
    shown = ", ".join(str(n) for n in numbers[:limit])
    more = f" and {len(numbers) - limit} more" if len(numbers) > limit else ""
    noun = "row" if len(numbers) == 1 else "rows"
    return f"{noun} {shown}{more} ({len(numbers)} {noun})"


def _fail(table: str, column: str, mask: np.ndarray, expected: str, got: pd.Series, hint: str):
    positions = np.flatnonzero(mask)
    sample = ", ".join(repr(v.item() if isinstance(v, np.generic) else v)
                       for v in got.to_numpy()[positions][:3])
    raise TerritoryInputError(
        f"{table}: column '{column}' must be {expected}; got {sample} at {rows_text(positions)}. "
        f"Hint: {hint}"
    )


def _require(table: str, frame: pd.DataFrame, columns: tuple[str, ...]) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise TerritoryInputError(f"{table}: expected a pandas DataFrame, got {type(frame).__name__}")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise TerritoryInputError(
            f"{table}: missing required column(s) {', '.join(repr(c) for c in missing)}; "
            f"found {', '.join(repr(str(c)) for c in frame.columns)}. "
            "Hint: rename the export's columns (the plan file's `columns` mapping does this)."
        )


def as_id(series: pd.Series) -> pd.Series:
    """Identifiers as text; empty for missing; 7.0 (a float column with blanks) becomes '7'."""
    if pd.api.types.is_float_dtype(series):
        values = series.to_numpy()
        finite = values[~np.isnan(values)]
        if finite.size and np.all(finite == np.round(finite)):
            series = series.astype("Int64")
    text = series.astype("string").fillna("").str.strip()
    return text.astype(object)


def _number(table: str, frame: pd.DataFrame, column: str, minimum: float | None,
            maximum: float | None = None, default: float | None = None, hint: str = "") -> pd.Series:
    raw = frame[column] if column in frame.columns else pd.Series(default, index=frame.index)
    if default is not None:
        raw = raw.where(~(raw.isna() | (raw.astype("string").str.strip() == "")), default)
    values = pd.to_numeric(raw, errors="coerce")
    bad = values.isna().to_numpy() | ~np.isfinite(values.to_numpy(dtype=float, na_value=np.nan))
    if bad.any():
        _fail(table, column, bad, "a finite number", raw, hint or f"fill in every '{column}'.")
    if minimum is not None and (values < minimum).any():
        expected = f">= {minimum:g}" + (f" and <= {maximum:g}" if maximum is not None else "")
        _fail(table, column, (values < minimum).to_numpy(), expected, raw, hint or "fix the sign.")
    if maximum is not None and (values > maximum).any():
        _fail(table, column, (values > maximum).to_numpy(), f"between {minimum:g} and {maximum:g}",
              raw, hint or f"'{column}' is a share.")
    return values.astype(float)


def _ids(table: str, frame: pd.DataFrame, column: str) -> pd.Series:
    ids = as_id(frame[column])
    empty = (ids == "").to_numpy()
    if empty.any():
        _fail(table, column, empty, "a non-empty identifier", frame[column], "every row needs an id.")
    duplicated = ids.duplicated(keep=False).to_numpy()
    if duplicated.any():
        _fail(table, column, duplicated, "unique", ids,
              "each id must appear once; remove or merge the duplicates.")
    return ids


def _flags(table: str, frame: pd.DataFrame, column: str) -> pd.Series:
    if column not in frame.columns:
        return pd.Series(False, index=frame.index)
    text = frame[column].astype("string").fillna("").str.strip().str.lower()
    unknown = ~text.isin(TRUE_WORDS | FALSE_WORDS)
    if unknown.any():
        _fail(table, column, unknown.to_numpy(), "a yes/no flag (1/0, true/false, empty = no)",
              frame[column], "use 1 for locked accounts and leave the rest empty.")
    return text.isin(TRUE_WORDS)


def _coordinates(frame: pd.DataFrame, table: str) -> tuple[pd.Series, pd.Series]:
    lat = pd.to_numeric(frame["lat"], errors="coerce") if "lat" in frame else None
    lon = pd.to_numeric(frame["lon"], errors="coerce") if "lon" in frame else None
    if lat is None or lon is None:
        nan = pd.Series(np.nan, index=frame.index)
        return nan, nan.copy()
    for name, values, bound in (("lat", lat, 90), ("lon", lon, 180)):
        bad = (values.abs() > bound).to_numpy()
        if bad.any():
            _fail(table, name, bad, f"between -{bound} and {bound} degrees", frame[name],
                  "coordinates are decimal degrees.")
    return lat.astype(float), lon.astype(float)


def check_accounts(accounts: pd.DataFrame) -> pd.DataFrame:
    table = "accounts"
    _require(table, accounts, ACCOUNT_COLUMNS)
    out = pd.DataFrame({"account_id": _ids(table, accounts, "account_id")})
    out["segment"] = as_id(accounts["segment"])
    blank = (out["segment"] == "").to_numpy()
    if blank.any():
        _fail(table, "segment", blank, "a segment name", accounts["segment"],
              "every account belongs to one segment.")
    out["region"] = as_id(accounts["region"])
    out["potential"] = _number(table, accounts, "potential", 0.0,
                               hint="potential is a non-negative amount (e.g. expected bookings).")
    out["workload"] = _number(table, accounts, "workload", 0.0,
                              hint="workload is non-negative effort (e.g. hours per quarter).")
    out["previous_rep_id"] = as_id(accounts["owner_rep_id"])
    out["locked"] = _flags(table, accounts, "locked").to_numpy()
    out["lat"], out["lon"] = _coordinates(accounts, table)
    out["row"] = np.arange(len(accounts))
    return out.reset_index(drop=True)


def check_reps(reps: pd.DataFrame) -> pd.DataFrame:
    table = "reps"
    _require(table, reps, REP_COLUMNS)
    out = pd.DataFrame({"rep_id": _ids(table, reps, "rep_id")})
    out["segment"] = as_id(reps["segment"])
    blank = (out["segment"] == "").to_numpy()
    if blank.any():
        _fail(table, "segment", blank, "a segment name", reps["segment"],
              "every rep sells to one segment.")
    out["region"] = as_id(reps["region"])
    out["capacity"] = _number(table, reps, "capacity", 0.0,
                              hint="capacity is in FTE: 1 for a full-time rep, 0 for none.")
    out["ramp"] = _number(table, reps, "ramp", 0.0, 1.0, default=1.0,
                          hint="ramp is productivity between 0 and 1 (1 = fully ramped).")
    out["lat"], out["lon"] = _coordinates(reps, table)
    out["row"] = np.arange(len(reps))
    return out.reset_index(drop=True)


def check_costs(costs: pd.DataFrame, accounts: pd.DataFrame, reps: pd.DataFrame) -> pd.DataFrame:
    table = "costs"
    _require(table, costs, COST_COLUMNS)
    out = pd.DataFrame({"account_id": as_id(costs["account_id"]), "rep_id": as_id(costs["rep_id"])})
    for column, known, other in (("account_id", accounts["account_id"], "accounts"),
                                 ("rep_id", reps["rep_id"], "reps")):
        unknown = ~out[column].isin(set(known))
        if unknown.any():
            _fail(table, column, unknown.to_numpy(), f"an id from the {other} table",
                  out[column], f"costs may only name {other} that exist.")
    out["cost"] = _number(table, costs, "cost", 0.0, hint="costs are non-negative (e.g. minutes).")
    duplicated = out.duplicated(["account_id", "rep_id"], keep=False).to_numpy()
    if duplicated.any():
        _fail(table, "account_id", duplicated, "one row per (account_id, rep_id)",
              out["account_id"] + "/" + out["rep_id"], "remove the repeated pairs.")
    return out


def check_targets(targets: pd.DataFrame) -> pd.DataFrame:
    table = "targets"
    _require(table, targets, TARGET_COLUMNS)
    out = pd.DataFrame({"segment": as_id(targets["segment"]), "period": as_id(targets["period"])})
    out["target"] = _number(table, targets, "target", 0.0, hint="targets are bookings amounts.")
    duplicated = out.duplicated(["segment", "period"], keep=False).to_numpy()
    if duplicated.any():
        _fail(table, "segment", duplicated, "one row per (segment, period)",
              out["segment"] + "/" + out["period"], "remove the repeated targets.")
    return out


def check_inputs(accounts: pd.DataFrame, reps: pd.DataFrame, costs: pd.DataFrame | None = None,
                 targets: pd.DataFrame | None = None) -> Inputs:
    """Validate every table; owners that are not reps become unassigned (counted, not an error)."""
    accounts = check_accounts(accounts)
    reps = check_reps(reps)
    known = set(reps["rep_id"])
    previous = accounts["previous_rep_id"]
    unknown = (previous != "") & ~previous.isin(known)
    accounts["owner_rep_id"] = previous.where(~unknown, "")
    # A lock without a rep to stay with cannot be honoured; it is reported, not enforced.
    orphan_locks = accounts["locked"] & (accounts["owner_rep_id"] == "")
    accounts.loc[orphan_locks, "locked"] = False
    checked_costs = None if costs is None else check_costs(costs, accounts, reps)
    checked_targets = None if targets is None else check_targets(targets)
    return Inputs(
        accounts=accounts,
        reps=reps,
        costs=checked_costs,
        targets=checked_targets,
        unknown_owner_accounts=tuple(accounts.loc[unknown, "account_id"]),
        locked_without_owner=tuple(accounts.loc[orphan_locks, "account_id"]),
    )
