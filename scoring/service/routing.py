"""A territory plan, as the endpoint routes with it: account owners, reps and their pools.

Read from a plan's output folder (``territory/assignments.csv`` and ``territory/rep_summary.csv``,
or the same two files directly in the folder: what ``revops plan`` and ``revops territory solve``
write). The service reads the files itself, with the csv module: it does not import the
territory engine. Pools follow the territory rules: a lead of segment S and region R may go to
the active reps (capacity > 0) of segment S whose region is R or empty; a lead without a region
may go to any active rep of its segment. A rep's weight is capacity x ramp (ramp 1 when absent).

A :class:`RoutingPlan` is immutable once loaded; :class:`PlanSource` gives the follower in
scoring.service.holder (the one that follows the champion model) a version (the files' sizes and
times) and a loader, so a new plan is read beside the old one and swapped in by one reference
assignment: no request ever sees half a plan.
"""
from __future__ import annotations

import csv
import datetime as dt
import math
import os
from dataclasses import dataclass, field
from pathlib import Path

PLAN_FILES = ("assignments.csv", "rep_summary.csv")
ASSIGNMENT_COLUMNS = ("account_id", "rep_id")
REP_COLUMNS = ("rep_id", "segment", "region", "capacity")
WEIGHT_SCALE = 1000  # weights as integers (capacity x ramp x 1000): the same picks on every machine


class PlanError(ValueError):
    """A plan folder or unavailable-reps file that cannot be routed with; the message says why."""


@dataclass(frozen=True)
class Account:
    rep_id: str
    pool: str
    segment: str
    region: str


@dataclass(frozen=True)
class Pool:
    """The reps a lead of this (segment, region) may go to, sorted by rep_id, with their weights."""

    name: str
    reps: tuple[str, ...]
    weights: tuple[int, ...]


def _key(text: object) -> str:
    """Segment and region names as compared: case and surrounding spaces do not matter."""
    return str(text).strip().casefold()


def plan_folder(folder: Path) -> Path:
    """The folder holding the two plan files: ``folder`` itself or its ``territory/``."""
    folder = Path(folder)
    for candidate in (folder, folder / "territory"):
        if all((candidate / name).is_file() for name in PLAN_FILES):
            return candidate
    raise PlanError(f"territory_plan {str(folder)!r} holds no territory plan: expected "
                    f"{' and '.join(PLAN_FILES)} in it or in its territory/ folder "
                    "(the output of revops plan or revops territory solve)")


def _rows(path: Path, required: tuple[str, ...]) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in required if c not in (reader.fieldnames or ())]
        if missing:
            raise PlanError(f"{path}: missing column(s) {', '.join(missing)}; has {', '.join(reader.fieldnames or [])}")
        return list(reader)


def _number(text: str, default: float, path: Path, line: int, column: str) -> float:
    if text is None or not text.strip():
        return default
    try:
        value = float(text)
    except ValueError:
        raise PlanError(f"{path}, line {line}: {column} {text!r} is not a number") from None
    if not math.isfinite(value) or value < 0:
        raise PlanError(f"{path}, line {line}: {column} {text!r} must be a number >= 0")
    return value


def read_unavailable(path: Path | None) -> frozenset[str]:
    """Rep ids in a file: a CSV with a ``rep_id`` column, or one id per line."""
    if path is None:
        return frozenset()
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise PlanError(f"unavailable: no file {str(path)!r}") from None
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    if lines and "rep_id" in [c.strip() for c in lines[0].split(",")]:
        reader = csv.DictReader(lines, skipinitialspace=True)
        return frozenset(row["rep_id"].strip() for row in reader if (row.get("rep_id") or "").strip())
    return frozenset(lines)


@dataclass(frozen=True)
class RoutingPlan:
    """Owners of the plan's accounts and the reps of each pool; ``version`` names the files read."""

    folder: Path
    version: str
    accounts: dict[str, Account]
    reps: dict[str, tuple[str, str, int]]        # rep_id -> (segment, region, weight)
    unavailable_file: frozenset[str] = frozenset()
    loaded_at: str = ""
    name: str = "territory-plan"
    _pools: dict = field(default_factory=dict, repr=False, compare=False)

    def account(self, account_id: object) -> Account | None:
        return self.accounts.get(str(account_id).strip())

    def pool(self, segment: str, region: str | None) -> Pool:
        """The pool of a lead of ``segment`` and ``region`` (None or '': any region)."""
        key = (_key(segment), _key(region) if region else "")
        found = self._pools.get(key)
        if found is None:
            members = sorted((rep_id, w) for rep_id, (seg, reg, w) in self.reps.items()
                             if _key(seg) == key[0] and w > 0 and (not key[1] or not reg or _key(reg) == key[1]))
            seg_name = next((seg for seg, _, _ in self.reps.values() if _key(seg) == key[0]), str(segment).strip())
            reg_name = next((reg for _, reg, _ in self.reps.values() if reg and _key(reg) == key[1]),
                            str(region).strip() if region else "*")
            found = Pool(f"{seg_name}/{reg_name}", tuple(r for r, _ in members), tuple(w for _, w in members))
            # A dict write of an immutable value: safe under concurrent readers.
            self._pools[key] = found
        return found

    def info(self) -> dict:
        return {"folder": str(self.folder), "version": self.version, "loaded_at": self.loaded_at,
                "accounts": len(self.accounts), "reps": len(self.reps),
                "active_reps": sum(1 for _, _, w in self.reps.values() if w > 0),
                "unavailable_from_file": sorted(self.unavailable_file)}


def load_plan(folder: Path, unavailable: Path | None = None, version: str = "") -> RoutingPlan:
    """Read a plan folder (and the unavailable-reps file); PlanError says what is wrong."""
    where = plan_folder(folder)
    reps: dict[str, tuple[str, str, int]] = {}
    rep_path = where / "rep_summary.csv"
    for line, row in enumerate(_rows(rep_path, REP_COLUMNS), start=2):
        rep_id = (row["rep_id"] or "").strip()
        if not rep_id:
            raise PlanError(f"{rep_path}, line {line}: empty rep_id")
        capacity = _number(row["capacity"], 0.0, rep_path, line, "capacity")
        ramp = _number(row.get("ramp"), 1.0, rep_path, line, "ramp")
        reps[rep_id] = ((row["segment"] or "").strip(), (row["region"] or "").strip(),
                        int(round(capacity * min(ramp, 1.0) * WEIGHT_SCALE)))
    accounts: dict[str, Account] = {}
    assign_path = where / "assignments.csv"
    for line, row in enumerate(_rows(assign_path, ASSIGNMENT_COLUMNS), start=2):
        rep_id = (row["rep_id"] or "").strip()
        if rep_id not in reps:
            raise PlanError(f"{assign_path}, line {line}: rep_id {rep_id!r} is not in rep_summary.csv")
        segment = (row.get("segment") or reps[rep_id][0]).strip()
        region = (row.get("region") or "").strip()
        pool = (row.get("pool") or f"{segment}/{region or '*'}").strip()
        accounts[(row["account_id"] or "").strip()] = Account(rep_id, pool, segment, region)
    return RoutingPlan(folder=Path(folder), version=version or plan_version(folder, unavailable),
                       accounts=accounts, reps=reps, unavailable_file=read_unavailable(unavailable),
                       loaded_at=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"))


def plan_version(folder: Path, unavailable: Path | None = None) -> str:
    """Sizes and modification times of the files read: changes when any of them is rewritten."""
    where = plan_folder(folder)
    paths = [where / name for name in PLAN_FILES] + ([Path(unavailable)] if unavailable else [])
    parts = []
    for path in paths:
        try:
            st = os.stat(path)
            parts.append(f"{st.st_size}.{st.st_mtime_ns}")
        except FileNotFoundError:
            parts.append("missing")
    return "-".join(parts)


class PlanSource:
    """The plan folder as a source for scoring.service.holder.ChampionFollower."""

    def __init__(self, folder: Path, unavailable: Path | None = None):
        self.folder = Path(folder)
        self.unavailable = Path(unavailable) if unavailable else None
        self.uri = str(self.folder)

    def current_version(self) -> str | None:
        return plan_version(self.folder, self.unavailable)

    def load(self, version: str) -> RoutingPlan:
        return load_plan(self.folder, self.unavailable, version)
