"""A lead's value as a reason shows it (``scoring.reasons.format_value``), fast and remembered."""
from __future__ import annotations

import math
from typing import Any, Sequence

from scoring.reasons import MAX_VALUE_CHARS, format_value
from scoring.service.hotpath import CACHE_SIZE, clean_text

TEXT_TYPES = (str, int, float, bool)  # value types whose texts are remembered, keyed per type


def value_text(value: Any) -> str:
    """``scoring.reasons.format_value`` with a shortcut for short plain strings."""
    kind = type(value)
    if kind is str and len(value) <= MAX_VALUE_CHARS:
        token = clean_text(value)
        return "missing" if token is None else token
    if kind is float and math.isfinite(value):
        return f"{value:.4g}"
    if kind is int and -10**39 < value < 10**39:
        return str(value)
    return format_value(value)


class ValueTexts:
    """``value_text`` of whole columns of lead values, remembered per value type.

    The text depends on the value and its type only (1, 1.0 and True print differently but are
    equal keys, so each type has its own table). A column of one type (and nulls) is looked up
    in one C loop; the values not seen yet, and columns that mix types, go value by value.
    """

    def __init__(self, limit: int = 4 * CACHE_SIZE):
        missing = value_text(None)
        self.tables: dict[type, dict] = {kind: {None: missing} for kind in TEXT_TYPES}
        self.limit = limit

    def column(self, values: Sequence[Any]) -> list[str]:
        kinds = set(map(type, values))
        kinds.discard(type(None))
        if len(kinds) > 1:
            table = None
        else:  # one type, or only nulls (in every table)
            table = self.tables.get(kinds.pop()) if kinds else self.tables[str]
        if table is not None:
            try:
                return list(map(table.__getitem__, values))
            except (KeyError, TypeError):  # a value not seen yet (or an unhashable one, below)
                pass
        tables, limit = self.tables, self.limit
        out = []
        for value in values:
            table = tables.get(type(value))
            text = table.get(value) if table is not None else None
            if text is None:
                text = value_text(value)
                # No float zero: 0.0 and -0.0 are equal keys but print "0" and "-0" (and NaN,
                # which equals nothing, is never found again).
                if (table is not None and len(table) < limit and value == value
                        and not (type(value) is float and value == 0)):
                    table[value] = text
            out.append(text)
        return out
