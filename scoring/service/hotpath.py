"""One lead dict -> one numpy row, checked field by field, without pandas.

The batch encoder (:class:`scoring.encoder.LeadEncoder`) spreads each column through pandas,
which costs tens of microseconds per column even for one row. Here every model input column
becomes a small rule built from the encoder's learned state (category levels, frequencies, date
references) and the same scalar functions (:mod:`scoring.values`), so a lead encodes to exactly
the row the batch encoder would give. The rules also check JSON types (a number field given an
object, NaN, a string that is not a number, an over-long string) and say which field is wrong,
and they flag what was scored anyway: missing fields and categories the model never saw.
"""
from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, field
from itertools import chain
from typing import Any, Sequence

import numpy as np

from scoring.encoder import HOUR_EPSILON, LeadEncoder
from scoring.service.dates import date_table
from scoring.schema import ISO_DATE
from scoring.values import PLACEHOLDERS, clean_token, parse_bool, parse_dates, parse_number

ID_FIELD = "lead_id"
EPOCH = dt.datetime(1970, 1, 1)
FRACTION = re.compile(r"\.(\d+)")
MAX_ID = 2**63
CACHE_SIZE = 4096  # distinct raw values remembered per categorical field
COLUMNS_MIN = 16   # from this many leads, encode column by column (scoring.service.columns)
# What the published schema promises for text in number, yes/no and date fields (a subset of
# what is read: the schema must never admit a value that is then rejected).
NUMBER_TEXT = (r"^([-+]?([0-9]{1,30}(\.[0-9]{1,30})?|\.[0-9]{1,30})([eE][-+]?[0-9]{1,2})?"
               r"|[1-9][0-9]{0,2}(,[0-9]{3}){1,6}|n/a|N/A|unknown|)$")
BOOLEAN_TEXT = ["yes", "no", "Yes", "No", "true", "false", "True", "False", "y", "n", "1", "0", ""]
DATE_TEXT = r"^(19|20|21)[0-9]{2}-"


class LeadValidationError(ValueError):
    """Leads that cannot be scored as sent; ``problems`` are (field path, what is wrong)."""

    def __init__(self, problems: Sequence[tuple[str, str]]):
        self.problems = list(problems)
        shown = "; ".join(f"{path}: {text}" for path, text in self.problems[:5])
        more = f" (and {len(self.problems) - 5} more)" if len(self.problems) > 5 else ""
        super().__init__(f"{len(self.problems)} invalid field(s): {shown}{more}")


class NonFinite:
    """Stands for a NaN/Infinity literal found by the tolerant JSON parser (JSON has none)."""

    def __init__(self, text: str):
        self.text = text


def field_key(name: str) -> str:
    """A field name ignoring case, spaces, ``_`` and ``-``: ``Lead Source`` is ``lead_source``."""
    return re.sub(r"[\s_\-]+", "", name).casefold()


def clean_text(value: str) -> str | None:
    """``clean_token`` for a str (the common case), without its chain of type checks."""
    text = value.strip()
    return None if text.lower() in PLACEHOLDERS else text


def _type_name(value: Any) -> str:
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, bool):
        return f"{str(value).lower()}"
    if isinstance(value, NonFinite):
        return value.text
    if isinstance(value, str):
        return f"{value[:40]!r}"
    return repr(value)


def iso_days(token: str) -> float:
    """Days since 1970-01-01 UTC for an ISO 8601 string, as pandas computes them; NaN if unsure.

    pandas gives ``int64 nanoseconds / 86_400e9``; the same integer is built here, so the float
    is identical. Anything ``fromisoformat`` might read differently from pandas returns NaN and
    the caller falls back to pandas itself.
    """
    if not ISO_DATE.match(token):
        return math.nan
    fraction = FRACTION.search(token)
    if fraction and len(fraction.group(1)) > 6:
        return math.nan
    try:
        stamp = dt.datetime.fromisoformat(token)
    except ValueError:
        return math.nan
    if stamp.tzinfo is not None:
        stamp = stamp.astimezone(dt.timezone.utc).replace(tzinfo=None)
    delta = stamp - EPOCH
    nanoseconds = ((delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds) * 1000
    return float(nanoseconds) / 86_400e9


@dataclass
class FieldRule:
    """How one model input column is read from a JSON lead (see the module docstring)."""

    name: str
    kind: str                      # numeric, boolean, categorical, date
    first: int                     # first encoded column of this field
    levels: dict[str, int] = field(default_factory=dict)
    frequencies: dict[str, float] | None = None
    # raw str -> encoded result; leads repeat the same few category and yes/no values
    cache: dict[str, Any] = field(default_factory=dict, repr=False)
    # The same for the column path (scoring.service.columns), a category's code and frequency
    # share apart, so that a column is looked up in one C loop each; keys are texts and None.
    codes: dict[str | None, float] = field(default_factory=dict, repr=False)
    shares: dict[str | None, float] = field(default_factory=dict, repr=False)
    date_format: str = "ISO8601"
    decimal: str | None = None     # a numeric column's decimal separator (scoring.values)
    with_age: bool = False
    with_hour: bool = False
    reference_days: float = math.nan

    def json_schema(self, max_chars: int) -> dict:
        """JSON schema of the field: narrower than what is accepted, never wider."""
        bound = {"minimum": -1e300, "maximum": 1e300}
        if self.kind == "numeric":
            options = [{"type": "number", **bound},
                       {"type": "string", "pattern": NUMBER_TEXT,
                        "description": "a number as text; '', 'n/a', 'unknown' mean missing"}]
        elif self.kind == "boolean":
            options = [{"type": "boolean"}, {"type": "integer", "enum": [0, 1]},
                       {"type": "string", "enum": BOOLEAN_TEXT}]
        elif self.kind == "categorical":
            known = sorted(self.levels, key=self.levels.get)
            options = [{"type": "string", "maxLength": max_chars,
                        "description": f"known categories: {', '.join(known[:30])}; any other "
                                       "value is scored as 'other' and flagged"},
                       {"type": "number", **bound}, {"type": "boolean"}]
        else:
            options = [{"type": "string", "format": "date-time", "pattern": DATE_TEXT,
                        "description": "ISO 8601 date-time, e.g. 2026-11-03T14:05:00Z; other "
                                       "common date forms are read too"}]
        return {"anyOf": options + [{"type": "null"}], "title": self.name}


def build_rules(encoder: LeadEncoder) -> list[FieldRule]:
    """One rule per input column of a fitted encoder, in the encoder's column order."""
    rules, j = [], 0
    for codec in encoder.codecs_:
        spec = codec.spec
        rule = FieldRule(spec.name, spec.kind, j)
        if spec.kind == "categorical":
            rule.levels = {t: i for i, t in enumerate(codec.levels)}
            if codec.with_frequency:
                rule.frequencies = dict(zip(codec.frequency_levels, codec.frequencies))
        elif spec.kind == "numeric":
            rule.decimal = getattr(spec, "decimal", None)
        elif spec.kind == "date":
            rule.date_format = spec.date_format or "mixed"
            rule.with_age = codec.with_age
            rule.with_hour = codec.with_hour
            rule.reference_days = codec.reference_days
        rules.append(rule)
        j += len(codec.features())
    return rules


class RecordEncoder:
    """Checks and encodes JSON leads for a fitted :class:`LeadEncoder` (same rows it gives)."""

    def __init__(self, encoder: LeadEncoder, max_chars: int = 1000):
        self.rules = build_rules(encoder)
        self.n_features = encoder.n_features
        self.time_col = encoder.time_col
        self.max_chars = max_chars
        # Fields of the training export (used or not) and the lead id are expected; any other
        # field is flagged, and one that names an input ignoring case and spacing is used as it.
        self.known = frozenset(spec.name for spec in encoder.specs) | {ID_FIELD}
        self.by_key = {field_key(rule.name): rule.name for rule in self.rules}
        # For the column path's flags: each rule's name, and its number of known categories
        # (codes from it on are "other"; no code reaches infinity).
        self.rule_names = [rule.name for rule in self.rules]
        # Every field a lead may carry under its own name: the id, the inputs, the other fields
        # of the training export (the order scoring.service.scan reads them in).
        self.field_names = [ID_FIELD, *self.rule_names, *sorted(self.known - {ID_FIELD, *self.rule_names})]
        self.levels_per_rule = np.array([len(rule.levels) if rule.kind == "categorical" else np.inf
                                         for rule in self.rules], dtype=np.float64)

    # -------------------------------------------------------------- one value
    def _number(self, value: Any, decimal: str | None = None) -> float | str:
        """float (NaN = missing) or the problem as text."""
        kind = type(value)
        if kind is float:
            return value if math.isfinite(value) else f"{value} is not a number JSON allows"
        if kind is int:
            return float(value) if abs(value) < 1e300 else "number out of range"
        if kind is str:
            if len(value) > self.max_chars:
                return f"string of {len(value)} characters; at most {self.max_chars}"
            parsed = parse_number(value, decimal)
            if parsed is None:
                return f"expected a number, got {_type_name(value)}"
            if math.isinf(parsed):
                return f"expected a finite number, got {_type_name(value)}"
            return parsed
        return f"expected a number, got {_type_name(value)}"

    def _boolean(self, value: Any) -> float | str:
        if isinstance(value, (dict, list, NonFinite)):
            return f"expected true/false or yes/no, got {_type_name(value)}"
        if isinstance(value, str) and len(value) > self.max_chars:
            return f"string of {len(value)} characters; at most {self.max_chars}"
        if isinstance(value, float) and not math.isfinite(value):
            return f"expected true/false or yes/no, got {value}"
        parsed = parse_bool(value)
        return f"expected true/false or yes/no, got {_type_name(value)}" if parsed is None else parsed

    def _token(self, value: Any) -> str | None | tuple[str]:
        """Category token, None when missing, or a 1-tuple holding the problem."""
        if isinstance(value, str):
            if len(value) > self.max_chars:
                return (f"string of {len(value)} characters; at most {self.max_chars}",)
            return clean_text(value)
        if isinstance(value, int):  # bool too; any size (float() of a huge int would overflow)
            return clean_token(value)
        if isinstance(value, float) and math.isfinite(value):
            return clean_token(value)
        return (f"expected a text category, got {_type_name(value)}",)

    def _category(self, rule: FieldRule, value: Any) -> tuple[float, float, bool] | str:
        """(code, frequency share, known) as LeadEncoder computes them, or the problem."""
        token = None if value is None else self._token(value)
        if type(token) is tuple:
            return token[0]
        if token is None:
            return (math.nan, math.nan, False)
        other = len(rule.levels)
        code = rule.levels.get(token, other)
        share = rule.frequencies.get(token, 0.0) if rule.frequencies is not None else math.nan
        return (float(code), share, code != other)

    def _date(self, value: Any, date_format: str, table: dict | None = None) -> float | str:
        """Days (NaN = missing) or the problem; ``table``: the batch's texts already parsed."""
        if not isinstance(value, str):
            return f"expected a date as text, got {_type_name(value)}"
        if len(value) > self.max_chars:
            return f"string of {len(value)} characters; at most {self.max_chars}"
        if table is not None and value in table:
            days = table[value]
            return f"expected a date, got {_type_name(value)}" if days is None else days
        token = clean_text(value)
        if token is None:
            return math.nan
        days = iso_days(token)
        if math.isnan(days):
            days = float(parse_dates([token], date_format)[0])
            if math.isnan(days):
                return f"expected a date, got {_type_name(value)}"
        return days

    # ------------------------------------------------------------- one lead
    def encode(self, leads: Sequence[Any], path: str = "leads",
               columns: dict | None = None) -> tuple[np.ndarray, list[list[str]], list[Any]]:
        """(matrix, flags per lead, lead ids); raises :class:`LeadValidationError`.

        A field the model does not know is flagged ``unknown_field:<name>``; one whose name
        matches an input ignoring case, spaces, ``_`` and ``-`` (``"Lead Source"``) is used as
        that input, unless the lead also sends the input under its own name.
        ``columns``: filled, when the column path encodes the batch, with the leads' values of
        each input field (a renamed field's under the model's name), see ``encode_columns``.
        """
        return self.encode_matched(*self.match_fields(leads), path, columns)

    def encode_matched(self, matched: Sequence[Any], extra: dict[int, list[str]], path: str = "leads",
                       columns: dict | None = None) -> tuple[np.ndarray, list[list[str]], list[Any]]:
        """:meth:`encode` of :meth:`match_fields`' result: for a caller that reads the matched
        leads too (a reason shows the value of a renamed field, read under the model's name)."""
        X, flags, ids = self._encode_leads(matched, path, columns)
        for i, named in extra.items():
            flags[i] = named + flags[i]
        return X, flags, ids

    def match_fields(self, leads: Sequence[Any]) -> tuple[Sequence[Any], dict[int, list[str]]]:
        """(the leads with their fields under the model's names, {lead index: its
        ``unknown_field:<name>`` flags}); the leads themselves when no field needs renaming.

        A field the model does not know is renamed when its key (``field_key``) is a model
        field's under another spelling the lead does not also carry; else it is flagged."""
        known = self.known
        if set(map(type, leads)) == {dict} and known.issuperset(chain.from_iterable(leads)):
            return leads, {}  # every key of every lead known: one C loop over them all
        extra: dict[int, list[str]] = {}
        renamed: list[Any] | None = None
        for i, lead in enumerate(leads):
            if type(lead) is not dict or known.issuperset(lead):  # no set built per lead
                continue
            own = dict(lead)
            named = []
            # In the lead's own order (not a set's, which varies with the hash seed): of two
            # spellings of one field, the first is renamed and the second flagged, every run.
            for key in [key for key in lead if key not in known]:
                target = self.by_key.get(field_key(key)) if isinstance(key, str) else None
                if target is not None and target not in own:
                    own[target] = own.pop(key)
                else:
                    named.append(f"unknown_field:{str(key)[:100]}")
            if named:
                extra[i] = sorted(named)
            if renamed is None:
                renamed = list(leads)
            renamed[i] = own
        return (leads if renamed is None else renamed), extra

    def _encode_leads(self, leads: Sequence[Any], path: str,
                      columns: dict | None = None) -> tuple[np.ndarray, list[list[str]], list[Any]]:
        # Date texts of a batch, parsed once per field: shared by the two paths below.
        tables: dict[str, dict] = {}
        if len(leads) >= COLUMNS_MIN:
            from scoring.service.columns import encode_columns

            encoded = encode_columns(self, leads, tables, columns)
            if encoded is not None:
                return encoded
        if len(leads) > 1:
            for rule in self.rules:
                if rule.kind == "date" and rule.name not in tables:
                    tables[rule.name] = self.date_table(rule, leads)
        X = np.empty((len(leads), self.n_features), dtype=np.float64)
        flags: list[list[str]] = []
        ids: list[Any] = []
        problems: list[tuple[str, str]] = []
        for i, lead in enumerate(leads):
            here = f"{path}[{i}]"
            if not isinstance(lead, dict):
                problems.append((here, f"expected an object (one lead), got {_type_name(lead)}"))
                flags.append([])
                ids.append(None)
                continue
            ids.append(self._lead_id(lead, here, problems))
            flags.append(self._encode_one(lead, X[i], here, problems, tables))
        if problems:
            raise LeadValidationError(problems)
        return X, flags, ids

    def _lead_id(self, lead: dict, here: str, problems: list) -> Any:
        if ID_FIELD not in lead or lead[ID_FIELD] is None:
            problems.append((f"{here}.{ID_FIELD}", "required field missing"))
            return None
        value = lead[ID_FIELD]
        if isinstance(value, str):
            if not value:
                problems.append((f"{here}.{ID_FIELD}", "must not be empty"))
            elif len(value) > min(self.max_chars, 256):
                problems.append((f"{here}.{ID_FIELD}", f"string of {len(value)} characters; at "
                                 f"most {min(self.max_chars, 256)}"))
            return value
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) < MAX_ID:
            return value
        if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
            return int(value)  # JSON Schema counts 5.0 as an integer
        problems.append((f"{here}.{ID_FIELD}", f"expected a string or an integer, got {_type_name(value)}"))
        return None

    def date_table(self, rule: FieldRule, leads: Sequence[Any]) -> dict:
        """The distinct texts of date field ``rule`` among ``leads``, parsed (see dates.py)."""
        name = rule.name
        return date_table((lead.get(name) for lead in leads if type(lead) is dict), rule.date_format,
                          self.max_chars)

    def _encode_one(self, lead: dict, row: np.ndarray, here: str, problems: list,
                    tables: dict | None = None) -> list[str]:
        flags: list[str] = []
        time_days = math.nan
        dates: list[tuple[FieldRule, float]] = []
        for rule in self.rules:
            value = lead.get(rule.name)
            j = rule.first
            if rule.kind == "categorical":
                cached = rule.cache.get(value) if type(value) is str else None
                if cached is None:
                    cached = self._category(rule, value)
                    if type(cached) is str:
                        problems.append((f"{here}.{rule.name}", cached))
                        continue
                    if type(value) is str and len(rule.cache) < CACHE_SIZE:
                        rule.cache[value] = cached
                code, share, known = cached
                row[j] = code
                if rule.frequencies is not None:
                    row[j + 1] = share
                if not known:
                    flags.append(f"missing:{rule.name}" if math.isnan(code)
                                 else f"unknown_category:{rule.name}")
                continue
            if value is None:
                result = math.nan
            elif rule.kind == "numeric":
                result = self._number(value, rule.decimal)
            elif rule.kind == "boolean":
                result = rule.cache.get(value) if type(value) is str else None
                if result is None:
                    result = self._boolean(value)
                    if type(value) is str and type(result) is float and len(rule.cache) < CACHE_SIZE:
                        rule.cache[value] = result
            else:
                result = self._date(value, rule.date_format, tables.get(rule.name) if tables else None)
            if type(result) is str:
                problems.append((f"{here}.{rule.name}", result))
                continue
            if math.isnan(result):
                flags.append(f"missing:{rule.name}")
            if rule.kind == "date":
                dates.append((rule, result))
                if rule.name == self.time_col:
                    time_days = result
            else:
                row[j] = result
        for rule, days in dates:
            self._date_features(rule, days, time_days, row)
        return flags

    @staticmethod
    def _date_features(rule: FieldRule, days: float, time_days: float, row: np.ndarray) -> None:
        # The arithmetic of LeadEncoder._encode, one value at a time.
        j = rule.first
        if rule.with_age:
            reference = time_days if math.isfinite(time_days) else rule.reference_days
            row[j] = reference - days
            j += 1
        if math.isnan(days):
            row[j] = math.nan
            if rule.with_hour:
                row[j + 1] = math.nan
            return
        floor = math.floor(days)
        row[j] = (floor + 3.0) % 7.0  # 1970-01-01 was a Thursday: Monday = 0
        if rule.with_hour:
            row[j + 1] = math.floor((days - floor) * 24.0 + HOUR_EPSILON)

    def json_schema(self) -> dict:
        """JSON schema of one lead for this model (``lead_id`` plus the model's input fields)."""
        id_chars = min(self.max_chars, 256)
        properties = {ID_FIELD: {"anyOf": [{"type": "string", "minLength": 1, "maxLength": id_chars},
                                           {"type": "integer", "minimum": -(MAX_ID - 1),
                                            "maximum": MAX_ID - 1}],
                                 "title": "Lead Id", "description": "echoed in the answer"}}
        for rule in self.rules:
            properties[rule.name] = rule.json_schema(self.max_chars)
        return {"type": "object", "title": "Lead", "required": [ID_FIELD], "properties": properties,
                "additionalProperties": True,
                "description": "One lead. Fields the model does not use are ignored; missing "
                               "fields are scored as missing and flagged."}
