"""The value types of scenario keys, and their bounds: durations, money, staff, distributions.

Each type parses and checks one kind of value the way every section of the schema
(:mod:`funnelsim.scenario.schema`) needs it, so a duration or an amount of money is read the
same wherever it appears.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Annotated, Literal

from pydantic import AfterValidator, BeforeValidator, Field, PlainSerializer

from funnelsim.base.distributions import Distribution, non_negative, on_unit_interval
from funnelsim.base.units import format_duration, parse_duration

Duration = Annotated[
    float,
    BeforeValidator(parse_duration),
    PlainSerializer(format_duration, return_type=str, when_used="json"),
]
"""A calendar duration, stored in days."""

When = dt.date | Duration
"""A moment of a run: a date, or a duration from the run's start."""


def day_of(at: dt.date | float, start: dt.date) -> float:
    """``at`` in days from the run's start ``start``."""
    return float((at - start).days) if isinstance(at, dt.date) else float(at)


def not_before(moments: list[dt.date | float], start: dt.date | None, what: str) -> None:
    """Refuse a plan dated before the run's start: the run cannot change its past."""
    early = [at for at in moments if isinstance(at, dt.date) and start and at < start]
    if early:
        raise ValueError(f"expected {what} on or after start_date ({start}), got {early[0]}")


def _check_zone(value: str) -> str:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"expected an IANA time zone such as 'Europe/Berlin', got {value!r}"
        ) from None
    return value


TimeZone = Annotated[str, AfterValidator(_check_zone)]
"""An IANA time zone name (``America/New_York``): the zone of a wall clock."""


def _check_business_duration(text: str) -> str:
    parse_duration(text)
    return text


BusinessDuration = Annotated[str, BeforeValidator(_check_business_duration)]
"""A duration on the business clock, kept as written until a calendar gives it a length."""

# Upper bounds: past them a run exhausts memory or time after validating, and gives no insight.
MAX_STAFF = 1_000  # SDRs, or AEs
MAX_OPEN_PER_AE = 1_000
MAX_RECYCLES = 100
MAX_TRUST_WINDOW = 100_000
MAX_RATE_PER_WEEK = 100_000.0  # leads per source, before seasonality and bursts
MAX_MULTIPLIER = 1_000.0  # a seasonality or burst multiplier of a source's rate
MAX_HORIZON_DAYS = 20 * 52 * 7.0  # twenty years (1040w)

Staff = Annotated[int, Field(ge=0, le=MAX_STAFF, strict=True)]
Money = Annotated[float, Field(ge=0)]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
DemandType = Literal["marketing", "outbound", "tele", "channel"]


DurationDist = Annotated[Distribution[Duration], AfterValidator(non_negative)]
MoneyDist = Annotated[Distribution[float], AfterValidator(non_negative)]


UnitDist = Annotated[Distribution[float], AfterValidator(on_unit_interval)]
