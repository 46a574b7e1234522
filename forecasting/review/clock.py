"""Time as the SLA counts it: local time of one zone, business days and business hours."""
from __future__ import annotations

import numpy as np
import pandas as pd

from forecasting.review.config import SlaConfig

HOUR = np.timedelta64(3_600_000_000_000, "ns")


def local_times(values: pd.Series, timezone: str) -> pd.Series:
    """Naive local times of ``timezone``: aware times are converted, naive ones are taken as local
    already (a CRM report is exported in its user's zone)."""
    times = pd.to_datetime(values)
    if getattr(times.dt, "tz", None) is not None:
        times = times.dt.tz_convert(timezone).dt.tz_localize(None)
    return times.astype("datetime64[ns]")


def _days(times: pd.Series) -> np.ndarray:
    return times.dt.normalize().to_numpy().astype("datetime64[D]")


def first_touch_deadline(created: pd.Series, config: SlaConfig) -> pd.Series:
    """When each lead's first touch is due, in local time.

    ``same_day``: the end of the day it arrived, or of the next business day when it arrived on
    a day off. A number of business hours: counted on business days between business_start and
    business_end only (a lead arriving at 16:00 with 4 hours and a 9-17 day is due at 12:00 the
    next business day)."""
    weekmask = config.weekmask
    days = _days(created)
    if config.first_touch == "same_day":
        due_day = np.busday_offset(days, 0, roll="forward", weekmask=weekmask)
        return pd.Series(due_day.astype("datetime64[ns]") + np.timedelta64(1, "D"), index=created.index)
    start, end = float(config.business_start), float(config.business_end)
    day_length = end - start
    hours = float(config.first_touch)
    time_of_day = ((created - created.dt.normalize()) / pd.Timedelta(hours=1)).to_numpy(float)
    business = np.is_busday(days, weekmask=weekmask)
    today = business & (time_of_day < end)
    # The first business moment at or after arrival.
    offset = np.where(today, 0, np.where(business, 1, 0))
    day0 = np.busday_offset(days, offset, roll="forward", weekmask=weekmask)
    t0 = np.where(today, np.maximum(time_of_day, start), start)
    left_today = end - t0
    rest = hours - left_today
    extra_days = np.where(rest > 0, np.ceil(np.maximum(rest, 0) / day_length), 0).astype(int)
    due_day = np.busday_offset(day0, extra_days, weekmask=weekmask)
    due_hour = np.where(rest > 0, start + rest - (extra_days - 1) * day_length, t0 + hours)
    due = due_day.astype("datetime64[ns]") + (due_hour * 3_600_000_000_000).astype("timedelta64[ns]")
    return pd.Series(due, index=created.index)
