"""A body read in two halves at once (``read_batch`` with a pool): the second half from the
first lead after the middle, kept only when the first half's reading ends there. Whatever the
bytes, the halves give exactly what reading the whole body gives.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import orjson
import pytest

from scoring.service import scan
from scoring.service.scan import read_batch

from test_body_reader import (GIVE_UP, INVALID, NAMES, UNKNOWN, USED, VALUES, leads_with, random_edit,
                              write_body)

pytestmark = pytest.mark.skipif(scan.numba is None, reason="numba not installed: the body reader always gives up")


@pytest.fixture(scope="module")
def pool():
    with ThreadPoolExecutor(1) as executor:
        yield executor


def same_read(body: bytes, pool, max_leads: int = 100_000) -> bool:
    """The body read in two halves (split_min=0: any body) is read exactly as read whole;
    whether it was read."""
    whole = read_batch(body, NAMES, USED, max_leads)
    halves = read_batch(body, NAMES, USED, max_leads, pool=pool, split_min=0)
    assert (whole is None) == (halves is None), body[:200]
    if whole is None:
        return False
    for name in ("kind", "start", "end", "numbers", "first"):
        np.testing.assert_array_equal(getattr(whole, name), getattr(halves, name), err_msg=name)
    assert (whole.unknown is None) == (halves.unknown is None)
    if whole.unknown is not None:
        assert whole.unknown.names == halves.unknown.names
        np.testing.assert_array_equal(whole.unknown.carried, halves.unknown.carried)
    return True


def test_two_halves_read_as_the_whole_body(pool):
    rng = np.random.default_rng(21)
    for count in (1, 2, 3, 7, 40, 200):
        body = write_body(leads_with(VALUES, rng, count))
        assert same_read(body, pool)
        assert same_read(orjson.dumps(orjson.loads(body), option=orjson.OPT_INDENT_2), pool)
        assert same_read(body.replace(b'"lead_id"', b'"zzz": [1, {"k": "}, {"}], "lead_id"'), pool)
    # Strings holding the bytes of a lead boundary at every place the middle may fall.
    trap = [[("lead_id", b'"%d"' % i), ("s", b'"} , {\\"s\\": 1}, {"'), ("x", b'["}", ",", "{"]')]
            for i in range(30)]
    body = write_body(trap)
    for end in range(len(body) // 3, len(body)):
        shorter = body[:end]
        same_read(shorter, pool)  # (a prefix: given up both ways)
    assert same_read(body, pool)
    for name in list(INVALID) + list(GIVE_UP) + list(UNKNOWN):
        same_read({**INVALID, **GIVE_UP, **UNKNOWN}[name], pool)
    # At most max_leads in all, counted over both halves.
    big = write_body([[("lead_id", b'"%d"' % i), ("n", b"%d" % i)] for i in range(1000)])
    assert same_read(big, pool, 1000) and not same_read(big, pool, 999)


def test_two_halves_of_edited_bodies_read_as_the_whole(pool):
    rng = np.random.default_rng(12)
    body = orjson.dumps(orjson.loads(write_body(leads_with(VALUES, rng, 40))))
    read = 0
    for _ in range(1500):
        read += same_read(random_edit(body, rng), pool)
    assert read >= 100
