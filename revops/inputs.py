"""Load a data folder: find each table, read it, check its contract, cross-check the tables.

Every problem in every file is gathered into one error, so a user fixes an export once, not
once per problem.
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import pandas as pd

from parsing import agreed, told_by
from revops.config import DataConfig
from revops.contracts import TABLES, DataContractError, validate_with_notes
from revops.errors import RevopsError
from revops.io import find_table
from revops.reading import conventions, decimal_point_problems, read_file
from revops.prepare import derive_columns
from revops.prepare import drop_empty as drop_empty_rows


@dataclass
class InputBundle:
    """The validated tables of one data folder, with what a user should know about them."""

    data_dir: Path
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    sources: dict[str, Path] = field(default_factory=dict)
    fingerprints: dict[str, str] = field(default_factory=dict)  # table -> sha256 of the file
    notes: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    def has(self, table: str) -> bool:
        return table in self.tables

    def get(self, table: str) -> pd.DataFrame:
        if table not in self.tables:
            raise RevopsError(f"{self.data_dir}: no '{table}' table (expected {table}.csv or {table}.parquet).")
        return self.tables[table]


class InputsError(RevopsError):
    """Several files broke their contracts; the message holds every problem of every file."""


def fingerprint(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def load_inputs(
    data_dir: str | os.PathLike[str],
    columns: Mapping[str, Mapping[str, str]] | None = None,
    file_names: Mapping[str, str] | None = None,
    tables: tuple[str, ...] = TABLES,
    derive: Mapping[str, Any] | None = None,
    drop_empty: Mapping[str, Any] | None = None,
    allow_outside: bool = False,
    reading: DataConfig | None = None,
) -> InputBundle:
    """Read and validate every table present in ``data_dir``; absent tables are simply absent.

    A file named in ``file_names`` must lie inside ``data_dir`` (after following links) unless
    ``allow_outside``: a plan file from someone else must not make revops read other files.

    ``reading``: the plan file's ``[data]``: how the files write numbers and dates and which
    encoding they use, for every file and per table. What the user did not set is told by the
    values: a column's own, else its file's other columns, else the folder's other files (an
    export made on one computer writes every table the same way).
    """
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise RevopsError(f"{data_dir}: no such data folder. Point --data at the folder of CRM exports.")
    reading = reading or DataConfig()
    bundle = InputBundle(data_dir=data_dir)
    errors: list[str] = []
    raws: dict[str, tuple[Path, pd.DataFrame, list[str]]] = {}
    for table in tables:
        if file_names and table in file_names:
            path = data_dir / file_names[table]
            inside = data_dir.resolve() in path.resolve().parents
            if not inside and not allow_outside:
                errors.append(
                    f"[data.tables] {table} = {file_names[table]!r}: the file is outside the data folder "
                    f"{data_dir}. Copy it into the folder, or set [data] allow_outside = true in the "
                    "plan file if you mean it.")
                continue
            if not path.is_file():
                errors.append(f"{path}: file not found (named for table '{table}' in the plan file).")
                continue
        else:
            path = find_table(data_dir, table)
        if path is None:
            continue
        try:
            raw = read_file(path, reading.reading(table))
            prep_notes: list[str] = []
            if derive and table in derive:
                raw, prep_notes = derive_columns(raw, derive[table], data_dir, str(path))
            if drop_empty and table in drop_empty:
                raw, dropped = drop_empty_rows(raw, drop_empty[table], str(path))
                prep_notes += dropped
        except (DataContractError, RevopsError) as exc:
            errors.append(str(exc))
            continue
        raws[table] = (path, raw, prep_notes)
    # What each file tells about its numbers and dates; the folder's word where the files agree.
    told = {table: told_by(raw) for table, (_, raw, _) in raws.items()}
    folder = agreed(told.values())
    for table, (path, raw, prep_notes) in raws.items():
        decimal = reading.reading(table).decimal or told[table].or_else(folder).decimal
        misread = decimal_point_problems(raw, path, decimal)
        if misread:
            errors.append(str(DataContractError(str(path), misread)))
            continue
        try:
            validated = validate_with_notes(
                table, raw, source=str(path), columns=(columns or {}).get(table),
                settings=conventions(reading.reading(table)), evidence=told[table].or_else(folder),
            )
        except (DataContractError, RevopsError) as exc:
            errors.append(str(exc))
            continue
        bundle.notes += prep_notes
        bundle.tables[table] = validated.frame
        bundle.sources[table] = path
        bundle.fingerprints[table] = fingerprint(path)
        bundle.counts[table] = len(validated.frame)
        bundle.notes += validated.notes
    if errors:
        raise InputsError("\n".join(errors))
    if not bundle.tables:
        raise RevopsError(
            f"{data_dir}: none of the expected tables were found. Expected files named "
            f"{', '.join(TABLES)} (.csv, .tsv, .txt, .xlsx or .parquet), or file names under [data.tables] in plan.toml."
        )
    cross_check(bundle)
    return bundle


def departed_owners_note(accounts: pd.DataFrame, reps: pd.DataFrame,
                         source: object = "accounts") -> tuple[int, str | None]:
    """Accounts owned by a rep id that is not in the reps table: how many, and a note. A departed
    owner is common and not an error: the territory engine treats such an account as unassigned
    (and says which owner is gone in its reason). The plan and ``revops territory solve`` both
    say it the same way, and hand the engine the owners as exported."""
    owner = accounts["owner_rep_id"]
    gone = owner.notna() & ~owner.isin(set(reps["rep_id"]))
    if not gone.any():
        return 0, None
    ids = sorted(owner[gone].unique())
    shown = ", ".join(ids[:5]) + (f" and {len(ids) - 5} more" if len(ids) > 5 else "")
    note = (f"{source}: {int(gone.sum())} account(s) are owned by {len(ids)} rep id(s) not in the "
            f"reps table ({shown}); they count as unassigned.")
    return int(gone.sum()), note


def cross_check(bundle: InputBundle) -> None:
    """References between tables."""
    if bundle.has("accounts"):
        accounts = bundle.tables["accounts"]
        departed = 0
        if bundle.has("reps"):
            departed, note = departed_owners_note(accounts, bundle.tables["reps"], bundle.sources["accounts"])
            if note:
                bundle.notes.append(note)
        bundle.counts["unassigned_accounts"] = int(accounts["owner_rep_id"].isna().sum()) + departed
    if bundle.has("opportunities"):
        opps = bundle.tables["opportunities"]
        open_without_amount = int((opps["is_won"].isna() & opps["amount"].isna()).sum())
        if open_without_amount:
            bundle.notes.append(
                f"{bundle.sources['opportunities']}: {open_without_amount} open opportunities have "
                "no amount; they are counted but add nothing to the weighted pipeline."
            )
        closed_without_amount = int((opps["is_won"].notna() & opps["amount"].isna()).sum())
        if closed_without_amount:
            bundle.notes.append(
                f"{bundle.sources['opportunities']}: {closed_without_amount} closed opportunities "
                "have no amount; they count in win rates but not in bookings."
            )
