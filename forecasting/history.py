"""Booking history in long format: parsing, validation, and building it from won opportunities.

The contract is one row per (segment, period) with the booked amount, like Nixtla's
(unique_id, ds, y). Column names are keyword arguments; the canonical names inside the package
are ``segment``, ``period`` (a ``pandas.Period``) and ``bookings``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecasting.errors import ForecastInputError, input_error

# The frequencies we forecast, with their seasonal period and pandas period alias.
FREQUENCIES = {"M": (12, "M"), "Q": (4, "Q")}
_FREQ_ALIASES = {"M": "M", "MS": "M", "ME": "M", "MONTH": "M", "MONTHLY": "M",
                 "Q": "Q", "QS": "Q", "QE": "Q", "QUARTER": "Q", "QUARTERLY": "Q"}


@dataclass(frozen=True)
class Frequency:
    code: str            # "M" or "Q"
    season_length: int   # 12 or 4

    @property
    def label(self) -> str:
        return {"M": "month", "Q": "quarter"}[self.code]


def parse_frequency(freq: str) -> Frequency:
    """'M'/'Q' (and common spellings) -> Frequency; anything else is a ForecastInputError."""
    code = _FREQ_ALIASES.get(str(freq).strip().upper())
    if code is None:
        raise ForecastInputError(
            f"frequency: unknown value {freq!r}; expected one of 'M' (monthly) or 'Q' (quarterly). "
            "Hint: pass freq='M' or freq='Q'."
        )
    return Frequency(code=code, season_length=FREQUENCIES[code][0])


def _parse_periods(values: pd.Series, freq: Frequency, table: str, column: str) -> pd.Series:
    """Dates, 'YYYY-MM', 'YYYY-MM-DD' or 'YYYYQn' -> pandas Periods of ``freq``."""
    text = values.astype("string").str.strip()
    parsed = pd.to_datetime(text, errors="coerce", format="mixed")
    bad = parsed.isna()
    if bad.any():
        # 'YYYYQn' and 'YYYY-Qn' are not always understood by to_datetime.
        def as_quarter(v: object) -> pd.Timestamp:
            try:
                return pd.Period(str(v).replace("-", ""), freq="Q").start_time
            except (ValueError, TypeError):
                return pd.NaT
        parsed[bad] = text[bad].map(as_quarter)
        bad = parsed.isna()
    if bad.any():
        rows = list(np.flatnonzero(bad.to_numpy()))
        sample = ", ".join(repr(v) for v in values[bad].head(3).tolist())
        raise input_error(table, column, "values that are not periods", rows,
                          expected="a date (2026-01-01), a month (2026-01) or a quarter (2026Q1)",
                          got=sample)
    return pd.Series(pd.PeriodIndex(parsed, freq=FREQUENCIES[freq.code][1]), index=values.index)


def validate_history(history: pd.DataFrame, freq: str | Frequency = "M", *,
                     segment_col: str = "segment", period_col: str = "period",
                     value_col: str = "bookings", fill_missing: str | None = None,
                     allow_negative: bool = False, table: str = "history") -> pd.DataFrame:
    """Check a long booking history and return it canonical: segment, period (Period), bookings.

    Raises ForecastInputError for missing columns, unparseable periods or amounts, duplicate
    (segment, period) rows, gaps (unless ``fill_missing='zero'``) and negative bookings (unless
    ``allow_negative``). Every segment runs to the last period in the table: a segment that
    stopped booking has zeros there, not a silent early end.
    """
    freq = freq if isinstance(freq, Frequency) else parse_frequency(freq)
    if fill_missing not in (None, "zero", "error"):
        raise ForecastInputError(
            f"fill_missing: unknown value {fill_missing!r}; expected None or 'zero'.")
    missing = [c for c in (segment_col, period_col, value_col) if c not in history.columns]
    if missing:
        raise ForecastInputError(
            f"{table}: missing column(s) {', '.join(repr(c) for c in missing)}; expected columns "
            f"{segment_col!r}, {period_col!r}, {value_col!r}; got {list(map(str, history.columns))}. "
            "Hint: name yours with segment_col, period_col and value_col.")
    if history.empty:
        raise ForecastInputError(f"{table}: no rows; expected at least one (segment, period) row.")
    frame = history.reset_index(drop=True)
    segment = frame[segment_col]
    if segment.isna().any():
        rows = list(np.flatnonzero(segment.isna().to_numpy()))
        raise input_error(table, segment_col, "empty segment", rows, expected="a segment name",
                          got="empty cells")
    period = _parse_periods(frame[period_col], freq, table, period_col)
    values = pd.to_numeric(frame[value_col], errors="coerce")
    bad = values.isna() | ~np.isfinite(values.fillna(0.0))
    if bad.any():
        rows = list(np.flatnonzero(bad.to_numpy()))
        sample = ", ".join(repr(v) for v in frame.loc[bad, value_col].head(3).tolist())
        raise input_error(table, value_col, "values that are not numbers", rows,
                          expected="a finite amount", got=sample,
                          hint="write 0 for a period without bookings.")
    if not allow_negative and (values < 0).any():
        rows = list(np.flatnonzero((values < 0).to_numpy()))
        raise input_error(table, value_col, "negative bookings", rows,
                          expected="amounts >= 0", got=f"minimum {values.min():g}",
                          hint="pass allow_negative=True if these are refunds.")
    out = pd.DataFrame({"segment": segment.astype(str).to_numpy(), "period": period.to_numpy(),
                        "bookings": values.astype(float).to_numpy()})
    dup = out.duplicated(["segment", "period"], keep=False)
    if dup.any():
        rows = list(np.flatnonzero(dup.to_numpy()))
        first = out.loc[dup].iloc[0]
        raise input_error(table, f"{segment_col}, {period_col}",
                          "duplicate (segment, period) rows", rows,
                          expected="one row per segment and period",
                          got=f"e.g. {first['segment']!r} {first['period']} more than once",
                          hint="sum them before forecasting if they are partial amounts.")
    return _complete_periods(out, freq, fill_missing, table, period_col)


def _complete_periods(frame: pd.DataFrame, freq: Frequency, fill_missing: str | None,
                      table: str, period_col: str) -> pd.DataFrame:
    """Every segment from its first period to the table's last, sorted; gaps are an error
    naming the first segment (by name) that has one, or zeros with ``fill_missing='zero'``.

    Vectorised over segments (period ordinals), as a per-segment loop cost ~1 s per 1,000."""
    periods = pd.PeriodIndex(frame["period"])
    ordinal = periods.asi8
    last = int(ordinal.max())
    codes, names = pd.factorize(frame["segment"], sort=True)
    first = np.full(len(names), np.iinfo(np.int64).max)
    np.minimum.at(first, codes, ordinal)
    length = last - first + 1
    counts = np.bincount(codes, minlength=len(names))
    # duplicates were refused before, so a segment is complete iff it has one row per period
    gappy = np.flatnonzero(counts != length)
    if len(gappy) and fill_missing != "zero":
        k = int(gappy[0])
        full = pd.period_range(pd.Period(ordinal=int(first[k]), freq=periods.freq),
                               pd.Period(ordinal=last, freq=periods.freq), freq=periods.freq)
        gaps = full.difference(periods[codes == k])
        shown = ", ".join(str(p) for p in gaps[:6]) + (", ..." if len(gaps) > 6 else "")
        raise ForecastInputError(
            f"{table}: column '{period_col}': segment {names[k]!r} has no row for {len(gaps)} "
            f"{freq.label}(s): {shown}; expected one row per {freq.label} from "
            f"{full[0]} to {full[-1]}. Hint: add the rows with 0 bookings, or pass "
            "fill_missing='zero' to treat missing periods as no bookings.")
    # row of (segment k, ordinal o) in the output: offset[k] + o - first[k]
    offset = np.concatenate([[0], np.cumsum(length)[:-1]])
    out_codes = np.repeat(np.arange(len(names)), length)
    out_ordinal = np.arange(int(length.sum())) - np.repeat(offset, length) + np.repeat(first, length)
    values = np.zeros(int(length.sum()))
    values[offset[codes] + ordinal - first[codes]] = frame["bookings"].to_numpy(dtype=float)
    return pd.DataFrame({"segment": np.asarray(names, dtype=object)[out_codes],
                         "period": pd.PeriodIndex.from_ordinals(out_ordinal, freq=periods.freq),
                         "bookings": values})


def history_from_opportunities(opportunities: pd.DataFrame, freq: str | Frequency = "M", *,
                               as_of: pd.Timestamp | None = None,
                               table: str = "opportunities") -> pd.DataFrame:
    """Bookings per segment and close period from won opportunities (canonical columns).

    Only complete periods up to ``as_of`` count: a half-finished month would look like a
    collapse in bookings. Periods without a won deal get 0.
    """
    freq = freq if isinstance(freq, Frequency) else parse_frequency(freq)
    needed = ["segment", "amount", "is_won"]
    missing = [c for c in needed if c not in opportunities.columns]
    if "closed_at" not in opportunities.columns and "close_date" not in opportunities.columns:
        missing.append("closed_at or close_date")
    if missing:
        raise ForecastInputError(
            f"{table}: missing column(s) {', '.join(missing)}; expected the opportunities contract "
            "(opportunity_id, segment, created_at, stage, amount, close_date, is_won, closed_at).")
    flags = _won_flags(opportunities)
    # close_date of an open deal is the rep's expectation, not a close: closed deals only
    closed = _closed_dates(opportunities).where(flags.notna())
    won = flags == 1
    amount = pd.to_numeric(opportunities["amount"], errors="coerce").fillna(0.0)
    alias = FREQUENCIES[freq.code][1]
    mask = won & closed.notna()
    if as_of is not None:
        mask &= closed <= pd.Timestamp(as_of)
    if not mask.any():
        raise ForecastInputError(f"{table}: no won opportunity with a close date; expected at "
                                 "least one row with is_won=1 and a closed_at/close_date.")
    frame = pd.DataFrame({"segment": opportunities.loc[mask, "segment"].astype(str),
                          "period": closed[mask].dt.to_period(alias),
                          "bookings": amount[mask].astype(float)})
    grouped = frame.groupby(["segment", "period"], as_index=False)["bookings"].sum()
    if as_of is None:  # the export date: the latest date anywhere in the table
        created = pd.to_datetime(opportunities.get("created_at"), errors="coerce", format="mixed")
        as_of = max(closed.max(), created.max()) if created is not None else closed.max()
    end = pd.Timestamp(as_of)
    last_complete = (end + pd.Timedelta(days=1)).to_period(alias) - 1
    grouped = grouped[grouped["period"] <= last_complete]
    first = grouped["period"].min()
    full = pd.period_range(first, last_complete, freq=alias)
    pieces = []
    for seg in sorted(opportunities["segment"].dropna().astype(str).unique()):
        series = grouped[grouped["segment"] == seg].set_index("period")["bookings"]
        series = series.reindex(full, fill_value=0.0)
        pieces.append(pd.DataFrame({"segment": seg, "period": full, "bookings": series.to_numpy()}))
    return pd.concat(pieces, ignore_index=True)


def _closed_dates(opportunities: pd.DataFrame) -> pd.Series:
    """closed_at where present, else close_date (some exports only keep the latter)."""
    closed = pd.Series(pd.NaT, index=opportunities.index, dtype="datetime64[ns]")
    for col in ("close_date", "closed_at"):
        if col in opportunities.columns:
            values = pd.to_datetime(opportunities[col], errors="coerce", format="mixed")
            closed = values.dt.tz_localize(None).where(values.notna(), closed) \
                if getattr(values.dt, "tz", None) is not None else values.where(values.notna(), closed)
    return closed


def _won_flags(opportunities: pd.DataFrame) -> pd.Series:
    """is_won as 1/0/NaN (open); accepts booleans, 1/0 and 'true'/'false' text."""
    raw = opportunities["is_won"]
    if raw.dtype == bool:
        return raw.astype(float)
    text = raw.astype("string").str.strip().str.lower()
    mapped = text.map({"1": 1.0, "0": 0.0, "1.0": 1.0, "0.0": 0.0, "true": 1.0, "false": 0.0,
                       "yes": 1.0, "no": 0.0, "won": 1.0, "lost": 0.0})
    return mapped.astype(float)


def to_arrays(history: pd.DataFrame) -> dict[str, tuple[pd.PeriodIndex, np.ndarray]]:
    """Canonical history -> {segment: (periods, values)}, segments sorted."""
    out = {}
    for seg, group in history.groupby("segment", sort=True):
        group = group.sort_values("period")
        out[str(seg)] = (pd.PeriodIndex(group["period"]), group["bookings"].to_numpy(dtype=float))
    return out
