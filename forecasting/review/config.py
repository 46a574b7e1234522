"""The sales-marketing SLA a review holds the leads against: the plan file's ``[sla]`` section."""
from __future__ import annotations

from typing import Annotated, Literal

from pydantic import ConfigDict, Field, field_validator, model_validator
from pydantic.dataclasses import dataclass

Weekday = Literal["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
WEEKDAYS: tuple[str, ...] = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True, config=ConfigDict(extra="forbid"))
class SlaConfig:
    """How fast and how often inside sales must work a new lead (the source's "5C2M" by default)."""

    first_touch: Annotated[Literal["same_day"] | Annotated[float, Field(gt=0, le=1000)], Field(
        description="first touch due the same day the lead arrives (a lead arriving on a day off: "
        "by the end of the next business day), or within this many business hours")] = "same_day"
    cadence_days: Annotated[int, Field(ge=1, le=90, description="days after arrival the cadence "
                                       "(min_calls calls and min_emails emails) must be done in")] = 7
    min_calls: Annotated[int, Field(ge=0, le=100, description="calls due within cadence_days")] = 5
    min_emails: Annotated[int, Field(ge=0, le=100, description="emails due within cadence_days")] = 2
    timezone: Annotated[str, Field(min_length=1, description="time zone the SLA counts days and "
                                   "hours in (IANA name, e.g. Europe/Berlin); times without a zone "
                                   "in the files are read as times of this zone")] = "UTC"
    business_days: Annotated[tuple[Weekday, ...], Field(
        min_length=1, description="working days (Mon..Sun)")] = ("Mon", "Tue", "Wed", "Thu", "Fri")
    business_start: Annotated[int, Field(ge=0, le=23, description="hour the working day starts")] = 9
    business_end: Annotated[int, Field(ge=1, le=24, description="hour the working day ends")] = 17
    level: Annotated[float, Field(gt=0.5, lt=1, description="confidence level of the Wilson "
                                  "intervals of the SQL rates")] = 0.95

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}; e.g. UTC, Europe/Berlin, America/New_York") from None
        return value

    @model_validator(mode="after")
    def _day(self) -> "SlaConfig":
        if self.business_start >= self.business_end:
            raise ValueError(f"business_start ({self.business_start}) must be before business_end "
                             f"({self.business_end})")
        if len(set(self.business_days)) != len(self.business_days):
            raise ValueError("a business day is listed twice")
        return self

    @property
    def weekmask(self) -> list[bool]:
        """numpy's business-day mask, Monday first."""
        return [day in self.business_days for day in WEEKDAYS]

    @property
    def cadence_label(self) -> str:
        return f"{self.min_calls} calls + {self.min_emails} emails in {self.cadence_days} days"
