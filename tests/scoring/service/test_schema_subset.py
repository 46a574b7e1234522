"""The published schema must never admit text the service then refuses (CI once found '0.')."""
from __future__ import annotations

import re

from hypothesis import given, settings, strategies as st

from scoring.service.hotpath import BOOLEAN_TEXT, NUMBER_TEXT
from scoring.values import parse_bool, parse_number

# These are the cells a placeholder stands for: they read as missing, which the service accepts.
MISSING = {"", "n/a", "N/A", "unknown"}


@settings(max_examples=400, deadline=None)
@given(st.from_regex(NUMBER_TEXT, fullmatch=True))
def test_every_number_text_the_schema_allows_is_read(text: str) -> None:
    if text.strip() in MISSING:
        return
    value = parse_number(text, None)
    assert value is not None, f"schema admits {text!r} but parse_number refuses it"


def test_a_trailing_point_is_outside_the_schema() -> None:
    assert re.fullmatch(NUMBER_TEXT, "0.") is None
    assert re.fullmatch(NUMBER_TEXT, "0.5") is not None


def test_every_boolean_text_is_read() -> None:
    for text in BOOLEAN_TEXT:
        if text:
            assert parse_bool(text) is not None, text
