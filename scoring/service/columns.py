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
from scoring.service.dates import date_table
from scoring.service.hotpath import CACHE_SIZE, ID_FIELD, MAX_ID

if TYPE_CHECKING:
    from scoring.service.hotpath import RecordEncoder
    from scoring.service.scanned import UnknownFields

PLAIN_NUMBERS = frozenset({float, int, type(None)})
PLAIN_STAMP = re.compile(r"(19|20|21)[0-9]{2}-[0-9]{2}-[0-9]{2}([ T][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?)?")
# PLAIN_STAMP for 19 characters, as tables of the bytes allowed (_fixed_width_stamps): the first
# two characters as a pair (19, 20, 21), then each position from the third on.
CENTURY_OK = np.zeros(65536, dtype=bool)
CENTURY_OK[[ord(a) * 256 + ord(b) for a, b in ("19", "20", "21")]] = True
STAMP_OK = np.zeros((17, 256), dtype=bool)
for _position, _allowed in enumerate(["0123456789"] * 2 + ["-"] + ["0123456789"] * 2 + ["-"]
                                     + ["0123456789"] * 2 + [" T"] + ["0123456789"] * 2 + [":"]
                                     + ["0123456789"] * 2 + [":"] + ["0123456789"] * 2):
    STAMP_OK[_position, [ord(c) for c in _allowed]] = True
STAMP_POSITIONS = np.arange(17)


class _GiveUp(Exception):
    """A value needs the lead-by-lead path (to be read or to be reported)."""


def _ids(values: Sequence[Any], limit: int) -> list[Any]:
    """The lead ids of a batch (gathered with the fields); gives up on any id the lead-by-lead
    path would reject or convert (missing, empty, too long, not a str or int, float)."""
    kinds = set(map(type, values))
    if kinds == {str}:
        lengths = set(map(len, values))
        if min(lengths) > 0 and max(lengths) <= limit:  # one C loop each, not one check per id
            return list(values)
        raise _GiveUp
    if kinds == {int}:
        if -MAX_ID < min(values) and max(values) < MAX_ID:
            return list(values)
        raise _GiveUp
    ids = []
    for value in values:
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
    try:
        return list(zip(*map(pick, leads)))  # one C loop when every lead has every field
    except KeyError:
        pass
    rows = []
    for lead in leads:
        try:
            rows.append(pick(lead))
        except KeyError:
            rows.append(tuple(lead.get(name) for name in names))
    return list(zip(*rows))


def _fixed_width_stamps(values: Sequence[str]) -> bool:
    """True when every value is ``YYYY-MM-DD HH:MM:SS`` (or with ``T``) and PLAIN_STAMP matches it:
    the usual export, checked as one byte matrix instead of one regex call per value."""
    if set(map(len, values)) != {19}:
        return False
    try:
        codes = np.frombuffer("".join(values).encode("ascii"), dtype=np.uint8).reshape(-1, 19)
    except UnicodeEncodeError:
        return False
    century = codes[:, 0].astype(np.int64) * 256 + codes[:, 1]
    return bool(CENTURY_OK[century].all() and STAMP_OK[STAMP_POSITIONS, codes[:, 2:]].all())


def _plain_dates(values: Sequence[Any]) -> np.ndarray | None:
    """Days since 1970 for a column of plain ISO stamps (no zone), parsed by numpy in one go.

    The same integer nanoseconds as :func:`scoring.service.hotpath.iso_days`, hence the same
    floats; years are held to 1900-2199, well inside datetime64[ns]. None when any value is
    something else (the value-by-value path then reads or reports it).
    """
    if set(map(type, values)) != {str}:
        return None
    if not (_fixed_width_stamps(values) or all(map(PLAIN_STAMP.fullmatch, values))):
        return None
    try:
        stamps = np.array(values, dtype="datetime64[ns]")
    except ValueError:  # e.g. 2026-02-30
        return None
    return stamps.astype(np.int64) / 86_400e9


def _numbers(encoder: "RecordEncoder", values: Sequence[Any], decimal: str | None = None) -> np.ndarray:
    if isinstance(values, np.ndarray) and values.dtype == np.float64:  # read as floats already
        if (np.abs(values) >= 1e300).any():
            raise _GiveUp
        return values
    values = list(values)
    if set(map(type, values)) <= PLAIN_NUMBERS:
        try:
            column = np.array(values, dtype=np.float64)  # None -> NaN
        except OverflowError:
            raise _GiveUp from None
        if (np.abs(column) >= 1e300).any():  # NaN (missing) compares False
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


def encode_columns(encoder: "RecordEncoder", leads: Sequence[Any], tables: dict | None = None,
                   columns: dict | None = None) -> tuple | None:
    """(matrix, flags, ids) as ``RecordEncoder.encode`` gives them, or None to use that path.

    ``tables`` receives the parsed date texts of fields that are not plain ISO stamps, so the
    lead-by-lead path does not parse them again; ``columns``, when given, the leads' values per
    input field (a sequence per field name, in lead order), for the answers.
    """
    try:
        return _encode(encoder, leads, {} if tables is None else tables, columns)
    except _GiveUp:
        if columns is not None:
            columns.clear()
        return None


def _dates(encoder: "RecordEncoder", rule, values: list, tables: dict) -> np.ndarray:
    """Days of a date field: plain ISO stamps by numpy, else each distinct text once."""
    column = _plain_dates(values)
    if column is not None:
        return column
    table = tables.get(rule.name)
    if table is None:
        table = tables[rule.name] = date_table(values, rule.date_format, encoder.max_chars)
    column = np.empty(len(values))
    for i, value in enumerate(values):
        days = math.nan if value is None else table.get(value) if type(value) is str else None
        if days is None:  # not text, too long or not a date: the lead-by-lead path says which
            raise _GiveUp
        column[i] = days
    return column


def _categories(encoder: "RecordEncoder", rule, values: list) -> tuple[list, list | None]:
    """A categorical field's codes and (when the model has them) frequency shares."""
    codes, shares = rule.codes, rule.shares
    try:
        # One C loop per column when every value is a text (or null) seen before.
        code = list(map(codes.__getitem__, values))
        share = list(map(shares.__getitem__, values)) if rule.frequencies is not None else None
    except (KeyError, TypeError):  # new, not text (1 and True would meet "1" as keys) or unhashable
        code, share = [], []
        for value in values:
            found = codes.get(value) if value is None or type(value) is str else None
            if found is None:
                result = encoder._category(rule, value)
                if type(result) is str:
                    raise _GiveUp
                found = result[0]
                if (value is None or type(value) is str) and len(codes) < CACHE_SIZE:
                    shares[value] = result[1]  # first: a code found means its share is there
                    codes[value] = found
                share.append(result[1])
            else:
                share.append(shares[value])
            code.append(found)
        if rule.frequencies is None:
            share = None
    return code, share


def _spread(per_value: Sequence[Any], slot: np.ndarray | None) -> np.ndarray:
    """Per lead, from per distinct value (``slot``: each lead's value; None: one per lead)."""
    column = np.asarray(per_value, dtype=np.float64)
    return column if slot is None else column[slot]


def encode_distinct(encoder: "RecordEncoder", n: int,
                    fields: Sequence[tuple[Sequence[Any], np.ndarray | None]],
                    tables: dict | None = None) -> tuple[np.ndarray, "FlagSets | list[list[str]]"] | None:
    """(matrix, flags) as :func:`encode_columns` gives them, from each input field's distinct
    values: ``fields[r]`` is (values, slot) for rule r, ``slot[i]`` the index of lead i's value
    in ``values`` (None: one value per lead, in lead order; a number or date field's values
    may be a float64 array of numbers or days since 1970, NaN for missing). Each distinct value is converted once, then spread to the
    leads. None: a value this path does not read (the lead-by-lead path says which). The flags
    come as :class:`FlagSets` (lists when the model has more than 31 inputs)."""
    try:
        X, read = _encode_fields(encoder, n, fields, {} if tables is None else tables)
    except _GiveUp:
        return None
    return X, flag_sets(encoder, read)


def _encode(encoder: "RecordEncoder", leads: Sequence[Any], tables: dict,
            columns: dict | None = None) -> tuple:
    if set(map(type, leads)) != {dict}:
        raise _GiveUp
    gathered = _gather(leads, [ID_FIELD] + encoder.rule_names)
    ids = _ids(gathered[0], min(encoder.max_chars, 256))
    if columns is not None:
        columns.update(zip(encoder.rule_names, gathered[1:]))
    X, read = _encode_fields(encoder, len(leads), [(values, None) for values in gathered[1:]], tables)
    return X, _flags(encoder, read), ids


def _encode_fields(encoder: "RecordEncoder", n: int, fields: Sequence[tuple[Sequence[Any], np.ndarray | None]],
                   tables: dict) -> tuple[np.ndarray, np.ndarray]:
    """(matrix, each rule's values as read per lead: codes, numbers, days; NaN = missing)."""
    rules = encoder.rules
    X = np.empty((n, encoder.n_features), dtype=np.float64)
    # Each rule's values as read (codes, numbers, days; NaN = missing): the flags come from it.
    read = np.empty((len(rules), n), dtype=np.float64)
    dates = []
    time_days = np.full(n, np.nan)
    for r, (rule, (values, slot)) in enumerate(zip(rules, fields)):
        j = rule.first
        if rule.kind == "categorical":
            code, share = _categories(encoder, rule, list(values))
            X[:, j] = read[r] = _spread(code, slot)
            if share is not None:
                X[:, j + 1] = _spread(share, slot)
            continue
        if rule.kind == "numeric":
            column = _numbers(encoder, values, rule.decimal)
        elif rule.kind == "boolean":
            column = _cached(encoder, rule, values, lambda v: math.nan if v is None else encoder._boolean(v))
        elif isinstance(values, np.ndarray) and values.dtype == np.float64:  # days read already
            column = values
        else:
            column = _dates(encoder, rule, list(values), tables)
        column = _spread(column, slot)
        if rule.kind == "date":
            dates.append((rule, column))
            if rule.name == encoder.time_col:
                time_days = column
        read[r] = column
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
    return X, read


class FlagSets:
    """Each lead's flags as one of the batch's distinct flag lists: ``lists[index[i]]`` for lead
    i (a batch has few: the same fields go missing together). Slices stay FlagSets."""

    __slots__ = ("lists", "index")

    def __init__(self, lists: list[list[str]], index: np.ndarray):
        self.lists, self.index = lists, index

    def __len__(self) -> int:
        return len(self.index)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return FlagSets(self.lists, self.index[i])
        return self.lists[self.index[i]]

    def __iter__(self):
        return map(self.lists.__getitem__, self.index.tolist())


def with_unknown_fields(flags: FlagSets | list[list[str]], unknown: UnknownFields) -> FlagSets | list[list[str]]:
    """Each lead's flags after its ``unknown_field:<name>`` flags (sorted), as
    ``RecordEncoder.match_fields`` and the parse path put them (``unknown``: what the body
    reader found beyond the model's fields)."""
    codes, code_of = np.unique(unknown.carried, return_inverse=True)
    named = [sorted(f"unknown_field:{name[:100]}" for o, name in enumerate(unknown.names) if code >> o & 1)
             for code in codes.tolist()]
    if not isinstance(flags, FlagSets):
        return [named[c] + own for c, own in zip(code_of.reshape(-1).tolist(), flags)]
    both = code_of.reshape(-1) * len(flags.lists) + flags.index
    pairs, index = np.unique(both, return_inverse=True)
    lists = [named[c] + flags.lists[b] for c, b in zip((pairs // len(flags.lists)).tolist(),
                                                       (pairs % len(flags.lists)).tolist())]
    return FlagSets(lists, index.reshape(-1))


def flag_sets(encoder: "RecordEncoder", read: np.ndarray) -> FlagSets | list[list[str]]:
    """:func:`_flags` as :class:`FlagSets`: each lead's flags as a code of two bits per rule
    (missing, unknown category), each distinct code made into its list once. Lists lead by
    lead when the code does not fit an int64 (more than 31 rules)."""
    rules, n = read.shape
    if rules > 31:
        return _flags(encoder, read)
    missing = np.isnan(read)
    unknown = read >= encoder.levels_per_rule[:, None]  # NaN compares False
    state = missing.view(np.uint8) + 2 * unknown.view(np.uint8)
    codes = (state.T.astype(np.int64) << (2 * np.arange(rules, dtype=np.int64))).sum(axis=1)
    distinct, first, index = np.unique(codes, return_index=True, return_inverse=True)
    names = encoder.rule_names
    lists = [[("missing:" if missing[r, i] else "unknown_category:") + names[r]
              for r in np.flatnonzero(state[:, i]).tolist()] for i in first.tolist()]
    return FlagSets(lists, index.reshape(-1))


def _flags(encoder: "RecordEncoder", read: np.ndarray) -> list[list[str]]:
    """Per lead, in rule order: ``missing:<field>`` where a value is NaN, and
    ``unknown_category:<field>`` where a category's code is "other" (codes of known categories
    are 0 .. n_levels - 1)."""
    flags: list[list[str]] = [[] for _ in range(read.shape[1])]
    missing = np.isnan(read)
    flagged = missing | (read >= encoder.levels_per_rule[:, None])  # NaN compares False
    if flagged.any():
        names = encoder.rule_names
        leads, rules = np.nonzero(flagged.T)  # lead by lead, rules in order
        for i, r in zip(leads.tolist(), rules.tolist()):
            flags[i].append(("missing:" if missing[r, i] else "unknown_category:") + names[r])
    return flags
