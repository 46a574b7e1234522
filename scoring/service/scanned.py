"""What the body reader (``scoring.service.scan``) found in a batch, by lead and field: the
kinds of value, their spans in the body, plain numbers and dates as floats, and each field's
distinct values made into Python values once (``ScannedBatch``, ``FieldValues``), and the
fields the leads carry beyond the model's (``UnknownFields``).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import orjson

try:
    import numba
except ImportError:  # pragma: no cover - exercised only where numba is absent
    numba = None

# Kinds of a value (per lead and field).
ABSENT, NULL, TEXT, TEXT_OTHER, INT, FLOAT, NUMBER_OTHER, TRUE, FALSE, NESTED = range(10)
# TEXT: ASCII without escapes (the bytes are the value); TEXT_OTHER: escapes or UTF-8, valid.
# INT / FLOAT: exact value in ``numbers``; NUMBER_OTHER: valid, read by orjson when needed.
NUMBER_KINDS = np.zeros(NESTED + 1, dtype=bool)
NUMBER_KINDS[[ABSENT, NULL, INT, FLOAT]] = True
TEXT_KINDS = np.zeros(NESTED + 1, dtype=bool)
TEXT_KINDS[[ABSENT, NULL, TEXT, TEXT_OTHER]] = True
MONTH_DAYS = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)


class ScannedBatch:
    """What :func:`read_batch` found, per lead and known field (``names`` order): the kind of
    value, its span in the body (quotes excluded), the float of a plain number (NaN for other
    kinds) and, for texts of the fields read, the first lead with the same text."""

    def __init__(self, body: bytes, kind: np.ndarray, start: np.ndarray, end: np.ndarray,
                 numbers: np.ndarray, first: np.ndarray, unknown: "UnknownFields | None" = None):
        self.body, self.kind, self.start, self.end = body, kind, start, end
        self.numbers, self.first = numbers, first
        self.unknown = unknown  # fields the leads carry that are not in ``names`` (None: none)
        self.n = kind.shape[0]
        self.census = _census(kind)  # (fields, kinds): how many leads have each kind
        self._distinct: dict[int, tuple[list, np.ndarray]] = {}
        self._repeats: dict[int, bool] = {}
        self._numbers: dict[int, tuple[list, np.ndarray]] = {}  # pick_distinct
        self.memos: dict = {}  # FieldValues.memo

    def _only(self, f: int, kinds: np.ndarray) -> bool:
        return not self.census[f, ~kinds].any()

    def token(self, i: int, f: int) -> bytes:
        """Lead ``i``'s value of field ``f`` as it is written in the body (quotes included)."""
        start, end = int(self.start[i, f]), int(self.end[i, f])
        if self.kind[i, f] in (TEXT, TEXT_OTHER):
            return self.body[start - 1:end + 1]
        return self.body[start:end]

    def floats(self, f: int) -> np.ndarray | None:
        """Field ``f`` as float64 (NaN when null or absent) when every value is a plain number
        or null, else None."""
        return self.numbers[:, f] if self._only(f, NUMBER_KINDS) else None

    def days(self, f: int) -> np.ndarray | None:
        """Field ``f`` as days since 1970 when every value is a plain date stamp or null (see
        ``_stamp_days``), else None."""
        if not self._only(f, TEXT_KINDS):
            return None
        days, ok = _stamp_days(np.frombuffer(self.body, dtype=np.uint8), self.kind, self.start, self.end, f)
        return days if ok else None

    def plain_texts(self, f: int, limit: int) -> tuple[np.ndarray, np.ndarray] | None:
        """(starts, stops) in the body of field ``f`` of every lead as written, quotes included,
        when each is a text of 1 to ``limit`` ASCII characters without escapes, else None."""
        if self.census[f, TEXT] != self.n:
            return None
        size = self.end[:, f] - self.start[:, f]
        if not (size.min() >= 1 and size.max() <= limit):
            return None
        return self.start[:, f] - 1, self.end[:, f] + 1

    def distinct(self, f: int) -> tuple[list, np.ndarray]:
        """(values, slot): field ``f``'s distinct values as a full parse gives them, the last
        one None (for null and absent), and per lead the index of its own in ``values``.
        Values written alike are one value; for a field whose twins were not looked for (not
        ``used``), each lead's value is its own."""
        found = self._distinct.get(f)
        if found is not None:
            return found
        leads, slot = _slots(self.first, self.kind, f)  # one compiled pass (7 numpy calls took 0.1 ms)
        values = self._values_at(f, leads)
        slot[slot < 0] = len(values)
        values.append(None)
        found = self._distinct[f] = (values, slot)
        return found

    def pick(self, f: int, rows: np.ndarray) -> list:
        """Field ``f``'s values of the leads ``rows`` as a full parse gives them."""
        found = self._distinct.get(f)
        if found is None:
            return self._values_at(f, rows)
        values, slot = found
        return list(map(values.__getitem__, slot[rows].tolist()))

    def pick_distinct(self, f: int, rows: np.ndarray) -> tuple[list, np.ndarray]:
        """(values, index): the distinct values among field ``f``'s values of the leads ``rows``
        (as a full parse gives them) and, per row, the index of its own: :meth:`pick` is
        ``[values[j] for j in index]``. Plain numbers are one value per kind (int or float) and
        bit pattern (so 0.0 and -0.0 stay two); what is made of each value is made once."""
        found = self._distinct.get(f)
        if found is None and self._only(f, NUMBER_KINDS):
            found = self._numbers.get(f)
            if found is None:
                leads, slot = _number_slots(self.numbers.view(np.int64), self.kind, f)
                values = self._values_at(f, leads)
                slot[slot < 0] = len(values)
                values.append(None)
                found = self._numbers[f] = (values, slot)
        if found is None:
            return self._values_at(f, rows), np.arange(len(rows))
        values, slot = found
        used, index = _regroup(slot, rows, len(values))
        return list(map(values.__getitem__, used.tolist())), index

    def _values_at(self, f: int, rows: np.ndarray) -> list:
        kind = self.kind[rows, f]
        numbers = self.numbers[rows, f]
        census = self.census[f]
        if not census[INT]:
            out = numbers.tolist()  # right for FLOAT; the other kinds are replaced below
        else:
            ints = kind == INT
            values = numbers.astype(object)
            values[ints] = numbers[ints].astype(np.int64).astype(object)
            out = values.tolist()
        if census[FLOAT] + census[INT] < self.n:
            body, start, end = self.body, self.start[rows, f].tolist(), self.end[rows, f].tolist()
            for q in np.flatnonzero((kind != FLOAT) & (kind != INT)).tolist():
                k = kind[q]
                out[q] = (None if k == ABSENT or k == NULL else
                          body[start[q]:end[q]].decode("ascii") if k == TEXT else
                          orjson.loads(self.token(int(rows[q]), f)))
        return out

    def repeats(self, f: int) -> bool:
        """Whether field ``f``'s values are mostly repeats: its twins were looked for, at most
        one distinct value per four leads, and no plain number (numbers are never looked up as
        distinct values)."""
        found = self._repeats.get(f)
        if found is None:
            census, first = self.census[f], self.first[:, f]
            looked = first.max() >= 0  # twins looked for (a field read as texts), some found
            distinct = int(np.count_nonzero(first == np.arange(self.n)))
            found = self._repeats[f] = bool(looked and not (census[INT] or census[FLOAT])
                                            and distinct <= self.n // 4)
        return found

    def values(self, f: int) -> "FieldValues":
        return FieldValues(self, f, 0, self.n)


class FieldValues:
    """One field of a scanned batch (or a run of its leads), made into Python values only for
    the leads asked: ``pick(rows)``, rows counted from the run's first lead."""

    __slots__ = ("batch", "field", "lo", "hi")

    def __init__(self, batch: ScannedBatch, field: int, lo: int, hi: int):
        self.batch, self.field, self.lo, self.hi = batch, field, lo, hi

    def __len__(self) -> int:
        return self.hi - self.lo

    def __getitem__(self, part: slice) -> "FieldValues":
        """A run of the leads, as a list slices: ``[a:b]`` only (a step is refused)."""
        start, stop, step = part.indices(len(self))
        if step != 1:
            raise ValueError("FieldValues are sliced into runs of leads: no step")
        return FieldValues(self.batch, self.field, self.lo + start, self.lo + max(start, stop))

    def pick(self, rows: Sequence[int]) -> list:
        return self.batch.pick(self.field, np.asarray(rows, dtype=np.int64) + self.lo)

    def pick_distinct(self, rows: np.ndarray) -> tuple[list, np.ndarray]:
        """:meth:`ScannedBatch.pick_distinct` of the leads ``rows`` of the run."""
        return self.batch.pick_distinct(self.field, np.asarray(rows, dtype=np.int64) + self.lo)

    @property
    def repeats(self) -> bool:
        """Whether the field's values are best read once each (:meth:`distinct`) rather than
        lead by lead (:meth:`pick`): see ScannedBatch.repeats."""
        return self.batch.repeats(self.field)

    def distinct(self) -> tuple[list, np.ndarray]:
        """The field's distinct values in the whole batch, and the slot of each lead of the run."""
        values, slot = self.batch.distinct(self.field)
        return values, slot[self.lo:self.hi]

    def memo(self, key, make) -> tuple[list, np.ndarray]:
        """(``make(values)``, slots): something made from the field's distinct values once per
        batch (under ``key``, shared by the batch's runs), and the slot of each lead of the run."""
        values, slot = self.batch.distinct(self.field)
        cache = self.batch.memos
        made = cache.get(key)
        if made is None:
            made = cache[key] = make(values)
        return made, slot[self.lo:self.hi]


@dataclass(frozen=True)
class UnknownFields:
    """The fields a batch's leads carry beyond the names read (``read_batch``): their distinct
    names as orjson reads them, and per lead a bit per name it carries (bit o: ``names[o]``)."""

    names: list[str]
    carried: np.ndarray  # (n,) int64

    def leads_with(self, o: int) -> np.ndarray:
        return (self.carried >> o) & 1 == 1


if numba is not None:
    _jit = numba.njit(cache=True, nogil=True, inline="always")

    @_jit
    def _slots(first, kind, f):
        """(leads, slot) of field ``f``: the leads whose value is the first of its kind (in
        order), and per lead the index of its value among theirs, -1 for null and absent. A plain
        number is its own value; so is every value of a field whose twins were not looked for."""
        n = kind.shape[0]
        looked = False
        for i in range(n):
            if first[i, f] >= 0:
                looked = True
                break
        leads = np.empty(n, dtype=np.int64)
        slot = np.full(n, -1, dtype=np.int64)
        count = 0
        for i in range(n):
            k = kind[i, f]
            if k == ABSENT or k == NULL:
                continue
            twin = first[i, f]
            if k == INT or k == FLOAT or not looked or twin == i:
                slot[i] = count
                leads[count] = i
                count += 1
            elif twin >= 0:
                slot[i] = slot[twin]
        return leads[:count], slot

    @_jit
    def _number_slots(bits, kind, f):
        """:func:`_slots` for a field of plain numbers (and nulls): one value per kind and bit
        pattern (``bits``: the numbers viewed as int64), found in an open-addressing table."""
        n = kind.shape[0]
        size = 1
        while size < 2 * n:
            size *= 2
        table = np.full(size, -1, dtype=np.int64)  # a lead holding the value
        leads = np.empty(n, dtype=np.int64)
        slot = np.full(n, -1, dtype=np.int64)
        count = 0
        for i in range(n):
            k = kind[i, f]
            if k != INT and k != FLOAT:
                continue
            h = np.uint64(bits[i, f]) * np.uint64(0x9E3779B97F4A7C15) + np.uint64(k)
            s = np.int64(h >> np.uint64(40)) & (size - 1)
            while True:
                other = table[s]
                if other < 0:
                    table[s] = i
                    slot[i] = count
                    leads[count] = i
                    count += 1
                    break
                if kind[other, f] == k and bits[other, f] == bits[i, f]:
                    slot[i] = slot[other]
                    break
                s = (s + 1) & (size - 1)
        return leads[:count], slot

    @_jit
    def _regroup(slot, rows, size):
        """(used, index): the slots ``slot[rows]`` takes, in order of first use, and per row the
        index of its slot among them (``size``: slots are below it)."""
        at = np.full(size, -1, dtype=np.int64)
        used = np.empty(rows.shape[0], dtype=np.int64)
        index = np.empty(rows.shape[0], dtype=np.int64)
        count = 0
        for q in range(rows.shape[0]):
            k = slot[rows[q]]
            if at[k] < 0:
                at[k] = count
                used[count] = k
                count += 1
            index[q] = at[k]
        return used[:count], index

    @_jit
    def _census(kind):
        """How many leads have each kind of value, per field: (fields, kinds)."""
        counts = np.zeros((kind.shape[1], NESTED + 1), dtype=np.int64)
        for i in range(kind.shape[0]):
            for f in range(kind.shape[1]):
                counts[f, kind[i, f]] += 1
        return counts

    @_jit
    def _digits(buf, at, count):
        value = 0
        for q in range(at, at + count):
            c = buf[q]
            if c < 48 or c > 57:
                return -1
            value = value * 10 + (c - 48)
        return value

    @_jit
    def _stamp_days(buf, kind, start, end, f):
        """(days since 1970, ok) of field ``f``: NaN when null or absent, else each a text
        ``YYYY-MM-DD``, ``YYYY-MM-DD HH:MM`` or ``YYYY-MM-DD HH:MM:SS`` (``T`` or a space between),
        year 1900-2199, a real date and time; not ok for anything else. The days are integer
        nanoseconds divided by 86,400e9, as numpy's datetime64[ns] gives them
        (scoring.service.columns._plain_dates)."""
        n = kind.shape[0]
        out = np.empty(n)
        for i in range(n):
            k = kind[i, f]
            if k == ABSENT or k == NULL:
                out[i] = np.nan
                continue
            a = start[i, f]
            size = end[i, f] - a
            if k != TEXT or (size != 10 and size != 16 and size != 19):
                return out, False
            year, month, day = _digits(buf, a, 4), _digits(buf, a + 5, 2), _digits(buf, a + 8, 2)
            if buf[a + 4] != 45 or buf[a + 7] != 45 or year < 1900 or year > 2199 or month < 1 or month > 12:
                return out, False
            hour = minute = second = 0
            if size >= 16:
                if (buf[a + 10] != 32 and buf[a + 10] != 84) or buf[a + 13] != 58:
                    return out, False
                hour, minute = _digits(buf, a + 11, 2), _digits(buf, a + 14, 2)
                if size == 19:
                    if buf[a + 16] != 58:
                        return out, False
                    second = _digits(buf, a + 17, 2)
            leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
            longest = 29 if month == 2 and leap else MONTH_DAYS[month - 1]
            if (day < 1 or day > longest or hour < 0 or hour > 23 or minute < 0 or minute > 59
                    or second < 0 or second > 59):
                return out, False
            # Days from the civil date (H. Hinnant's algorithm; years here are positive).
            y = year - (1 if month <= 2 else 0)
            era = y // 400
            of_era = y - era * 400
            of_year = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
            days = era * 146097 + of_era * 365 + of_era // 4 - of_era // 100 + of_year - 719468
            nanoseconds = (days * 86400 + hour * 3600 + minute * 60 + second) * 1_000_000_000
            out[i] = nanoseconds / 86_400e9
        return out, True
