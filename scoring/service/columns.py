"""Many leads at once: the same encoding as the one-lead path, one column at a time.

For a batch, walking lead by lead costs a couple of microseconds per field in Python calls.
Here each model input is gathered as one list and converted in bulk (numbers by numpy, category
and yes/no values through the per-field cache, plain ISO dates by numpy, other dates once per
distinct text with :mod:`scoring.service.dates`), and date features are computed with numpy as
:class:`scoring.encoder.LeadEncoder` computes them (weekday by floor modulo, so dates before
1970 get the weekday they had). Any
value this path is not sure about makes it give up (return None): the lead-by-lead path then
encodes the batch and names every bad field. Both paths give identical rows (tested).
"""
from __future__ import annotations

import math
import re
from operator import itemgetter
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from scoring.encoder import HOUR_EPSILON
from scoring.service.hotpath import CACHE_SIZE, ID_FIELD, MAX_ID

if TYPE_CHECKING:
    from scoring.service.hotpath import RecordEncoder

PLAIN_NUMBERS = frozenset({float, int, type(None)})
_CODE, _SHARE, _KNOWN = itemgetter(0), itemgetter(1), itemgetter(2)  # of a category's (code, share, known)
PLAIN_STAMP = re.compile(r"(19|20|21)[0-9]{2}-[0-9]{2}-[0-9]{2}([ T][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?)?")


class _GiveUp(Exception):
    """A value needs the lead-by-lead path (to be read or to be reported)."""


def _ids(leads: Sequence[Any], limit: int) -> list[Any]:
    ids = []
    for lead in leads:
        if type(lead) is not dict:
            raise _GiveUp
        value = lead.get(ID_FIELD)
        kind = type(value)
        if kind is str:
            if not value or len(value) > limit:
                raise _GiveUp
        elif kind is not int or abs(value) >= MAX_ID:
            raise _GiveUp
        ids.append(value)
    return ids


def _gather(leads: Sequence[dict], names: list[str]) -> list[tuple]:
    """The values of ``names``, one tuple per field (None where a lead lacks the field)."""
    if len(names) < 2:  # itemgetter of one name gives the value, not a tuple
        return [tuple(lead.get(name) for lead in leads) for name in names]
    pick = itemgetter(*names)
    rows = []
    for lead in leads:
        try:
            rows.append(pick(lead))  # one C call per lead when every field is present
        except KeyError:
            rows.append(tuple(lead.get(name) for name in names))
    return list(zip(*rows))


def _plain_dates(values: Sequence[Any]) -> np.ndarray | None:
    """Days since 1970 for a column of plain ISO stamps (no zone), parsed by numpy in one go.

    The same integer nanoseconds as :func:`scoring.service.hotpath.iso_days`, hence the same
    floats; years are held to 1900-2199, well inside datetime64[ns]. None when any value is
    something else (the value-by-value path then reads or reports it).
    """
    if not all(type(v) is str for v in values) or not all(map(PLAIN_STAMP.fullmatch, values)):
        return None
    try:
        stamps = np.array(values, dtype="datetime64[ns]")
    except ValueError:  # e.g. 2026-02-30
        return None
    return stamps.astype(np.int64) / 86_400e9


def _numbers(encoder: "RecordEncoder", values: list, decimal: str | None = None) -> np.ndarray:
    if set(map(type, values)) <= PLAIN_NUMBERS:
        try:
            column = np.array(values, dtype=np.float64)  # None -> NaN
        except OverflowError:
            raise _GiveUp from None
        present = column[~np.isnan(column)]
        if not np.all(np.abs(present) < 1e300):
            raise _GiveUp
        return column
    column = np.empty(len(values))
    for i, value in enumerate(values):
        result = math.nan if value is None else encoder._number(value, decimal)
        if type(result) is str:
            raise _GiveUp
        column[i] = result
    return column


def _cached(encoder: "RecordEncoder", rule, values: list, convert) -> list:
    cache = rule.cache
    try:
        # One C loop when every value is a text seen before (keys are texts only: 1 and True
        # never meet "1" and "True").
        out = list(map(cache.get, values))
    except TypeError:  # an unhashable value (object, array): converted below, which gives up
        out = [None] * len(values)
    if None not in out:
        return out
    for i, result in enumerate(out):
        if result is None:
            value = values[i]
            result = out[i] = convert(value)
            if type(result) is str:
                raise _GiveUp
            if type(value) is str and len(cache) < CACHE_SIZE:
                cache[value] = result
    return out


def encode_columns(encoder: "RecordEncoder", leads: Sequence[Any], tables: dict | None = None) -> tuple | None:
    """(matrix, flags, ids) as ``RecordEncoder.encode`` gives them, or None to use that path.

    ``tables`` receives the parsed date texts of fields that are not plain ISO stamps, so the
    lead-by-lead path does not parse them again.
    """
    try:
        return _encode(encoder, leads, {} if tables is None else tables)
    except _GiveUp:
        return None


def _dates(encoder: "RecordEncoder", rule, leads: Sequence[Any], values: list, tables: dict) -> np.ndarray:
    """Days of a date field: plain ISO stamps by numpy, else each distinct text once."""
    column = _plain_dates(values)
    if column is not None:
        return column
    table = tables.get(rule.name)
    if table is None:
        table = tables[rule.name] = encoder.date_table(rule, leads)
    column = np.empty(len(values))
    for i, value in enumerate(values):
        days = math.nan if value is None else table.get(value) if type(value) is str else None
        if days is None:  # not text, too long or not a date: the lead-by-lead path says which
            raise _GiveUp
        column[i] = days
    return column


def _encode(encoder: "RecordEncoder", leads: Sequence[Any], tables: dict) -> tuple:
    n = len(leads)
    ids = _ids(leads, min(encoder.max_chars, 256))
    X = np.empty((n, encoder.n_features), dtype=np.float64)
    flags: list[list[str]] = [[] for _ in range(n)]
    dates = []
    time_days = np.full(n, np.nan)
    for rule, values in zip(encoder.rules, _gather(leads, [rule.name for rule in encoder.rules])):
        values = list(values)
        j = rule.first
        if rule.kind == "categorical":
            triples = _cached(encoder, rule, values, lambda v: encoder._category(rule, v))
            X[:, j] = list(map(_CODE, triples))
            if rule.frequencies is not None:
                X[:, j + 1] = list(map(_SHARE, triples))
            known = list(map(_KNOWN, triples))
            if not all(known):
                for i in [i for i, k in enumerate(known) if not k]:
                    code = triples[i][0]
                    flags[i].append(f"missing:{rule.name}" if math.isnan(code) else f"unknown_category:{rule.name}")
            continue
        if rule.kind == "numeric":
            column = _numbers(encoder, values, rule.decimal)
        elif rule.kind == "boolean":
            column = np.array(_cached(encoder, rule, values,
                                      lambda v: math.nan if v is None else encoder._boolean(v)), dtype=np.float64)
        else:
            column = _dates(encoder, rule, leads, values, tables)
            dates.append((rule, column))
            if rule.name == encoder.time_col:
                time_days = column
        for i in np.flatnonzero(np.isnan(column)).tolist():
            flags[i].append(f"missing:{rule.name}")
        if rule.kind != "date":
            X[:, j] = column
    for rule, days in dates:
        # The arithmetic of LeadEncoder._encode.
        j = rule.first
        if rule.with_age:
            reference = np.where(np.isfinite(time_days), time_days, rule.reference_days)
            X[:, j] = reference - days
            j += 1
        floor = np.floor(days)
        X[:, j] = np.mod(floor + 3.0, 7.0)
        if rule.with_hour:
            X[:, j + 1] = np.floor((days - floor) * 24.0 + HOUR_EPSILON)
    return X, flags, ids
