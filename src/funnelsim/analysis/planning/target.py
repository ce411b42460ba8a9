"""What a plan aims at: a target on one of the run's figures over a calendar period.

``bookings=40M`` over ``2027`` reads: the bookings closed in 2027 reach USD 40M. The figure is
any run metric with a better direction (more revenue, fewer days to close); the period is a
year, a quarter, a month or a span of dates. A plan's runs measure exactly that period (their
window), so every figure of a run is the period's.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import numpy as np

from funnelsim.errors import UsageError
from funnelsim.record.registry import METRICS, unknown_metric
from funnelsim.runner import metric_names

SCALE = {"": 1.0, "k": 1e3, "m": 1e6, "b": 1e9}
"""Suffixes of an amount: 40M is forty million."""


@dataclass(frozen=True)
class Target:
    """A level of a run metric that a run reaches or misses."""

    metric: str
    value: float
    better: int  # +1: reaching means at least the value; -1: at most

    def hit(self, values: np.ndarray) -> np.ndarray:
        """Whether each run's figure reaches the target (a failed run's NaN never does)."""
        values = np.asarray(values, float)
        return values >= self.value if self.better > 0 else values <= self.value

    @property
    def words(self) -> str:
        return f"{self.metric} {'≥' if self.better > 0 else '≤'} {self.value:,.6g}"


def parse_amount(text: str) -> float:
    """``40M``, ``2.5m``, ``250k``, ``40,000,000`` or ``0.8``; ``ValueError`` otherwise."""
    found = re.fullmatch(r"\s*([0-9][0-9_,]*(?:\.[0-9]+)?)\s*([kKmMbB]?)\s*", text)
    if found is None:
        raise ValueError(f"expected an amount such as 40M, 250k or 0.8, got {text!r}")
    number, suffix = found.groups()
    return float(number.replace(",", "").replace("_", "")) * SCALE[suffix.lower()]


def parse_target(text: str) -> Target:
    """``METRIC=AMOUNT``: a run metric with a better direction, and the level to reach."""
    name, sep, amount = text.partition("=")
    name = name.strip()
    if not sep:
        raise UsageError(f"--target {text!r}: expected METRIC=AMOUNT, such as bookings=40M")
    if name not in metric_names():
        raise UsageError(f"--target {text!r}: {unknown_metric(name, metric_names())}")
    better = METRICS[name].better
    if better == 0:
        raise UsageError(
            f"--target {text!r}: {name} is neither better higher nor lower; "
            "expected a figure such as bookings, deals_won or sla_compliance"
        )
    try:
        value = parse_amount(amount)
    except ValueError as exc:
        raise UsageError(f"--target {text!r}: {exc}") from None
    if METRICS[name].kind == "share" and value > 1:
        raise UsageError(f"--target {text!r}: {name} is a share; expected a value in [0, 1]")
    return Target(name, value, better)


@dataclass(frozen=True)
class Period:
    """Calendar days from ``start`` up to, not including, ``end``."""

    start: dt.date
    end: dt.date
    label: str

    def days_from(self, origin: dt.date) -> tuple[float, float]:
        """The period in days from a run's start ``origin``."""
        return float((self.start - origin).days), float((self.end - origin).days)


def parse_period(text: str) -> Period:
    """``2027``, ``2027Q3``, ``2027-03`` or ``2027-01-01..2027-06-30`` (both days included)."""
    text = text.strip()
    try:
        if found := re.fullmatch(r"(\d{4})", text):
            year = int(found[1])
            return Period(dt.date(year, 1, 1), dt.date(year + 1, 1, 1), text)
        if found := re.fullmatch(r"(\d{4})-?[Qq]([1-4])", text):
            year, quarter = int(found[1]), int(found[2])
            start = dt.date(year, 3 * quarter - 2, 1)
            return Period(start, _months_on(start, 3), f"{year}Q{quarter}")
        if found := re.fullmatch(r"(\d{4})-(\d{1,2})", text):
            start = dt.date(int(found[1]), int(found[2]), 1)
            return Period(start, _months_on(start, 1), f"{start:%Y-%m}")
        if found := re.fullmatch(r"(\d{4}-\d{2}-\d{2})\s*\.\.\s*(\d{4}-\d{2}-\d{2})", text):
            first, last = (dt.date.fromisoformat(d) for d in found.groups())
            if last < first:
                raise ValueError(f"it ends ({last}) before it starts ({first})")
            return Period(first, last + dt.timedelta(days=1), f"{first}..{last}")
    except ValueError as exc:
        raise UsageError(f"--period {text!r}: {exc}") from None
    raise UsageError(
        f"--period {text!r}: expected a year (2027), a quarter (2027Q1), a month (2027-03) "
        "or two dates (2027-01-01..2027-06-30)"
    )


def _months_on(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    return dt.date(day.year + month // 12, month % 12 + 1, 1)
