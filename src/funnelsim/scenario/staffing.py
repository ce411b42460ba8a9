"""A team over time: who joins when, how fast a new hire ramps, who leaves, who replaces them.

A team (the SDR desk, the AEs) starts the run with its headcount, every head fully ramped.
``staffing`` adds what a plan adds to that: hires on given dates, a ramp (a new hire's
productivity in each month of tenure), and attrition (each head leaves at a yearly rate,
and a leaver's seat is filled again after a hiring delay, or left empty). Without it the team
is fixed for the run, as before. How the model follows the plan is in
:mod:`funnelsim.model.roster`; what it costs, in :mod:`funnelsim.record.costs`.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import Field

from funnelsim.base.strict import Frozen
from funnelsim.scenario.fields import MAX_STAFF, Duration, When, day_of, not_before

MAX_RAMP_MONTHS = 36
MAX_ATTRITION = 5.0
"""Leavers per head per year at most: a mean tenure of under ten weeks is not a team."""

Productivity = Annotated[float, Field(gt=0, le=1)]


class Hire(Frozen):
    """New heads joining on a date (or after a time from the run's start)."""

    at: When
    count: int = Field(default=1, ge=1, le=MAX_STAFF, strict=True)


class Attrition(Frozen):
    """Each head leaves after a tenure drawn from an exponential law of rate ``per_year``."""

    per_year: float = Field(
        gt=0,
        le=MAX_ATTRITION,
        description="leavers per head per year (mean tenure 1 / per_year years)",
    )
    backfill: Duration | None = Field(
        default=None,
        description="a leaver's seat is filled by a new hire this long after they leave; "
        "none: the seat stays empty",
    )


class Staffing(Frozen):
    """A team's plan over the run: hires, a new hire's ramp, attrition with backfill."""

    hires: list[Hire] = []
    ramp: list[Productivity] = Field(
        default=[],
        max_length=MAX_RAMP_MONTHS,
        description="a new hire's productivity in each month of tenure, full after the last",
    )
    attrition: Attrition | None = None

    @property
    def fixed(self) -> bool:
        """The team of time zero for the whole run: no hires and nobody leaves."""
        return not self.hires and self.attrition is None


def hire_day(hire: Hire, start: dt.date) -> float:
    """When ``hire`` joins, in days from the run's start."""
    return day_of(hire.at, start)


def hires_from(staffing: Staffing, start: dt.date | None) -> Staffing:
    """``staffing``, if none of its hires is dated before the run's start."""
    not_before([h.at for h in staffing.hires], start, "hires")
    return staffing
