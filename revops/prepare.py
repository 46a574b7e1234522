"""Preparation a plan file can express, for exports that do not carry our columns as such.

Each ``[[derive.<table>]]`` entry adds (or replaces) one column of the raw export, in order, so
a later entry can use an earlier one. Kinds:

- ``value = "X"``: a constant.
- ``from = "col"`` + ``map = {theirs = ours, ...}`` (+ ``default``): recode values.
- ``from = "col"`` + ``lookup = {file, key, value}``: take ``value`` from another file of the data
  folder where its ``key`` equals ``col``. Keys are compared ignoring case, spaces and
  punctuation, because exports spell the same product "GTX Pro" in one file and "GTXPro" in another.
- ``from = "col"`` + ``most_frequent = {file, key, value}``: the most frequent ``value`` among the
  rows of another file whose ``key`` equals ``col`` (e.g. an account's owner = the agent with
  most deals on it). Ties go to the alphabetically first value, so the result is deterministic.

``[drop_empty] table = ["col", ...]`` excludes rows where a column is empty, and says how many.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Mapping, Sequence

import pandas as pd

from revops.errors import ConfigError
from revops.io import read_table


def normalise_key(values: pd.Series) -> pd.Series:
    return values.astype("string").str.lower().str.replace(r"[^0-9a-z]", "", regex=True)


def _require(frame: pd.DataFrame, column: str, where: str) -> None:
    if column not in frame.columns:
        raise ConfigError(
            f"{where}: column '{column}' is not in the file; columns found: {', '.join(map(str, frame.columns))}"
        )


def derive_columns(
    frame: pd.DataFrame,
    rules: Sequence[Mapping[str, Any]],
    data_dir: Path,
    source: str,
) -> tuple[pd.DataFrame, list[str]]:
    """Apply the ``[[derive.<table>]]`` rules to a raw export; return the frame and notes."""
    out = frame.copy()
    notes: list[str] = []
    cache: dict[str, pd.DataFrame] = {}

    def other(name: str) -> pd.DataFrame:
        if name not in cache:
            cache[name] = read_table(data_dir / name)
        return cache[name]

    for i, rule in enumerate(rules):
        where = f"{source}: derive rule {i + 1} ({rule.get('column', '?')})"
        if "column" not in rule:
            raise ConfigError(f"{where}: every derive rule needs a 'column' to write.")
        column = str(rule["column"])
        kinds = [k for k in ("value", "map", "lookup", "most_frequent") if k in rule]
        if len(kinds) != 1:
            raise ConfigError(f"{where}: give exactly one of value, map, lookup, most_frequent; got {kinds or 'none'}.")
        kind = kinds[0]
        if kind == "value":
            out[column] = rule["value"]
            continue
        if "from" not in rule:
            raise ConfigError(f"{where}: '{kind}' needs 'from', the column it reads.")
        _require(out, rule["from"], where)
        source_values = out[rule["from"]]
        if kind == "map":
            mapping = {str(k).strip().lower(): v for k, v in dict(rule["map"]).items()}
            keys = source_values.astype("string").str.strip().str.lower()
            out[column] = keys.map(mapping).astype(object)
            out[column] = out[column].where(out[column].notna(), rule.get("default"))
            continue
        spec = dict(rule[kind])
        missing = [k for k in ("file", "key", "value") if k not in spec]
        if missing:
            raise ConfigError(f"{where}: '{kind}' needs file, key and value; missing {', '.join(missing)}.")
        table = other(spec["file"])
        _require(table, spec["key"], f"{where} in {spec['file']}")
        _require(table, spec["value"], f"{where} in {spec['file']}")
        keys = normalise_key(table[spec["key"]])
        if kind == "lookup":
            lookup = pd.Series(table[spec["value"]].to_numpy(), index=keys.to_numpy())
            lookup = lookup[~lookup.index.duplicated(keep="first")]
        else:
            pairs = pd.DataFrame({"k": keys, "v": table[spec["value"]]}).dropna()
            counts = pairs.groupby(["k", "v"]).size().rename("n").reset_index()
            counts = counts.sort_values(["k", "n", "v"], ascending=[True, False, True], kind="stable")
            lookup = counts.drop_duplicates("k").set_index("k")["v"]
        wanted = normalise_key(source_values)
        result = wanted.map(lookup)
        unmatched = int((result.isna() & wanted.notna()).sum())
        out[column] = result.astype(object).where(result.notna(), None)
        if unmatched:
            notes.append(f"{where}: {unmatched} row(s) found no match in {spec['file']}; left empty")
    return out, notes


def drop_empty(frame: pd.DataFrame, columns: Sequence[str], source: str) -> tuple[pd.DataFrame, list[str]]:
    """Exclude rows where any of ``columns`` is empty, with a note of how many and why."""
    notes = []
    keep = pd.Series(True, index=frame.index)
    for column in columns:
        _require(frame, column, f"{source}: drop_empty")
        empty = frame[column].isna() | (frame[column].astype("string").str.strip() == "")
        if empty.any():
            notes.append(f"{source}: {int(empty.sum())} row(s) excluded because '{column}' is empty (drop_empty)")
        keep &= ~empty
    return frame[keep.to_numpy()].reset_index(drop=True), notes
