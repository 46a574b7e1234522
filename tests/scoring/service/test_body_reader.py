"""The batch body reader (scoring.service.scan): a fast path, never a second parser. For any
body it either gives up (None: the caller parses the body with orjson as before) or gives,
field by field, exactly the values orjson's full parse gives. What the served model makes of
it (score_body against score_json, and over HTTP): test_score_body.
"""
from __future__ import annotations

import calendar
import math
import struct
from typing import Any

import numpy as np
import orjson
import pytest

from scoring.service import scan
from scoring.service.columns import _plain_dates
from scoring.service.scan import MAX_NESTING, MAX_UNKNOWN_NAMES, read_batch
from scoring.service.scanned import (ABSENT, FALSE, FLOAT, INT, NESTED, NULL, NUMBER_OTHER, TEXT, TEXT_OTHER,
                                     TRUE)


# Without numba the reader always gives up (read_batch returns None): nothing here would be
# tested, so say so rather than pass.
pytestmark = pytest.mark.skipif(scan.numba is None, reason="numba not installed: the body reader always gives up")

# Field names of the reader tests: the id, plain ones, and names whose JSON key needs escapes
# or is not ASCII (keys are matched as orjson.dumps writes the name).
NAMES = ["lead_id", "s", "n", "x", "y", "naïve", 'quo"te', "back\\slash", "unused"]
USED = range(1, 8)  # "unused" (last) gets no first twins: its texts are read lead by lead
WHITESPACE = [b"", b" ", b"\n", b"\t", b"\r\n  ", b" \t\n"]

# Every kind of JSON value, as written in a body (raw bytes: escapes and UTF-8 as they are).
STRINGS = [b'"plain"', b'""', b'"a\\nb"', b'"q\\"uote"', b'"back\\\\slash"', b'"sl\\/ash"',
           b'"caf\\u00e9"', b'"caf\\u00E9"', b'"\\u20AC \\u0000 \\u001f"', b'"\\b\\f\\r\\t"',
           '"Zürich"'.encode(), '"北京"'.encode(), '"😀 ok"'.encode(), b'"del \x7f"',
           b'"{not: [an object]}"', b'"  spaced  "', b'"Webinar"', b'"Webinar"', b'"1,200"']
INTS = [b"0", b"-0", b"1", b"-1", b"7", b"123", str(2**53).encode(), str(-2**53).encode(),
        str(2**53 + 1).encode(), str(-2**53 - 1).encode(), str(10**20).encode(), str(2**63).encode(),
        str(2**64).encode(), str(-2**63 - 1).encode(), b"99999999999999999999999999999"]
FLOATS = [b"0.1", b"-0.0", b"0.0", b"1e5", b"1E-7", b"2.5e+3", b"1.7976931348623157e308", b"5e-324",
          b"123456789.123456789", b"1e22", b"1e23", b"1e-22", b"1e-23", b"9007199254740993.0",
          b"9007199254740992e22", b"9007199254740991e-22", b"0e5", b"-0e0", b"-0E-5", b"1.5E+2",
          b"4.9e-325", b"-1e-400", b"100000000000000000000000000000.5", b"0.30000000000000004",
          b"2.2250738585072014e-308", b"1.0", b"-12.50", b"3.14159", b"8.98846567431158e307",
          b"0.000001", b"1e0", b"1e-0", b"1e+0", b"12345678901234567e-5"]
LITERALS = [b"null", b"true", b"false"]
NESTED_VALUES = [b"{}", b"[]", b'{"x": [1, {"y": null}], "z": "w"}', b'[1, "two", [3.5e10, true]]',
                 b'{"k": "}{][\\""}', b'[[[]]]', '{"é": "北京"}'.encode(), b"[1e300, -0.0, 12345678901234567890]"]
VALUES = STRINGS + INTS + FLOATS + LITERALS + NESTED_VALUES


# ------------------------------------------------------------------ helpers
def identical(a: Any, b: Any) -> bool:
    """Same type and value; floats bit for bit (-0.0 is not 0.0), containers item by item."""
    if type(a) is not type(b):
        return False
    if type(a) is float:
        return struct.pack("<d", a) == struct.pack("<d", b)
    if type(a) is list:
        return len(a) == len(b) and all(identical(x, y) for x, y in zip(a, b))
    if type(a) is dict:
        return list(a) == list(b) and all(identical(a[k], b[k]) for k in a)
    return a == b


def kind_fits(kind: int, present: bool, value: Any) -> bool:
    """The reader's kind of a value is the kind of what orjson gives for it."""
    if not present:
        return kind == ABSENT
    if kind in (TEXT, TEXT_OTHER):
        return type(value) is str
    if kind == INT:
        return type(value) is int and abs(value) <= 2**53
    if kind == FLOAT:
        return type(value) is float
    if kind == NUMBER_OTHER:
        return type(value) in (int, float)
    expected = {NULL: None, TRUE: True, FALSE: False}
    if kind in expected:
        return value is expected[kind]
    return kind == NESTED and type(value) in (dict, list)


def write_body(leads: list[list[tuple[str, bytes]]], rng: np.random.Generator | None = None) -> bytes:
    """``{"leads": [...]}`` from (name, raw JSON value) pairs, with random whitespace between
    every token when ``rng`` is given (none otherwise)."""
    def ws() -> bytes:
        return WHITESPACE[rng.integers(len(WHITESPACE))] if rng is not None else b""

    objects = []
    for members in leads:
        parts = [ws() + orjson.dumps(name) + ws() + b":" + ws() + value + ws() for name, value in members]
        objects.append(ws() + b"{" + b",".join(parts) + (ws() if not parts else b"") + b"}" + ws())
    return ws() + b"{" + ws() + b'"leads"' + ws() + b":" + ws() + b"[" + b",".join(objects) + b"]" + ws() + b"}" + ws()


def check_agrees(body: bytes, names: list[str] = NAMES, used=USED, max_leads: int = 100_000):
    """The reader takes ``body`` and every accessor gives what orjson's full parse gives."""
    leads = orjson.loads(body)["leads"]
    batch = read_batch(body, names, used, max_leads)
    assert batch is not None
    n = batch.n
    assert n == len(leads) and batch.kind.shape == (n, len(names))
    rng = np.random.default_rng(n)
    for f, name in enumerate(names):
        expected = [lead.get(name) for lead in leads]
        for i, lead in enumerate(leads):
            assert kind_fits(int(batch.kind[i, f]), name in lead, lead.get(name)), (i, name, lead.get(name))
        # Before distinct() (values made lead by lead), on shuffled rows, then after it (from
        # the distinct values), and through FieldValues slices.
        rows = rng.permutation(n)
        got = batch.pick(f, rows)
        assert all(identical(g, expected[r]) for g, r in zip(got, rows.tolist())), name
        values, slot = batch.distinct(f)
        assert len(slot) == n
        assert all(identical(values[s], e) for s, e in zip(slot.tolist(), expected)), name
        assert all(identical(g, e) for g, e in zip(batch.pick(f, np.arange(n)), expected)), name
        lo, hi = n // 3, n - n // 4
        part = batch.values(f)[lo:hi]
        assert len(part) == hi - lo
        picked = rng.integers(0, hi - lo, 7)
        assert all(identical(g, expected[lo + r]) for g, r in zip(part.pick(picked.tolist()), picked.tolist()))
        floats = batch.floats(f)
        if floats is not None:
            assert floats.shape == (n,)
            for value, x in zip(expected, floats.tolist()):
                assert type(value) in (int, float) or value is None, name
                assert (math.isnan(x) if value is None else identical(x, float(value))), (name, value, x)
    # The fields beyond ``names``: noted per lead, by their names as orjson reads them.
    extra = [sorted(set(lead) - set(names)) for lead in leads]
    if not any(extra):
        assert batch.unknown is None
    else:
        unknown = batch.unknown
        assert len(set(unknown.names)) == len(unknown.names)
        assert [sorted(name for o, name in enumerate(unknown.names) if unknown.carried[i] >> o & 1)
                for i in range(n)] == extra
    return batch


def leads_with(values: list[bytes], rng: np.random.Generator, count: int) -> list[list[tuple[str, bytes]]]:
    """``count`` leads, each with its id and a random subset of the fields in a random order;
    every value of ``values`` is in every field at least once when count >= 8 * len(values)."""
    fields = NAMES[1:]
    leads = []
    for i in range(count):
        members = [("lead_id", b'"L%d"' % i)]
        chosen = [f for f in fields if rng.random() < 0.6]
        must = fields[(i // len(values)) % len(fields)]
        if must not in chosen:
            chosen.append(must)
        for name in chosen:
            value = values[i % len(values)] if name == must else values[rng.integers(len(values))]
            members.append((name, value))
        order = rng.permutation(len(members))
        leads.append([members[k] for k in order.tolist()])
    return leads


# ------------------------------------------------- 1. the reader agrees with orjson
def test_every_kind_of_value_reads_as_orjson_reads_it():
    rng = np.random.default_rng(0)
    leads = leads_with(VALUES, rng, 8 * len(VALUES))
    for body in (write_body(leads), write_body(leads, rng), write_body(leads[::-1], rng)):
        batch = check_agrees(body)
        kinds = set(np.unique(batch.kind).tolist())
        # Every kind is met (the test covers what it says), the fast ones included.
        assert kinds == {ABSENT, NULL, TEXT, TEXT_OTHER, INT, FLOAT, NUMBER_OTHER, TRUE, FALSE, NESTED}
    # The same leads as orjson writes them, compact and indented.
    parsed = orjson.loads(write_body(leads))
    check_agrees(orjson.dumps(parsed))
    check_agrees(orjson.dumps(parsed, option=orjson.OPT_INDENT_2))
    # One lead, one field; an empty lead among others.
    for value in VALUES:
        check_agrees(write_body([[("lead_id", b'"a"'), ("x", value)]]))
        check_agrees(write_body([[("x", value)], [], [("lead_id", value)]], rng))


def test_texts_of_the_same_value_share_a_slot_and_others_do_not():
    # First twins compare bytes: the same text written alike shares a slot; written otherwise
    # ("\u00e9" against raw UTF-8) it may get its own slot but never another text's value.
    texts = [b'"A"', b'"B"', b'"A"', b'"caf\\u00e9"', '"café"'.encode(), b'"A "', b'"a"', b'"caf\\u00e9"']
    body = write_body([[("lead_id", b'"%d"' % i), ("s", t)] for i, t in enumerate(texts * 20)])
    batch = check_agrees(body)
    values, slot = batch.distinct(1)
    assert slot[0] == slot[2] and slot[3] == slot[7] and len({slot[0], slot[1], slot[5], slot[6]}) == 4
    assert len(values) <= 7  # A, B, café (once or twice), "A ", a, and None for the missing
    # Many distinct texts (the table of first twins probes past taken slots), each repeated.
    rng = np.random.default_rng(4)
    words = [orjson.dumps(f"w{k}" + "é" * (k % 3) + "x" * int(rng.integers(0, 4))) for k in range(2000)]
    leads = [[("lead_id", b'"%d"' % i), ("s", words[rng.integers(len(words))]),
              ("y", words[rng.integers(50)])] for i in range(6000)]
    batch = check_agrees(write_body(leads))
    values, slot = batch.distinct(1)
    assert len(set(values[:-1])) == len(values) - 1  # each text once (all written alike here)


def test_field_values_slice_like_a_list():
    body = write_body([[("lead_id", b'"%d"' % i), ("n", b"%d" % i)] for i in range(10)])
    values = read_batch(body, NAMES, USED, 100).values(2)
    for part, expected in ((values[2:], list(range(2, 10))), (values[-3:], [7, 8, 9]), (values[:0], []),
                           (values[1:9][2:4], [3, 4])):
        assert len(part) == len(expected) and part.pick(range(len(expected))) == expected


def test_field_values_slices_with_a_step_or_backwards():
    # Unused by score_body today (_chunks cuts runs with [a:b], a <= b); a slice object that
    # is taken must give what a list gives, or be refused.
    body = write_body([[("lead_id", b'"%d"' % i), ("n", b"%d" % i)] for i in range(10)])
    values = read_batch(body, NAMES, USED, 100).values(2)
    for cut, expected in ((slice(None, None, 2), [0, 2, 4, 6, 8]), (slice(5, 2), [])):
        try:
            part = values[cut]
        except (ValueError, TypeError, IndexError):
            continue  # refusing such a slice is fine
        assert len(part) == len(expected) and part.pick(range(len(expected))) == expected


def test_plain_texts_are_the_ids_as_orjson_writes_them():
    # The spans score_body copies into its answers as the ids: only where every lead's value is
    # a text of 1 to ``limit`` ASCII characters without escapes, i.e. what orjson.dumps writes.
    ids = [b'"L%d"' % i for i in range(50)] + [b'"a/b"', b'"<&>"', b'"del\x7f"', b'"x"']
    body = write_body([[("s", b'"1"'), ("lead_id", t)] for t in ids])
    batch = read_batch(body, NAMES, USED, 100)
    starts, stops = batch.plain_texts(0, 5)
    parsed = orjson.loads(body)["leads"]
    assert [body[a:b] for a, b in zip(starts.tolist(), stops.tolist())] == [orjson.dumps(lead["lead_id"]) for lead in parsed]
    assert batch.plain_texts(0, 4) is not None
    assert batch.plain_texts(0, 3) is None  # "del" and DEL: 4 characters
    assert batch.plain_texts(1, 1) is not None and batch.plain_texts(2, 100) is None  # "n": absent
    for odd in [b'""', b'"caf\\u00e9"', '"café"'.encode(), b'"a\\/b"', b'"a\\nb"', b"null", b"7", b"true", b"[]"]:
        body = write_body([[("lead_id", t)] for t in ids[:10] + [odd]])
        assert read_batch(body, NAMES, USED, 100).plain_texts(0, 100) is None, odd
    assert read_batch(write_body([[("lead_id", b'"a"')], []]), NAMES, USED, 100).plain_texts(0, 100) is None


def random_numbers(rng: np.random.Generator, count: int) -> list[str]:
    """Number texts as clients write them: reprs of random doubles across magnitudes (and of
    random bit patterns), short decimals, mantissas next to 2**53 and exponents next to +-22."""
    out: list[str] = []
    while len(out) < count:
        x = float(rng.standard_normal() * 10.0 ** rng.integers(-30, 31))
        pick = rng.integers(0, 9)
        if pick == 0:
            out.append(repr(x))
        elif pick == 1:
            out.append(f"{x:.3f}")
        elif pick == 2:
            out.append(f"{x / 10.0 ** rng.integers(0, 25):.1f}")
        elif pick == 3:
            bits = np.frombuffer(rng.bytes(8), dtype=np.float64)[0]
            if np.isfinite(bits):
                out.append(repr(float(bits)))
        elif pick == 4:
            out.append(f"{x:.6g}")
        elif pick == 5:
            mantissa = int(rng.integers(1, 2**53)) if rng.random() < 0.5 else 2**53 + int(rng.integers(-3, 4))
            out.append(f"{mantissa}e{int(rng.integers(-25, 26))}")
        elif pick == 6:
            out.append(f"{int(rng.integers(0, 10**6))}.{int(rng.integers(0, 10**6)):06d}E{int(rng.integers(-24, 24)):+d}")
        elif pick == 7:
            out.append(str(int(rng.integers(-2**62, 2**62)) >> int(rng.integers(0, 62))))
        else:
            out.append(f"{x:.17g}")
    return out


def test_random_numbers_read_bit_for_bit_as_orjson_reads_them():
    rng = np.random.default_rng(7)
    texts = random_numbers(rng, 4000)
    leads = [[("lead_id", b'"%d"' % i), ("n", t.encode()), ("x", b"-" + t.encode() if t[0] != "-" else t[1:].encode())]
             for i, t in enumerate(texts)]
    body = write_body(leads)
    batch = check_agrees(body)
    parsed = orjson.loads(body)["leads"]
    kinds = batch.kind[:, 2]
    fast = np.isin(kinds, [INT, FLOAT])
    # Most of them are read by the scanner itself (not handed to orjson): the test tests it.
    assert fast.sum() >= 0.5 * len(texts)
    for i in np.flatnonzero(fast).tolist():
        value = parsed[i]["n"]
        got = batch.pick(2, np.array([i]))[0]
        assert identical(got, value), texts[i]
        if kinds[i] == FLOAT:  # Python's own correctly rounded reading too
            assert identical(float(texts[i]), value), texts[i]
    # A column of only the numbers read by the scanner: floats() gives them all, bit for bit.
    only_fast = [[("lead_id", b'"%d"' % i), ("n", texts[i].encode())] for i in np.flatnonzero(fast).tolist()]
    body = write_body(only_fast)
    batch = read_batch(body, NAMES, USED, 100_000)
    floats = batch.floats(2)
    assert floats is not None
    expected = np.array([float(lead["n"]) for lead in orjson.loads(body)["leads"]])
    np.testing.assert_array_equal(floats.view(np.int64), expected.view(np.int64))


# ------------------------------------------------- 2. the reader gives up where it must
BASE = b'{"leads": [{"lead_id": "a", "n": 1, "s": "x"}, {"lead_id": "b", "n": 2.5, "s": "y", "x": [1, {"k": null}]}]}'


def swapped(old: bytes, new: bytes, count: int = 1) -> bytes:
    assert old in BASE
    return BASE.replace(old, new, count)


# Bodies that are not JSON: orjson rejects each, and so must the reader.
INVALID = {
    "trailing comma in a lead": swapped(b'"s": "x"}', b'"s": "x",}'),
    "trailing comma in leads": swapped(b"null}]}]}", b"null}]},]}"),
    "trailing comma at the top": swapped(b"]}]}", b"]}],}"),
    "trailing garbage": BASE + b"x",
    "a second object": BASE + b"{}",
    "a trailing number": BASE + b" 1",
    "a trailing NUL": BASE + b"\x00",
    "single-quoted key": swapped(b'"s": "x"', b"'s': \"x\""),
    "single-quoted value": swapped(b'"s": "x"', b"\"s\": 'x'"),
    "single-quoted top key": swapped(b'"leads"', b"'leads'"),
    "NaN": swapped(b'"n": 1', b'"n": NaN'),
    "Infinity": swapped(b'"n": 1', b'"n": Infinity'),
    "-Infinity": swapped(b'"n": 1', b'"n": -Infinity'),
    "nan": swapped(b'"n": 1', b'"n": nan'),
    "leading zero": swapped(b'"n": 1', b'"n": 012'),
    "negative leading zero": swapped(b'"n": 1', b'"n": -012'),
    "double zero": swapped(b'"n": 1', b'"n": 00'),
    "leading zero with a fraction": swapped(b'"n": 1', b'"n": 01.5'),
    "1.": swapped(b'"n": 1', b'"n": 1.'),
    ".5": swapped(b'"n": 1', b'"n": .5'),
    "-.5": swapped(b'"n": 1', b'"n": -.5'),
    "1.e5": swapped(b'"n": 1', b'"n": 1.e5'),
    "1e": swapped(b'"n": 1', b'"n": 1e'),
    "1e+": swapped(b'"n": 1', b'"n": 1e+'),
    "a lone minus": swapped(b'"n": 1', b'"n": -'),
    "a plus sign": swapped(b'"n": 1', b'"n": +1'),
    "hex": swapped(b'"n": 1', b'"n": 0x10'),
    "underscore digits": swapped(b'"n": 1', b'"n": 1_000'),
    "two points": swapped(b'"n": 2.5', b'"n": 2.5.1'),
    "infinite number": swapped(b'"n": 1', b'"n": 1e999'),
    "negative infinite number": swapped(b'"n": 1', b'"n": -1e400'),
    "infinite number in a nested value": swapped(b"[1, {", b"[1e999, {"),
    "infinite number in an unused field": swapped(b'"s": "x"', b'"s": "x", "unused": 1e999'),
    "missing colon": swapped(b'"n": 1', b'"n" 1'),
    "missing comma": swapped(b'"n": 1, ', b'"n": 1 '),
    "missing comma between leads": swapped(b'"x"}, {', b'"x"} {'),
    "missing colon at the top": swapped(b'"leads":', b'"leads"'),
    "tru": swapped(b'"n": 1', b'"n": tru'),
    "nul": swapped(b'"n": 1', b'"n": nul'),
    "True": swapped(b'"n": 1', b'"n": True'),
    "NULL": swapped(b'"n": 1', b'"n": NULL'),
    "falsey": swapped(b'"n": 1', b'"n": falsey'),
    "escape \\x": swapped(b'"x"', b'"\\x41"'),
    "escape \\'": swapped(b'"x"', b"\"\\'\""),
    "short \\u": swapped(b'"x"', b'"\\u12"'),
    "non-hex \\u": swapped(b'"x"', b'"\\u12G4"'),
    "escape \\U": swapped(b'"x"', b'"\\U0041"'),
    "escape \\0": swapped(b'"x"', b'"\\0"'),
    "lone high surrogate": swapped(b'"x"', b'"\\ud800"'),
    "lone low surrogate": swapped(b'"x"', b'"\\uDC00 "'),
    "high surrogate then text": swapped(b'"x"', b'"\\ud83dx"'),
    "unclosed string": swapped(b'"x"}', b'"x}'),
    "unclosed nested value": swapped(b'[1, {"k": null}]', b'[1, {"k": null}'),
    "mismatched brackets": swapped(b'[1, {"k": null}]', b'[1, {"k": null]}'),
    "trailing comma in a nested value": swapped(b'[1, {"k": null}]', b'[1, {"k": null},]'),
    "key without value in a nested value": swapped(b'{"k": null}', b'{"k"}'),
    "raw NUL in a string": swapped(b'"x"', b'"a\x00b"'),
    "raw control character": swapped(b'"x"', b'"a\x1fb"'),
    "raw newline in a string": swapped(b'"x"', b'"a\nb"'),
    "raw tab in a string": swapped(b'"x"', b'"a\tb"'),
    "raw newline in a key": swapped(b'"s": "x"', b'"s\n": "x"'),
    "byte 0xff": swapped(b'"x"', b'"a\xffb"'),
    "byte 0xfe": swapped(b'"x"', b'"\xfe"'),
    "lone continuation byte": swapped(b'"x"', b'"a\x80b"'),
    "overlong slash": swapped(b'"x"', b'"\xc0\xaf"'),
    "overlong two bytes": swapped(b'"x"', b'"\xc1\xbf"'),
    "overlong three bytes": swapped(b'"x"', b'"\xe0\x80\xaf"'),
    "overlong four bytes": swapped(b'"x"', b'"\xf0\x80\x80\xaf"'),
    "encoded surrogate": swapped(b'"x"', b'"\xed\xa0\x80"'),
    "encoded low surrogate": swapped(b'"x"', b'"\xed\xbf\xbf"'),
    "past U+10FFFF": swapped(b'"x"', b'"\xf4\x90\x80\x80"'),
    "lead byte 0xf5": swapped(b'"x"', b'"\xf5\x80\x80\x80"'),
    "cut UTF-8 sequence": swapped(b'"x"', b'"\xe2\x82"'),
    "cut UTF-8 sequence before text": swapped(b'"x"', b'"\xe2\x82x"'),
    "invalid UTF-8 in a key": swapped(b'"s": "x"', b'"s\xff": "x"'),
    "invalid UTF-8 in a nested value": swapped(b'{"k": null}', b'{"k": "\xff"}'),
    "invalid UTF-8 in a nested key": swapped(b'{"k": null}', b'{"\xc0\xaf": null}'),
    "invalid UTF-8 in an unused field": swapped(b'"s": "x"', b'"s": "x", "unused": "\xed\xa0\x80"'),
    "invalid UTF-8 in the id": swapped(b'"a"', b'"a\xff"'),
    "BOM": b"\xef\xbb\xbf" + BASE,
    "empty body": b"",
    "only whitespace": b" \n\t ",
    "form feed as whitespace": swapped(b'"n": 1', b'"n":\x0c1'),
    "non-breaking space as whitespace": swapped(b'"n": 1', b'"n":\xc2\xa01'),
    "a comment": swapped(b'"n": 1', b'"n": /* one */ 1'),
    "an unquoted key": swapped(b'"n": 1', b"n: 1"),
}

# JSON that orjson reads, but that the reader leaves to it (no second set of rules for them).
GIVE_UP = {
    "unknown key twice": swapped(b'"n": 1', b'"n": 1, "zzz": 1, "zzz": 2'),
    "unknown key twice, once escaped": swapped(b'"n": 1', b'"n": 1, "zzz": 1, "zz\\u007a": 2'),
    "two unknown keys alike once read": swapped(b'"n": 1', b'"n": 1, "zzz": 1', 1).replace(
        b'"n": 2.5', b'"n": 2.5, "zz\\u007a": 1'),
    "a known name escaped": swapped(b'"n": 1', b'"\\u006e": 1'),
    "a known name escaped, beside it": swapped(b'"n": 1', b'"n": 1, "\\u006e": 2'),
    "too many unknown names": swapped(b'"n": 1', b'"n": 1, ' + b", ".join(
        b'"k%d": %d' % (j, j) for j in range(MAX_UNKNOWN_NAMES + 1))),
    "repeated key": swapped(b'"n": 1', b'"n": 1, "n": 2'),
    "repeated key, same value": swapped(b'"s": "x"', b'"s": "x", "s": "x"'),
    "repeated id": swapped(b'"lead_id": "b",', b'"lead_id": "b", "lead_id": "c",'),
    "a known key written with an escape": swapped(b'"lead_id": "a"', b'"lead\\u005fid": "a"'),
    "repeated key, once escaped": swapped(b'"n": 1', b'"n": 1, "\\u006e": 2'),
    "surrogate pair": swapped(b'"x"', b'"\\ud83d\\ude00"'),
    "surrogate pair, upper case": swapped(b'"x"', b'"\\uD83D\\uDE00"'),
    "surrogate pair in a nested value": swapped(b'{"k": null}', b'{"k": "\\ud83d\\ude00"}'),
    "surrogate pair in a key": swapped(b'"s": "x"', b'"s\\ud83d\\ude00": "x"'),
    "leads written with an escape": BASE.replace(b'"leads"', b'"le\\u0061ds"'),
    "another top-level key first": b'{"other": 1, ' + BASE[1:],
    "another top-level key after": BASE[:-1] + b', "other": 1}',
    "leads twice": BASE[:-1] + b', "leads": [{"lead_id": "c"}]}',
    "empty leads": b'{"leads": []}',
    "leads not an array": b'{"leads": {"lead_id": "a"}}',
    "leads null": b'{"leads": null}',
    "no leads": b"{}",
    "top level an array": b'[{"lead_id": "a"}]',
    "top level a string": b'"leads"',
    "a lead that is a number": swapped(b"[{", b"[1, {"),
    "a lead that is null": swapped(b"[{", b"[null, {"),
    "a lead that is a string": swapped(b"]}]}", b"]}, \"c\"]}"),
    "a lead that is an array": swapped(b"[{", b"[[], {"),
}


@pytest.mark.parametrize("name", list(INVALID))
def test_invalid_json_is_given_up_as_orjson_rejects_it(name):
    body = INVALID[name]
    with pytest.raises(orjson.JSONDecodeError):
        orjson.loads(body)
    assert read_batch(body, NAMES, USED, 100) is None


@pytest.mark.parametrize("name", list(GIVE_UP))
def test_valid_json_outside_the_fast_path_is_given_up(name):
    body = GIVE_UP[name]
    orjson.loads(body)  # valid JSON: the caller parses it
    assert read_batch(body, NAMES, USED, 100) is None


# Fields the model does not know: read past, and noted per lead (the caller flags them).
UNKNOWN = {
    "unknown key": swapped(b'"n": 1', b'"n": 1, "zzz": 1'),
    "unknown key (a prefix of a name)": swapped(b'"n": 1', b'"n": 1, "lead": 1'),
    "unknown key (a name and more)": swapped(b'"n": 1', b'"n": 1, "lead_idx": 1'),
    "unknown key (a name in another case)": swapped(b'"n": 1', b'"n": 1, "S": 1'),
    "unknown key first": swapped(b'{"lead_id": "a"', b'{"zzz": null, "lead_id": "a"'),
    "unknown keys in both leads": swapped(b'"n": 2.5', b'"n": 2.5, "zzz": "q", "w": 1').replace(
        b'"n": 1,', b'"n": 1, "w": {"deep": [1, 2]},'),
    "unknown key escaped": swapped(b'"n": 1', b'"n": 1, "zz\\u007a\\n": [true]'),
    "unknown key, value off the number fast path": swapped(b'"n": 1', b'"n": 1, "big": 123456789012345678901234'),
    "every unknown name it takes": swapped(b'"n": 1', b'"n": 1, ' + b", ".join(
        b'"k%d": %d' % (j, j) for j in range(MAX_UNKNOWN_NAMES))),
}


@pytest.mark.parametrize("name", sorted(UNKNOWN))
def test_unknown_fields_are_read_past_and_noted(name):
    check_agrees(UNKNOWN[name])


def test_a_field_under_another_spelling_is_read_as_that_field():
    def spelled(name: str) -> int | None:  # "S" and "s_" for "s", "N" for "n"
        key = name.lower().strip("_")
        return NAMES.index(key) if key in ("s", "n") else None

    body = (b'{"leads": [{"lead_id": "a", "S": "x", "N": 2.5}, {"lead_id": "b", "s": "y", "S": "z"},'
            b' {"lead_id": "c", "S": "w", "s_": "v"}, {"lead_id": "d", "N": null, "zzz": 1}]}')
    batch = read_batch(body, NAMES, USED, 100, spelled)
    s, n = NAMES.index("s"), NAMES.index("n")
    assert batch.pick(s, np.arange(4)) == ["x", "y", "w", None]  # b has s itself; c's first spelling
    assert batch.floats(n).tolist()[:1] == [2.5] and batch.kind[3, n] == NULL
    unknown = batch.unknown
    assert [sorted(name for o, name in enumerate(unknown.names) if unknown.carried[i] >> o & 1)
            for i in range(4)] == [[], ["S"], ["s_"], ["zzz"]]
    # Without the spellings, every one of them is unknown.
    assert read_batch(body, NAMES, USED, 100).pick(s, np.arange(4)) == [None, "y", None, None]
    renamed_only = b'{"leads": [{"lead_id": "a", "S": "x"}]}'
    assert read_batch(renamed_only, NAMES, USED, 100, spelled).unknown is None


def test_the_base_body_and_harmless_variants_are_read():
    # The bodies above differ from BASE by the one feature they are named after.
    check_agrees(BASE)
    check_agrees(b" \n" + BASE + b"\r\n\t ")
    check_agrees(swapped(b'"s": "x"', b'"s": "x", "unused": "z"'))
    check_agrees(swapped(b'"x"', '"😀"'.encode()))
    check_agrees(swapped(b'"x"', b'"\\ue000\\uffff\\ud7ff"'))  # next to the surrogates, not in them
    check_agrees(swapped(b'"x"', '"\U0010ffff\u0800\u0080"'.encode()))  # the UTF-8 edges
    check_agrees(swapped(b'"x"', '"\ufffe\uffff\ud7ff\ue000"'.encode()))  # noncharacters, raw


# orjson refuses a document nested more than 1,024 deep (objects and arrays); a lead's field
# starts at depth 3 (the body, "leads", the lead), so a value 1,022 deep is fine alone and
# valid by the JSON grammar, but makes orjson reject the body. The reader reads values nested
# up to MAX_NESTING and leaves deeper ones to orjson.
DEPTH_LIMIT = 1024


def deep(depth: int, kind: str = "array") -> bytes:
    return b"[" * depth + b"]" * depth if kind == "array" else b'{"a":' * depth + b"1" + b"}" * depth


def unwrap(value: Any) -> tuple[int, Any]:
    """(depth, innermost value) of a value from ``deep`` (walked in a loop: comparing such
    values with == or ``identical`` would exceed Python's recursion limit)."""
    depth = 0
    while type(value) in (list, dict):
        depth += 1
        if not value:
            return depth, None
        value = value[0] if type(value) is list else value["a"]
    return depth, value


def test_nesting_up_to_the_readers_limit_is_read():
    for kind in ("array", "object"):
        for depth in (1, 100, MAX_NESTING):
            body = b'{"leads": [{"lead_id": "a", "x": ' + deep(depth, kind) + b"}]}"
            batch = read_batch(body, NAMES, USED, 10)
            assert batch is not None and batch.kind[0, 3] == NESTED
            got = batch.pick(3, np.array([0]))[0]
            assert unwrap(got) == unwrap(orjson.loads(body)["leads"][0]["x"]) == (depth, None if kind == "array" else 1)


@pytest.mark.parametrize("kind", ["array", "object"])
def test_nesting_past_the_readers_limit_is_given_up(kind):
    # Deeper than MAX_NESTING but read by orjson: left to it.
    for depth in (MAX_NESTING + 1, DEPTH_LIMIT - 3):
        body = b'{"leads": [{"x": ' + deep(depth, kind) + b"}]}"
        orjson.loads(body)
        assert read_batch(body, ["x"], [], 10) is None
    # Past orjson's limit in the body, though not alone: refused by both.
    for depth in (DEPTH_LIMIT - 2, DEPTH_LIMIT):
        body = b'{"leads": [{"x": ' + deep(depth, kind) + b"}]}"
        with pytest.raises(orjson.JSONDecodeError, match="depth limit"):
            orjson.loads(body)
        orjson.loads(deep(depth, kind))  # the value alone is read
        assert read_batch(body, ["x"], [], 10) is None


def test_every_prefix_of_a_body_is_given_up():
    body = orjson.dumps(orjson.loads(write_body(leads_with(VALUES, np.random.default_rng(3), 60))))
    check_agrees(body)
    for end in range(len(body)):
        assert read_batch(body[:end], NAMES, USED, 100) is None, body[:end][-40:]


def test_at_most_max_leads_are_read():
    body = write_body([[("lead_id", b'"%d"' % i)] for i in range(10)])
    assert read_batch(body, NAMES, USED, 10).n == 10
    assert read_batch(body, NAMES, USED, 9) is None
    assert read_batch(body, NAMES, USED, 100).n == 10
    # More leads than the first arrays hold (64 rows, grown on the way).
    big = write_body([[("lead_id", b'"%d"' % i), ("n", b"%d" % i)] for i in range(1000)])
    assert read_batch(big, NAMES, USED, 1000).n == 1000
    assert read_batch(big, NAMES, USED, 999) is None


EDIT_BYTES = b'{}[]":,\\ -+.0123456789eEtrufalsn\xff\xc3\xa9\x00\nabc'


def random_edit(body: bytes, rng: np.random.Generator) -> bytes:
    """``body`` with one byte changed, dropped or doubled: mostly near-valid, invalid bodies."""
    at = int(rng.integers(len(body)))
    edit = rng.integers(3)
    if edit == 0:
        return body[:at] + bytes([EDIT_BYTES[rng.integers(len(EDIT_BYTES))]]) + body[at + 1:]
    if edit == 1:
        return body[:at] + body[at + 1:]
    return body[:at] + body[at:at + 1] + body[at:]


def test_random_byte_edits_are_read_as_orjson_reads_them_or_given_up():
    # The contract for any body: None, or orjson's values. Edits of a valid body (a byte
    # changed, dropped or doubled) make many near-valid bodies, most of them invalid.
    rng = np.random.default_rng(11)
    body = orjson.dumps(orjson.loads(write_body(leads_with(VALUES, rng, 40))))
    read = 0
    for _ in range(1500):
        changed = random_edit(body, rng)
        batch = read_batch(changed, NAMES, USED, 1000)
        try:
            orjson.loads(changed)
        except orjson.JSONDecodeError:
            assert batch is None, changed
            continue
        if batch is not None:
            read += 1
            check_agrees(changed)
    assert read >= 100  # edits inside texts and numbers still read (not all given up)


# ------------------------------------------------------------------- 3. dates
DATE_NAMES = ["lead_id", "d"]


def random_stamps(rng: np.random.Generator, count: int) -> list[str]:
    out = []
    for _ in range(count):
        year, month = int(rng.integers(1900, 2200)), int(rng.integers(1, 13))
        day = int(rng.integers(1, calendar.monthrange(year, month)[1] + 1))
        hour, minute, second = int(rng.integers(0, 24)), int(rng.integers(0, 60)), int(rng.integers(0, 60))
        shape = rng.integers(5)
        date = f"{year:04d}-{month:02d}-{day:02d}"
        sep = "T" if rng.random() < 0.5 else " "
        out.append(date if shape == 0 else f"{date}{sep}{hour:02d}:{minute:02d}" if shape < 3
                   else f"{date}{sep}{hour:02d}:{minute:02d}:{second:02d}")
    return out


def date_body(stamps: list[str | None], extra: bytes | None = None) -> bytes:
    leads = []
    for i, stamp in enumerate(stamps):
        members = [("lead_id", b'"%d"' % i)]
        if stamp is not None:
            members.append(("d", orjson.dumps(stamp)))
        elif i % 2:
            members.append(("d", b"null"))  # null or absent
        leads.append(members)
    if extra is not None:
        leads.append([("lead_id", b'"extra"'), ("d", extra)])
    return write_body(leads)


def test_days_equal_numpys_reading_bit_for_bit():
    rng = np.random.default_rng(5)
    stamps = random_stamps(rng, 3000)
    stamps += ["1900-01-01", "2199-12-31 23:59:59", "2000-02-29", "2024-02-29T23:59", "1970-01-01",
               "1969-12-31T23:59:59", "2196-02-29 00:00:01", "1904-02-29"]
    read = read_batch(date_body(stamps), DATE_NAMES, [1], 10_000)
    expected = _plain_dates(stamps)
    assert expected is not None
    np.testing.assert_array_equal(read.days(1).view(np.int64), expected.view(np.int64))
    # With nulls and absent values mixed in: NaN there, the same days elsewhere.
    holes = [None if rng.random() < 0.2 else s for s in stamps]
    days = read_batch(date_body(holes), DATE_NAMES, [1], 10_000).days(1)
    assert days is not None
    present = np.array([s is not None for s in holes])
    assert np.isnan(days[~present]).all()
    np.testing.assert_array_equal(days[present].view(np.int64), expected[present].view(np.int64))
    # Only nulls: all NaN.
    assert np.isnan(read_batch(date_body([None] * 5), DATE_NAMES, [1], 10).days(1)).all()


BAD_STAMPS = ["1900-02-29", "2100-02-29", "2023-02-29", "2024-02-30", "2024-04-31", "2024-01-32",
              "2024-13-01", "2024-00-10", "2024-01-00", "2024-01-01 24:00", "2024-01-01T10:60",
              "2024-01-01 10:20:60", "2024-01-01T10:20:99", "1899-12-31", "2200-01-01", "0024-01-01",
              "2024-01-01T10:20:30.5", "2024-01-01 10:20:30.123456", "2024-01-01T10:20:30Z",
              "2024-01-01T10:20Z", "2024-01-01T10:20:30+02:00", "2024-01-01Z", "2024-1-01", "2024-01-1",
              "24-01-01", "2024-01-01T10", "2024-01-01T10:2", "2024-01-01T10:20:3", "2024/01/01",
              "2024-01-01X10:20", "2024-01-01 10-20", "2024-01-01 10:20-30", "2024-01-01t10:20",
              " 2024-01-01", "2024-01-01 ", "", "20240101", "2024-01-01T10:20:3a", "2024-0a-01",
              "2o24-01-01", "-2024-01-01", "2024-01-01T1a:20", "2024-01-01 10:2b", "２０２４-01-01",
              "2024-01-01T10:20:30:00", "2024-01-01T10:20:30 "]


@pytest.mark.parametrize("stamp", BAD_STAMPS)
def test_days_give_up_on_anything_but_a_plain_real_stamp(stamp):
    good = random_stamps(np.random.default_rng(1), 20)
    batch = read_batch(date_body(good + [stamp]), DATE_NAMES, [1], 100)
    assert batch is not None  # the body is read; only the field is not a column of days
    assert batch.days(1) is None
    assert read_batch(date_body(good), DATE_NAMES, [1], 100).days(1) is not None


@pytest.mark.parametrize("value", [b"20240101", b"true", b"false", b'["2024-01-01"]', b'{"d": "2024-01-01"}',
                                   b'"2024\\u002d01-01"', b'"2024-01-01\\u0020"', b"2024.0101"])
def test_days_give_up_on_values_that_are_not_plain_text(value):
    good = random_stamps(np.random.default_rng(2), 20)
    batch = read_batch(date_body(good, value), DATE_NAMES, [1], 100)
    assert batch is not None and batch.days(1) is None
