"""The business clock: when SDRs and AEs work, and how long work takes in working time.

The simulated clock runs in days from ``start_date`` at midnight. The business clock ``B(t)``
counts only open time (also in days), so a response-time SLA of one business hour is
``B(first_touch) - B(mql) <= 1/24`` whatever nights and weekends lie between.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from funnelsim.base.units import parse_duration

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class Calendar:
    """A weekly opening pattern anchored to the weekday of ``start_date``."""

    starts: tuple[float, ...]  # open-interval starts, days since Monday 00:00
    ends: tuple[float, ...]
    first_weekday: int  # weekday of t = 0 (Monday = 0)
    # The open interval last looked up, as [start, end, business clock at start]: the desk
    # asks about the same working day many times in a row, and then needs no arithmetic.
    # Hot callers may test it themselves (see :meth:`business`, :meth:`add`): it is updated
    # in place, so a reference to it stays current.
    span: list[float] = field(
        default_factory=lambda: [math.inf, -math.inf, 0.0], compare=False, repr=False
    )
    # The closed stretch last looked up, as [start, end, business clock throughout]: MQLs
    # arriving overnight or at the weekend ask about the same one.
    gap: list[float] = field(
        default_factory=lambda: [math.inf, -math.inf, 0.0], compare=False, repr=False
    )

    @classmethod
    def always_open(cls) -> Calendar:
        return cls(starts=(0.0,), ends=(7.0,), first_weekday=0)

    @classmethod
    def weekly(
        cls, workdays: list[str], open_hour: float, close_hour: float, start_date: dt.date
    ) -> Calendar:
        days = sorted(WEEKDAYS.index(d) for d in workdays)
        return cls(
            starts=tuple(d + open_hour / 24 for d in days),
            ends=tuple(d + close_hour / 24 for d in days),
            first_weekday=start_date.weekday(),
        )

    @classmethod
    def from_spec(cls, spec, start_date: dt.date) -> Calendar:
        """The calendar a scenario's ``calendar`` section describes."""
        if spec.always_open:
            return cls.always_open()
        return cls.weekly(spec.workdays, spec.open_hour, spec.close_hour, start_date)

    def open_time(self, text: str) -> float:
        """A business-clock duration in open time: ``1d`` is a working day, ``1w`` a week's."""
        unit = text.strip()[-1]
        days = parse_duration(text)
        if unit == "d":
            return days * self.open_per_day
        if unit == "w":
            return days / 7.0 * self.open_per_week
        return days

    @cached_property
    def _before(self) -> tuple[float, ...]:
        """Open time in the week before each interval starts (prefix sums)."""
        spans = [e - s for s, e in zip(self.starts, self.ends, strict=True)]
        return tuple(sum(spans[:k]) for k in range(len(spans) + 1))

    @cached_property
    def open_per_week(self) -> float:
        return self._before[-1]

    @property
    def open_per_day(self) -> float:
        """Open time of one working day, the length of a 'business day'."""
        return 1.0 if self.is_always_open else self.open_per_week / len(self.starts)

    @cached_property
    def is_always_open(self) -> bool:
        return self.open_per_week >= 7.0

    def business(self, t: float) -> float:
        """Open time elapsed between the start of the first week and ``t``."""
        span = self.span
        if span[0] <= t <= span[1]:
            return span[2] + t - span[0]
        gap = self.gap
        if gap[0] <= t < gap[1]:
            return gap[2]
        if self.is_always_open:
            return t
        weeks, tau = divmod(t + self.first_weekday, 7.0)
        k = bisect.bisect_right(self.starts, tau) - 1
        week = weeks * 7.0 - self.first_weekday  # when this week began
        if k < 0:
            at = weeks * self.open_per_week
            gap[:] = (week, week + self.starts[0], at)
            return at
        at_start = weeks * self.open_per_week + self._before[k]
        if tau < self.ends[k]:
            start = t - (tau - self.starts[k])
            span[:] = (start, start + self.ends[k] - self.starts[k], at_start)
            return at_start + tau - self.starts[k]
        at = at_start + self.ends[k] - self.starts[k]
        following = self.starts[k + 1] if k + 1 < len(self.starts) else 7.0
        gap[:] = (week + self.ends[k], week + following, at)
        return at

    def business_array(self, t: np.ndarray) -> np.ndarray:
        """Vectorised :meth:`business` for metrics over many timestamps."""
        t = np.asarray(t, dtype=float)
        if self.is_always_open:
            return t.copy()
        starts, ends, cum = np.asarray(self.starts), np.asarray(self.ends), np.asarray(self._before)
        weeks, tau = np.divmod(t + self.first_weekday, 7.0)
        k = np.searchsorted(starts, tau, side="right") - 1
        kk = np.clip(k, 0, len(starts) - 1)
        inside = np.where(k < 0, 0.0, np.minimum(tau, ends[kk]) - starts[kk])
        return weeks * self.open_per_week + cum[np.maximum(k, 0)] + inside

    def open_array(self, t: np.ndarray) -> np.ndarray:
        """Whether the calendar is open at each of ``t``."""
        t = np.asarray(t, dtype=float)
        if self.is_always_open:
            return np.ones(t.shape, dtype=bool)
        tau = np.mod(t + self.first_weekday, 7.0)
        k = np.searchsorted(np.asarray(self.starts), tau, side="right") - 1
        return (k >= 0) & (tau < np.asarray(self.ends)[np.maximum(k, 0)])

    def add(self, t: float, work: float) -> float:
        """The calendar time at which ``work`` days of open time started at ``t`` are done."""
        span = self.span
        if span[0] <= t and t + work <= span[1]:
            return t + work
        if self.is_always_open:
            return t + work
        # Started inside the cached interval (and ending past it): business(t) is its first line.
        at = span[2] + t - span[0] if span[0] <= t <= span[1] else self.business(t)
        weeks, rem = divmod(at + work, self.open_per_week)
        before = self._before
        k = bisect.bisect_left(before, rem) - 1
        if k < 0:
            k = 0
        done = weeks * 7.0 + self.starts[k] + rem - before[k] - self.first_weekday
        # Work of zero length started while closed ends when it starts, not at last close.
        return done if done > t else t

    def next_open(self, t: float) -> float:
        """``t`` if the calendar is open then, else the next opening."""
        if self.span[0] <= t < self.span[1] or self.is_always_open:
            return t
        tau = (t + self.first_weekday) % 7.0
        for s, e in zip(self.starts, self.ends, strict=True):
            if tau < e:
                return t if tau >= s else t + (s - tau)
        return t + (7.0 - tau) + self.starts[0]
