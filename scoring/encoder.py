"""The feature encoder: lead columns -> a float matrix, with plain numpy and dicts.

No ColumnTransformer: one lead dict must become a numpy row in microseconds for the HTTP
service, and a million-row frame must encode in well under a second. Each column is mapped
through its *distinct* values (see :mod:`scoring.values`), so both paths share one definition.

Output columns ("encoded features") are either ``num`` (a float, NaN = missing) or ``cat``
(an integer code 0..n_levels-1 stored as float, NaN = missing; the last code is "other", which
also takes categories never seen in training).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from scoring.schema import MAX_CATEGORY_LEVELS, ColumnSpec
from scoring.values import (clean_token, date_days, date_value_days, map_distinct, number_parser,
                            parse_bool)

# Times are float days since 1970: 04:00 can come out as 3.9999999999 hours, floored to 3. This
# nudge (0.36 ms) is far above that rounding error (~1e-10 h) and far below any real time stamp's
# resolution; the service's two encoders use the same constant.
HOUR_EPSILON = 1e-7

MAX_LEVELS = MAX_CATEGORY_LEVELS  # categories kept per column; the rest share "other"
MIN_LEVEL_COUNT = 10   # a category seen fewer times in training goes to "other"
SMALL_BATCH = 64       # below this many rows, plain Python per cell beats pandas' per-call overhead


@dataclass(frozen=True)
class EncodedFeature:
    """One column of the encoded matrix; ``group`` is the input column it comes from."""

    name: str
    group: str
    kind: str           # "num" or "cat"
    n_levels: int = 0   # for "cat": number of codes, "other" included


@dataclass(frozen=True)
class ColumnCodec:
    """How one input column becomes one or more encoded features (learned in ``fit``)."""

    spec: ColumnSpec
    levels: tuple[str, ...] = ()
    frequency_levels: tuple[str, ...] = ()
    frequencies: tuple[float, ...] = ()
    with_frequency: bool = False
    reference_days: float = math.nan
    with_age: bool = False
    with_hour: bool = False

    def features(self) -> list[EncodedFeature]:
        name, kind = self.spec.name, self.spec.kind
        if kind in ("numeric", "boolean"):
            return [EncodedFeature(name, name, "num")]
        if kind == "categorical":
            out = [EncodedFeature(name, name, "cat", len(self.levels) + 1)]
            if self.with_frequency:
                out.append(EncodedFeature(f"{name}__frequency", name, "num"))
            return out
        out = []
        if self.with_age:
            out.append(EncodedFeature(f"{name}__age_days", name, "num"))
        out.append(EncodedFeature(f"{name}__weekday", name, "cat", 7))
        if self.with_hour:
            out.append(EncodedFeature(f"{name}__hour", name, "num"))
        return out


def _category_code(levels: Mapping[str, int], other: int):
    def code(value: Any) -> float:
        token = clean_token(value)
        if token is None:
            return math.nan
        return float(levels.get(token, other))
    return code


def _frequency(freqs: Mapping[str, float]):
    def share(value: Any) -> float:
        token = clean_token(value)
        return math.nan if token is None else freqs.get(token, 0.0)
    return share


def _as_series(values: Any) -> pd.Series:
    if isinstance(values, pd.Series):
        return values.reset_index(drop=True)
    return pd.Series(list(values), dtype=object)


class LeadEncoder:
    """Learns category levels and date references from training rows; encodes frames or dicts.

    ``time_col`` (when given and used) is the reference for the age of other date columns
    (e.g. days from creation to first visit); without it, ages count back from the latest date
    seen in training, the as-of date of the export.
    """

    def __init__(self, specs: Sequence[ColumnSpec], time_col: str | None = None):
        self.specs = list(specs)
        self.time_col = time_col

    # ----------------------------------------------------------------- fit
    def fit(self, frame: pd.DataFrame) -> "LeadEncoder":
        codecs = []
        for spec in self.specs:
            if not spec.used:
                continue
            series = frame[spec.name]
            if spec.kind == "categorical":
                codecs.append(self._fit_categorical(spec, series))
            elif spec.kind == "date":
                days, _ = date_days(series, spec.date_format or "mixed")
                finite = days[np.isfinite(days)]
                frac = np.mod(finite, 1.0)
                codecs.append(ColumnCodec(
                    spec,
                    reference_days=float(np.floor(finite.max())) + 1.0 if finite.size else 0.0,
                    with_age=spec.name != self.time_col,
                    with_hour=bool(finite.size and np.any(frac > 1e-9)),
                ))
            else:
                codecs.append(ColumnCodec(spec))
        self.codecs_ = codecs
        self.features_ = [f for c in codecs for f in c.features()]
        self.input_columns_ = [c.spec.name for c in codecs]
        if self.time_col is not None and self.time_col not in self.input_columns_:
            self.time_col = None
        self._build_lookups()
        return self

    @staticmethod
    def _fit_categorical(spec: ColumnSpec, series: pd.Series) -> ColumnCodec:
        codes, uniques = pd.factorize(series, use_na_sentinel=True)
        counts = np.bincount(codes[codes >= 0], minlength=len(uniques))
        merged: dict[str, int] = {}
        for value, count in zip(uniques, counts):
            token = clean_token(value)
            if token is not None:
                merged[token] = merged.get(token, 0) + int(count)
        # Most frequent first; ties by name, so the same data gives the same codes.
        ranked = sorted(merged.items(), key=lambda kv: (-kv[1], kv[0]))
        levels = tuple(t for t, c in ranked[:MAX_LEVELS] if c >= MIN_LEVEL_COUNT)
        total = max(sum(merged.values()), 1)
        with_frequency = len(merged) > MAX_LEVELS
        return ColumnCodec(
            spec, levels=levels, with_frequency=with_frequency,
            frequency_levels=tuple(t for t, _ in ranked) if with_frequency else (),
            frequencies=tuple(c / total for _, c in ranked) if with_frequency else (),
        )

    def _build_lookups(self) -> None:
        self._funcs = {}
        for codec in self.codecs_:
            if codec.spec.kind == "categorical":
                levels = {t: i for i, t in enumerate(codec.levels)}
                funcs = [_category_code(levels, len(codec.levels))]
                if codec.with_frequency:
                    funcs.append(_frequency(dict(zip(codec.frequency_levels, codec.frequencies))))
                self._funcs[codec.spec.name] = funcs

    # The lookups are closures, which pickle cannot store: rebuild them after loading.
    def __getstate__(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "_funcs"}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        if "codecs_" in state:
            self._build_lookups()

    # ----------------------------------------------------------- transform
    @property
    def n_features(self) -> int:
        return len(self.features_)

    def transform(self, frame: pd.DataFrame) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """(matrix of shape (n, n_features), {input column: mask of rows with invalid values})."""
        return self._encode({name: frame[name] for name in self.input_columns_}, len(frame))

    def encode_records(self, records: Sequence[Mapping[str, Any]]) -> np.ndarray:
        """Encode lead dicts (e.g. JSON bodies); absent keys are missing values. Invalid -> NaN."""
        columns = {name: [r.get(name) for r in records] for name in self.input_columns_}
        return self._encode(columns, len(records))[0]

    def invalid_records(self, records: Sequence[Mapping[str, Any]]) -> dict[str, np.ndarray]:
        columns = {name: [r.get(name) for r in records] for name in self.input_columns_}
        return self._encode(columns, len(records))[1]

    def _encode_small(self, columns: Mapping[str, Sequence[Any]], n: int) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """The same encoding as :meth:`_encode`, one cell at a time (the HTTP service's path)."""
        out = np.empty((n, self.n_features), dtype=np.float64)
        invalid: dict[str, np.ndarray] = {}
        time_days = None
        if self.time_col is not None:
            fmt = next(c.spec.date_format for c in self.codecs_ if c.spec.name == self.time_col)
            time_days = [date_value_days(v, fmt or "mixed")[0] for v in columns[self.time_col]]
        j = 0
        for codec in self.codecs_:
            spec = codec.spec
            values = columns[spec.name]
            bad = np.zeros(n, dtype=bool)
            if spec.kind in ("numeric", "boolean"):
                parse = number_parser(getattr(spec, "decimal", None)) if spec.kind == "numeric" else parse_bool
                for i, value in enumerate(values):
                    result = parse(value)
                    bad[i] = result is None
                    out[i, j] = math.nan if result is None else result
                j += 1
            elif spec.kind == "categorical":
                for func in self._funcs[spec.name]:
                    out[:, j] = [func(v) for v in values]
                    j += 1
            else:
                for i, value in enumerate(values):
                    days, bad[i] = date_value_days(value, spec.date_format or "mixed")
                    col = j
                    if codec.with_age:
                        reference = codec.reference_days
                        if time_days is not None and not math.isnan(time_days[i]):
                            reference = time_days[i]
                        out[i, col] = reference - days
                        col += 1
                    floor = math.floor(days) if not math.isnan(days) else math.nan
                    # Floor modulo (Python's %, like np.mod below), never math.fmod: days before
                    # 1970 are negative and fmod would give a negative weekday code.
                    out[i, col] = (floor + 3.0) % 7.0 if not math.isnan(days) else math.nan
                    col += 1
                    if codec.with_hour:
                        out[i, col] = math.floor((days - floor) * 24.0 + HOUR_EPSILON) if not math.isnan(days) else math.nan
                j += 1 + codec.with_age + codec.with_hour
            if bad.any():
                invalid[spec.name] = bad
        return out, invalid

    def _encode(self, columns: Mapping[str, Any], n: int) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        if n <= SMALL_BATCH:
            return self._encode_small({k: list(v) for k, v in columns.items()}, n)
        out = np.empty((n, self.n_features), dtype=np.float64)
        invalid: dict[str, np.ndarray] = {}
        time_days = None
        if self.time_col is not None:
            spec = next(c.spec for c in self.codecs_ if c.spec.name == self.time_col)
            time_days, _ = date_days(_as_series(columns[self.time_col]), spec.date_format or "mixed")
        j = 0
        for codec in self.codecs_:
            spec = codec.spec
            series = _as_series(columns[spec.name])
            if spec.kind == "numeric":
                if pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype):
                    out[:, j] = series.to_numpy(dtype=np.float64, na_value=np.nan)
                    bad = None
                else:
                    out[:, j], bad = map_distinct(series, number_parser(getattr(spec, "decimal", None)))
                j += 1
            elif spec.kind == "boolean":
                out[:, j], bad = map_distinct(series, parse_bool)
                j += 1
            elif spec.kind == "categorical":
                bad = None
                for func in self._funcs[spec.name]:
                    out[:, j], _ = map_distinct(series, func)
                    j += 1
            else:
                days, bad = date_days(series, spec.date_format or "mixed")
                if codec.with_age:
                    reference = codec.reference_days
                    if time_days is not None:
                        reference = np.where(np.isfinite(time_days), time_days, reference)
                    out[:, j] = reference - days
                    j += 1
                floor = np.floor(days)
                # 1970-01-01 was a Thursday: Monday = 0. np.mod is a floor modulo (0..6 for days
                # before 1970 too), the same rule as the one-lead path above.
                out[:, j] = np.mod(floor + 3.0, 7.0)
                j += 1
                if codec.with_hour:
                    out[:, j] = np.floor((days - floor) * 24.0 + HOUR_EPSILON)
                    j += 1
            if bad is not None and bad.any():
                invalid[spec.name] = bad
        return out, invalid

    def reference_row(self, X: np.ndarray) -> np.ndarray:
        """A typical lead: medians of numeric features, most frequent code of categorical ones."""
        ref = np.empty(self.n_features)
        for j, feat in enumerate(self.features_):
            col = X[:, j]
            col = col[np.isfinite(col)]
            if col.size == 0:
                ref[j] = math.nan
            elif feat.kind == "cat":
                ref[j] = float(np.argmax(np.bincount(col.astype(np.int64), minlength=feat.n_levels)))
            else:
                ref[j] = float(np.median(col))
        return ref
