"""A batch body read straight into columns: ``{"leads": [...]}`` without a dict per lead.

Parsing a 1,000-lead body with orjson builds ~18,000 Python objects (2-3 ms), and gathering
them back into one list per field costs as much again; the encoder then wants columns. Here a
compiled loop walks the body's bytes once and records, per lead and known field, where its
value is and what kind it is (text, number, null, ...), the exact float of plain numbers, and
for each text the first lead with the same bytes: a field's distinct texts are then made into
Python values once each (by orjson itself, so they are the values a full parse gives). What
it found is a ``scoring.service.scanned.ScannedBatch``.

It is a fast path, never a second parser with its own rules. It takes a body only when it is
sure orjson would read it the same way, and gives up (``read_batch`` returns None, the caller
parses the body as before) on anything else: invalid JSON, a lead that is not an object, a
repeated field, a ``\\u`` escape of a surrogate, numbers that are not exactly ``m * 10^e``
with m < 2^53 and |e| <= 22 (Clinger's fast path: one correctly rounded operation, the float
orjson gives), a lead id that is not plain text. Values of fields the model does not use are
checked but not read (the odd ones, nested values, by orjson). Fields not in ``names`` at all
(a router's extra columns) are read past and noted per lead by name (``UnknownFields``), for
the caller to flag, or read as the field they spell otherwise (``renames``); a known name
written with escapes, or one name twice in a lead, is left to orjson.
"""
from __future__ import annotations

from concurrent.futures import Executor
from typing import Callable, Sequence

import numpy as np
import orjson

try:
    import numba
except ImportError:  # pragma: no cover - exercised only where numba is absent
    numba = None

from scoring.service.scanned import (ABSENT, FALSE, FLOAT, INT, NESTED, NULL, NUMBER_OTHER, TEXT, TEXT_OTHER,
                                     TRUE, ScannedBatch, UnknownFields)

GAVE_UP = -1
# Per field a lead carries that the model does not know (``_scan``'s ``extra`` rows): the lead,
# the key's span (quotes included), the value's kind and span.
EXTRA_LEAD, EXTRA_KEY_START, EXTRA_KEY_END, EXTRA_KIND, EXTRA_START, EXTRA_END = range(6)
EXTRA_COLUMNS = 6
MAX_UNKNOWN_NAMES = 62  # distinct unknown field names a batch may carry on this path
MAX_NESTING = 256  # a value nested deeper is left to orjson (no lead field is)
SPLIT_MIN = 1 << 17  # bodies from 128 kB are read in two halves at once, given a pool (read_batch)
POW10 = np.array([10.0 ** k for k in range(23)])  # exact doubles up to 1e22
MANTISSA_MAX = 2 ** 53
# Bytes inside a string: 0 plain ASCII, 1 anything to look at (quote, backslash, control, UTF-8).
BYTE_CLASS = np.zeros(256, dtype=np.uint8)
BYTE_CLASS[[34, 92, *range(32), *range(128, 256)]] = 1
NULL_BYTES, TRUE_BYTES, FALSE_BYTES, LEADS_BYTES = (np.frombuffer(word, dtype=np.uint8)
                                                    for word in (b"null", b"true", b"false", b'"leads"'))


class FieldNames:
    """The field names a lead may carry, as their keys are written in JSON (escapes and all),
    one padded row of bytes each: made once per model, read by every scan."""

    def __init__(self, names: Sequence[str]):
        encoded = [orjson.dumps(name)[1:-1] for name in names]
        self.names = list(names)
        self.table = np.zeros((len(encoded), max(map(len, encoded), default=1) or 1), dtype=np.uint8)
        for f, key in enumerate(encoded):
            self.table[f, :len(key)] = np.frombuffer(key, dtype=np.uint8)
        self.lengths = np.array([len(key) for key in encoded], dtype=np.int64)
        self.known = frozenset(self.names)


def read_batch(body: bytes, names: Sequence[str] | FieldNames, used: Sequence[int], max_leads: int,
               renames: Callable[[str], int | None] | None = None, pool: Executor | None = None,
               split_min: int = SPLIT_MIN) -> ScannedBatch | None:
    """The leads of ``body`` by field (``names``: every field a lead may carry), or None to parse
    the body the usual way. ``used``: the fields whose texts are read (their first twins found).
    Batches of more than ``max_leads`` leads, and empty ones, are left to the usual path (which
    says what is wrong). ``renames``: the field (index in ``names``) a name not in them stands
    for, if any; a lead's value under such a name is read as that field's when the lead does
    not carry the field itself, the first such name in the lead's order (else it is noted as
    unknown). ``pool``: a thread that reads the second half of a body of ``split_min`` bytes or
    more while this one reads the first (:func:`_read_halves`)."""
    if numba is None or not body:
        return None
    if not isinstance(names, FieldNames):
        names = FieldNames(names)
    table, lengths = names.table, names.lengths
    buf = np.frombuffer(body, dtype=np.uint8)
    scanned = None
    if pool is not None and len(body) >= split_min:
        scanned = _read_halves(buf, table, lengths, max_leads, pool)
    if scanned is None:
        scanned = _scan(buf, table, lengths, max_leads, POW10, -1, -1)[:7]
    n, kind, start, end, numbers, odd, extra = scanned
    if n <= 0:
        return None
    kind, start, end, numbers = kind[:n], start[:n], end[:n], numbers[:n]
    # Values nobody reads are still checked as orjson would (nested ones, numbers off the fast path).
    spans = [(start[i, f], end[i, f]) for i, f in zip(*np.nonzero(odd[:n]))]
    if extra.shape[0]:
        strange = (extra[:, EXTRA_KIND] == NESTED) | (extra[:, EXTRA_KIND] == NUMBER_OTHER)
        spans += extra[strange][:, [EXTRA_START, EXTRA_END]].tolist()
    for a, b in spans:
        try:
            orjson.loads(body[a:b])
        except orjson.JSONDecodeError:
            return None
    unknown = None
    if extra.shape[0]:
        unknown = _unknown_fields(body, buf, extra, names, n, renames, kind, start, end, numbers)
        if unknown is None:
            return None
        if not unknown.carried.any():  # every one read as a field under another spelling
            unknown = None
    first = _first_twins(buf, kind, start, end, np.asarray(used, dtype=np.int64))
    return ScannedBatch(body, kind, start, end, numbers, first, unknown)


def _read_halves(buf: np.ndarray, table: np.ndarray, lengths: np.ndarray, max_leads: int,
                 pool: Executor) -> tuple | None:
    """``_scan``'s reading of the whole body, made of two halves read at once: from the first
    lead after the middle (the bytes ``}``, ``,``, ``{`` with spaces between) by ``pool``, up to
    it by this thread. The second half is only kept when the first half's reading ends exactly
    there, so it was read from the start of a lead, as a reading of the whole would; a guess
    inside a string is read past, and the first reading is then the whole body's. None: no
    guess to make (the body is read whole)."""
    cut = _lead_after(buf, buf.shape[0] // 2)
    if cut < 0:
        return None
    second = pool.submit(_scan, buf, table, lengths, max_leads, POW10, cut, -1)
    first = _scan(buf, table, lengths, max_leads, POW10, -1, cut)
    rest = second.result()
    count, stopped = first[0], first[7]
    if count <= 0:
        return first[:7]  # given up: invalid up to the cut, or beyond it read whole
    if not stopped:  # the guess was inside a string: the first reading went on to the end
        return first[:7]
    if rest[0] <= 0 or count + rest[0] > max_leads:
        return (GAVE_UP,) + rest[1:7]
    n2 = rest[0]
    merged = [np.concatenate((a[:count], b[:n2])) for a, b in zip(first[1:6], rest[1:6])]
    extra = rest[6].copy()
    extra[:, EXTRA_LEAD] += count
    return (count + n2, *merged, np.concatenate((first[6], extra)))


def _unknown_fields(body: bytes, buf: np.ndarray, extra: np.ndarray, names: FieldNames, n: int,
                    renames: Callable[[str], int | None] | None, kind: np.ndarray, start: np.ndarray,
                    end: np.ndarray, numbers: np.ndarray) -> UnknownFields | None:
    """The fields ``_scan`` found beyond ``names``, those ``renames`` maps moved into their
    field's columns (see read_batch); None where orjson would read them otherwise: a known name
    written with escapes, one name twice in a lead (the last value counts), more than
    MAX_UNKNOWN_NAMES names."""
    ordinal, firsts = _key_ordinals(buf, extra)
    if firsts.shape[0] > MAX_UNKNOWN_NAMES:
        return None
    found = [orjson.loads(body[a:b]) for a, b in extra[firsts][:, [EXTRA_KEY_START, EXTRA_KEY_END]].tolist()]
    if len(set(found)) < len(found) or not names.known.isdisjoint(found):
        return None
    leads = extra[:, EXTRA_LEAD]
    pairs = leads * 64 + ordinal
    if np.unique(pairs).shape[0] < pairs.shape[0]:
        return None
    targets = np.array([-1 if renames is None else _or_minus_one(renames(name)) for name in found], dtype=np.int64)
    flagged = np.ones(extra.shape[0], dtype=bool)
    if (targets >= 0).any():
        flagged = ~_rename(buf, extra, ordinal, targets, kind, start, end, numbers, POW10)
    carried = np.zeros(n, dtype=np.int64)
    np.bitwise_or.at(carried, leads[flagged], np.left_shift(np.int64(1), ordinal[flagged]))
    return UnknownFields(found, carried)


def _or_minus_one(field: int | None) -> int:
    return -1 if field is None else field


if numba is not None:
    _jit = numba.njit(cache=True, nogil=True, inline="always")

    @_jit
    def _space(buf, i):
        n = buf.shape[0]
        while i < n and (buf[i] == 32 or buf[i] == 10 or buf[i] == 13 or buf[i] == 9):
            i += 1
        return i

    @_jit
    def _hex(c):
        return (48 <= c <= 57) or (65 <= c <= 70) or (97 <= c <= 102)

    @_jit
    def _string(buf, i):
        """(index after the closing quote, kind) of the string opening at ``i``; -1 if invalid
        or holding a surrogate escape. Checks escapes and UTF-8 as orjson does."""
        n = buf.shape[0]
        j = i + 1
        kind = TEXT
        while j < n:
            # The common byte first, by one table lookup (measured: 0.33 ms against 0.51 ms
            # of chained comparisons for the strings of the 1,000-lead sample body).
            while j < n and BYTE_CLASS[buf[j]] == 0:
                j += 1
            if j >= n:
                return -1, 0
            c = buf[j]
            if c == 34:
                return j + 1, kind
            if c == 92:
                kind = TEXT_OTHER
                if j + 1 >= n:
                    return -1, 0
                e = buf[j + 1]
                if e == 117:  # \uXXXX
                    if j + 5 >= n:
                        return -1, 0
                    for q in range(j + 2, j + 6):
                        if not _hex(buf[q]):
                            return -1, 0
                    first, second = buf[j + 2] | 32, buf[j + 3] | 32  # lower case
                    if first == 100 and (56 <= second <= 57 or 97 <= second <= 102):  # d800-dfff
                        return -1, 0
                    j += 6
                    continue
                if e == 34 or e == 92 or e == 47 or e == 98 or e == 102 or e == 110 or e == 114 or e == 116:
                    j += 2
                    continue
                return -1, 0
            if c < 32:
                return -1, 0
            if c < 128:
                j += 1
                continue
            kind = TEXT_OTHER
            # One UTF-8 sequence (RFC 3629: no overlong forms, surrogates or code points past U+10FFFF).
            if 0xC2 <= c <= 0xDF:
                more, low, high = 1, 0x80, 0xBF
            elif c == 0xE0:
                more, low, high = 2, 0xA0, 0xBF
            elif 0xE1 <= c <= 0xEC or c == 0xEE or c == 0xEF:
                more, low, high = 2, 0x80, 0xBF
            elif c == 0xED:
                more, low, high = 2, 0x80, 0x9F
            elif c == 0xF0:
                more, low, high = 3, 0x90, 0xBF
            elif 0xF1 <= c <= 0xF3:
                more, low, high = 3, 0x80, 0xBF
            elif c == 0xF4:
                more, low, high = 3, 0x80, 0x8F
            else:
                return -1, 0
            if j + more >= n:
                return -1, 0
            if not (low <= buf[j + 1] <= high):
                return -1, 0
            for q in range(j + 2, j + 1 + more):
                if not (0x80 <= buf[q] <= 0xBF):
                    return -1, 0
            j += 1 + more
        return -1, 0

    @_jit
    def _number(buf, i, pow10):
        """(index after, kind, value) of the number at ``i``; -1 if it is not JSON's grammar."""
        n = buf.shape[0]
        j = i
        negative = False
        if buf[j] == 45:
            negative = True
            j += 1
        if j >= n:
            return -1, 0, 0.0
        mantissa = 0
        big = False
        exponent = 0
        if buf[j] == 48:
            j += 1
        elif 49 <= buf[j] <= 57:
            while j < n and 48 <= buf[j] <= 57:
                if mantissa < MANTISSA_MAX:
                    mantissa = mantissa * 10 + (buf[j] - 48)
                else:
                    big = True
                j += 1
        else:
            return -1, 0, 0.0
        kind = INT
        if j < n and buf[j] == 46:
            kind = FLOAT
            j += 1
            if j >= n or not (48 <= buf[j] <= 57):
                return -1, 0, 0.0
            while j < n and 48 <= buf[j] <= 57:
                if mantissa < MANTISSA_MAX:
                    mantissa = mantissa * 10 + (buf[j] - 48)
                    exponent -= 1
                else:
                    big = True
                j += 1
        if j < n and (buf[j] == 101 or buf[j] == 69):
            kind = FLOAT
            j += 1
            sign = 1
            if j < n and (buf[j] == 43 or buf[j] == 45):
                sign = -1 if buf[j] == 45 else 1
                j += 1
            if j >= n or not (48 <= buf[j] <= 57):
                return -1, 0, 0.0
            written = 0
            while j < n and 48 <= buf[j] <= 57:
                if written < 100000:
                    written = written * 10 + (buf[j] - 48)
                j += 1
            exponent += sign * written
        if big or mantissa > MANTISSA_MAX or exponent > 22 or exponent < -22:
            return j, NUMBER_OTHER, 0.0
        if mantissa == 0:
            value = -0.0 if negative and kind == FLOAT else 0.0
            return j, kind, value
        value = float(mantissa)
        value = value * pow10[exponent] if exponent >= 0 else value / pow10[-exponent]
        return j, kind, -value if negative else value

    @_jit
    def _literal(buf, i, word):
        n = buf.shape[0]
        if i + len(word) > n:
            return False
        for q in range(len(word)):
            if buf[i + q] != word[q]:
                return False
        return True

    @_jit
    def _nested(buf, i):
        """Index after the object or array opening at ``i`` (brackets counted, strings skipped);
        -1 if it does not close or nests deeper than MAX_NESTING. orjson checks the rest (see
        read_batch), value by value: a value alone is less deep than in the body, and orjson
        refuses a body nested past its limit (1,024), so the reader stops far below it."""
        n = buf.shape[0]
        depth = 0
        j = i
        while j < n:
            c = buf[j]
            if c == 34:
                j, _ = _string(buf, j)
                if j < 0:
                    return -1
                continue
            if c == 123 or c == 91:
                depth += 1
                if depth > MAX_NESTING:
                    return -1
            elif c == 125 or c == 93:
                depth -= 1
                if depth == 0:
                    return j + 1
            j += 1
        return -1

    @_jit
    def _is_key(buf, i, size, table, lengths, f):
        if lengths[f] != size:
            return False
        for q in range(size):
            if buf[i + 1 + q] != table[f, q]:
                return False
        return True

    @_jit
    def _key(buf, i, table, lengths, expected):
        """(index after the key string at ``i``, its field or -2 if unknown); -1 if invalid.
        Field ``expected`` is tried first, in place: leads of a batch usually list their fields
        in one order, and a key that is a known name needs no scan of its own (a name's bytes
        then a quote: a name never ends in an unescaped backslash, orjson.dumps writes \\)."""
        width = lengths.shape[0]
        if expected < width:
            size = lengths[expected]
            if (i + size + 1 < buf.shape[0] and buf[i + size + 1] == 34
                    and _is_key(buf, i, size, table, lengths, expected)):
                return i + size + 2, expected
        end, _ = _string(buf, i)
        if end < 0:
            return -1, 0
        size = end - i - 2
        for f in range(width):
            if _is_key(buf, i, size, table, lengths, f):
                return end, f
        return end, -2

    @_jit
    def _value(buf, i, pow10):
        """(end, kind, value start, value end, number) of the value at ``i``; end -1 if invalid."""
        n = buf.shape[0]
        if i >= n:
            return -1, 0, 0, 0, 0.0
        c = buf[i]
        if c == 34:
            end, kind = _string(buf, i)
            return end, kind, i + 1, end - 1, 0.0
        if c == 45 or 48 <= c <= 57:
            end, kind, number = _number(buf, i, pow10)
            return end, kind, i, end, number
        if c == 110 and _literal(buf, i, NULL_BYTES):
            return i + 4, NULL, i, i + 4, 0.0
        if c == 116 and _literal(buf, i, TRUE_BYTES):
            return i + 4, TRUE, i, i + 4, 0.0
        if c == 102 and _literal(buf, i, FALSE_BYTES):
            return i + 5, FALSE, i, i + 5, 0.0
        if c == 123 or c == 91:
            end = _nested(buf, i)
            return end, NESTED, i, end, 0.0
        return -1, 0, 0, 0, 0.0

    @_jit
    def _next(buf, i, closer):
        """After a member or an element at ``i``: (where the next one starts, 1) after a comma,
        (the index after ``closer`` and its spaces, 0) at it, (i, -1) at anything else."""
        n = buf.shape[0]
        i = _space(buf, i)
        if i < n and buf[i] == 44:
            return _space(buf, i + 1), 1
        if i < n and buf[i] == closer:
            return _space(buf, i + 1), 0
        return i, -1

    @_jit
    def _grow(a):
        return np.concatenate((a, np.zeros_like(a)))

    @_jit
    def _scan(buf, table, lengths, max_leads, pow10, begin, stop):
        """(number of leads or GAVE_UP, kind, start, end, numbers, odd, extra, stopped) of
        ``{"leads": [...]}``; ``odd`` marks values orjson must check (nested ones, numbers off
        the fast path). ``begin`` >= 0: start there, at a lead of the array (the body's second
        half, :func:`_read_halves`). ``stop`` >= 0: end after the lead that the comma before
        ``stop`` follows (``stopped`` True), if the leads reach it."""
        width = lengths.shape[0]
        rows = 64
        kind = np.zeros((rows, width), dtype=np.int8)
        start = np.zeros((rows, width), dtype=np.int64)
        end = np.zeros((rows, width), dtype=np.int64)
        numbers = np.zeros((rows, width), dtype=np.float64)
        odd = np.zeros((rows, width), dtype=np.bool_)
        extra = np.zeros((16, EXTRA_COLUMNS), dtype=np.int64)  # fields not in ``table`` (EXTRA_*)
        n_extra = 0
        n = buf.shape[0]
        count = 0
        if begin >= 0:
            i = begin
        else:
            # One top-level member, "leads", holding a non-empty array of objects.
            i = _space(buf, 0)
            if i >= n or buf[i] != 123:
                return GAVE_UP, kind, start, end, numbers, odd, extra, False
            i = _space(buf, i + 1)
            if i >= n or buf[i] != 34:
                return GAVE_UP, kind, start, end, numbers, odd, extra, False
            after = _string(buf, i)[0]
            if after < 0 or after - i != 7 or not _literal(buf, i, LEADS_BYTES):
                return GAVE_UP, kind, start, end, numbers, odd, extra, False
            i = _space(buf, after)
            if i >= n or buf[i] != 58:
                return GAVE_UP, kind, start, end, numbers, odd, extra, False
            i = _space(buf, i + 1)
            if i >= n or buf[i] != 91:
                return GAVE_UP, kind, start, end, numbers, odd, extra, False
            i = _space(buf, i + 1)
        while True:
            if i >= n or buf[i] != 123 or count >= max_leads:
                return GAVE_UP, kind, start, end, numbers, odd, extra, False
            if count == kind.shape[0]:
                kind, start, end = _grow(kind), _grow(start), _grow(end)
                numbers, odd = _grow(numbers), _grow(odd)
            for f in range(width):  # absent fields stay NaN (a loop: the slice assignment
                numbers[count, f] = np.nan  # cost 0.4 of the scan's 1.25 ms, sample body)
            i = _space(buf, i + 1)
            if i < n and buf[i] == 125:
                i += 1
            else:
                expected = 0
                while True:
                    if i >= n or buf[i] != 34:
                        return GAVE_UP, kind, start, end, numbers, odd, extra, False
                    key_start = i
                    i, f = _key(buf, i, table, lengths, expected)
                    if i < 0 or (f >= 0 and kind[count, f] != ABSENT):  # invalid or repeated
                        return GAVE_UP, kind, start, end, numbers, odd, extra, False
                    key_end = i
                    i = _space(buf, i)
                    if i >= n or buf[i] != 58:
                        return GAVE_UP, kind, start, end, numbers, odd, extra, False
                    i = _space(buf, i + 1)
                    after, k, a, b, number = _value(buf, i, pow10)
                    if after < 0:
                        return GAVE_UP, kind, start, end, numbers, odd, extra, False
                    if f < 0:  # a field the model does not know: noted for read_batch
                        if n_extra == extra.shape[0]:
                            extra = _grow(extra)
                        extra[n_extra, EXTRA_LEAD] = count
                        extra[n_extra, EXTRA_KEY_START] = key_start
                        extra[n_extra, EXTRA_KEY_END] = key_end
                        extra[n_extra, EXTRA_KIND] = k
                        extra[n_extra, EXTRA_START] = a
                        extra[n_extra, EXTRA_END] = b
                        n_extra += 1
                    else:
                        expected = f + 1
                        kind[count, f] = k
                        start[count, f] = a
                        end[count, f] = b
                        numbers[count, f] = number if k == INT or k == FLOAT else np.nan
                        odd[count, f] = k == NESTED or k == NUMBER_OTHER
                    i, more = _next(buf, after, 125)
                    if more == 1:
                        continue
                    if more == 0:
                        break
                    return GAVE_UP, kind, start, end, numbers, odd, extra, False
            count += 1
            i, more = _next(buf, i, 93)
            if more == 1:
                if i == stop:
                    return count, kind, start, end, numbers, odd, extra[:n_extra], True
                continue
            if more == 0:
                break
            return GAVE_UP, kind, start, end, numbers, odd, extra, False
        # After the array, the body ends: a second member would repeat "leads" (or be unknown).
        i, more = _next(buf, i, 125)
        if more != 0:
            return GAVE_UP, kind, start, end, numbers, odd, extra, False
        if i != n or count == 0:
            return GAVE_UP, kind, start, end, numbers, odd, extra, False
        return count, kind, start, end, numbers, odd, extra[:n_extra], False

    @_jit
    def _fnv(buf, a, b):
        """FNV-1a hash of ``buf[a:b]``."""
        h = np.uint64(14695981039346656037)
        for q in range(a, b):
            h = (h ^ np.uint64(buf[q])) * np.uint64(1099511628211)
        return h

    @_jit
    def _same_bytes(buf, a, c, size):
        """Whether ``buf[a:a + size]`` and ``buf[c:c + size]`` are the same bytes."""
        for q in range(size):
            if buf[a + q] != buf[c + q]:
                return False
        return True

    @_jit
    def _lead_after(buf, i):
        """Index of the first ``{`` from ``i`` on that follows ``}`` and ``,`` (spaces between):
        where a lead would start if those bytes are not inside a string; -1 if none."""
        n = buf.shape[0]
        while i < n:
            if buf[i] == 125:
                j = _space(buf, i + 1)
                if j < n and buf[j] == 44:
                    j = _space(buf, j + 1)
                    if j < n and buf[j] == 123:
                        return j
            i += 1
        return -1

    @_jit
    def _rename(buf, extra, ordinal, targets, kind, start, end, numbers, pow10):
        """Move each ``extra`` row whose key stands for a field (``targets`` per ordinal, -1 for
        none) into that field's columns when its lead has no value there yet (rows in the
        lead's key order: the first spelling wins); which rows moved."""
        moved = np.zeros(extra.shape[0], dtype=np.bool_)
        for r in range(extra.shape[0]):
            t = targets[ordinal[r]]
            if t < 0:
                continue
            i = extra[r, EXTRA_LEAD]
            if kind[i, t] != ABSENT:
                continue
            k = extra[r, EXTRA_KIND]
            kind[i, t] = k
            start[i, t] = extra[r, EXTRA_START]
            end[i, t] = extra[r, EXTRA_END]
            if k == INT or k == FLOAT:
                numbers[i, t] = _number(buf, extra[r, EXTRA_START], pow10)[2]
            moved[r] = True
        return moved

    @_jit
    def _key_ordinals(buf, extra):
        """(ordinal, firsts): per row of ``extra``, the rank of its key among the distinct keys
        (bytes as written) in order of first appearance, and the row where each first appears."""
        m = extra.shape[0]
        size = 16
        while size < 2 * m:
            size *= 2
        slots = np.full(size, -1, dtype=np.int64)
        ordinal = np.empty(m, dtype=np.int64)
        firsts = np.empty(m, dtype=np.int64)
        count = 0
        for r in range(m):
            a, b = extra[r, EXTRA_KEY_START], extra[r, EXTRA_KEY_END]
            s = np.int64(_fnv(buf, a, b) & np.uint64(size - 1))
            while True:
                other = slots[s]
                if other < 0:
                    slots[s] = r
                    ordinal[r] = count
                    firsts[count] = r
                    count += 1
                    break
                c = extra[other, EXTRA_KEY_START]
                if extra[other, EXTRA_KEY_END] - c == b - a and _same_bytes(buf, a, c, b - a):
                    ordinal[r] = ordinal[other]
                    break
                s = (s + 1) & (size - 1)
        return ordinal, firsts[:count]

    @_jit
    def _first_twins(buf, kind, start, end, used):
        """Per lead and used field, the first lead whose value is written with the same bytes
        (-1: null, absent or a plain number: numbers are read as floats, not as distinct values).

        An open-addressing table of FNV-1a hashes per field; equal hashes are compared byte by
        byte, so a collision never merges two texts."""
        n, width = kind.shape
        first = np.full((n, width), -1, dtype=np.int64)
        size = 1
        while size < 2 * n:
            size *= 2
        slots = np.empty(size, dtype=np.int64)
        hashes = np.empty(size, dtype=np.uint64)
        for f in used:
            slots[:] = -1
            for i in range(n):
                k = kind[i, f]
                if k == ABSENT or k == NULL or k == INT or k == FLOAT:
                    continue
                a, b = start[i, f], end[i, f]
                h = _fnv(buf, a, b) ^ np.uint64(k)
                s = np.int64(h & np.uint64(size - 1))
                while True:
                    other = slots[s]
                    if other < 0:
                        slots[s] = i
                        hashes[s] = h
                        first[i, f] = i
                        break
                    if (hashes[s] == h and kind[other, f] == k and end[other, f] - start[other, f] == b - a
                            and _same_bytes(buf, a, start[other, f], b - a)):
                        first[i, f] = other
                        break
                    s = (s + 1) & (size - 1)
        return first
