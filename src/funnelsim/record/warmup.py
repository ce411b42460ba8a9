"""Is a run's measured window stationary? Two checks on its weekly series, and one rule.

A funnel that starts empty fills for as long as its slowest delay: buying windows open months
after capture, so a window measured after a short warm-up may still be rising, and its
figures describe the filling rather than the funnel. Two independent checks look at it:

* **year over year**: the mean weekly value of the measured window's second year over its
  first (:func:`year_change`); it needs two whole years of measured weeks;
* **MSER-5** (White 1997): the truncation point, in batches of five weeks, that minimises the
  marginal standard error of the rest of the whole run's series (:func:`mser_truncation`):
  the warm-up the series itself suggests.

A key series is **still filling up** when its year-2 mean differs from its year-1 mean by more
than :data:`TOLERANCE` and by more than :data:`STANDARD_ERRORS` standard errors of that
difference, *and* MSER-5 puts its truncation point past the configured warm-up (rounded up to
whole batches). The measured window is stationary when no key series is filling up; without
two measured years it cannot be judged. Each check alone raises false alarms on a stationary
funnel (weekly bookings are lumpy, and the closed-loop review makes MQLs swing), so both must
agree.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from funnelsim.base.units import format_duration

TOLERANCE = 0.05
"""How far (as a share) year 2's mean weekly value may stray from year 1's and still count
as stationary."""
STANDARD_ERRORS = 2.0
"""How many standard errors the yearly change must exceed to count as more than noise."""
YEAR = 52
"""Weeks in a measured year."""
BATCH = 5
"""Weeks per batch of MSER-5."""
ERROR_BATCH = 4
"""Weeks per batch mean when estimating a year's standard error (13 batches a year), so
that week-to-week correlation does not shrink the error."""
SERIES = {"mqls": "MQLs", "sqls": "SQLs", "bookings": "bookings"}
"""The key series, each with how a sentence names it."""
FIGURES = (
    *(f"year_ratio_{name}" for name in SERIES),
    *(f"mser5_weeks_{name}" for name in SERIES),
    *(f"filling_{name}" for name in SERIES),
    "window_stationary",
)
"""The figures a run reports: per key series its year ratio, MSER-5 warm-up and whether it is
still filling up (1 or 0), and the verdict (1 stationary, 0 not); verdicts are NaN when the
window is too short to judge."""


def mser_statistics(values: np.ndarray, batch: int = BATCH) -> np.ndarray:
    """MSER of every truncation ``d`` (in batches) over the first half of the batch means.

    ``MSER(d) = sum((z[d:] - mean(z[d:]))**2) / (b - d)**2`` for the ``b`` means of whole
    batches (a last, partial batch is left out), for ``d`` up to ``(b - 1) // 2``.
    """
    count = len(values) // batch
    means = np.asarray(values[: count * batch], float).reshape(count, batch).mean(axis=1)
    tails = [means[d:] for d in range((count - 1) // 2 + 1)]
    return np.array([((t - t.mean()) ** 2).sum() / t.size**2 for t in tails])


def mser_truncation(values: np.ndarray, batch: int = BATCH) -> float:
    """The warm-up MSER-``batch`` suggests, in observations (weeks).

    NaN with fewer than three batches: the first half then holds one truncation, no choice.
    """
    if len(values) < 3 * batch:
        return math.nan
    return float(batch * int(np.argmin(mser_statistics(values, batch))))


def distance(ratio: float) -> float:
    """How far a ratio is from 1 either way: 2x and 0.5x are as far; a fall to 0 is farthest."""
    return abs(math.log(ratio)) if ratio > 0 else math.inf


def search_limit(weeks: int, batch: int = BATCH) -> int:
    """The latest truncation MSER can suggest for a series of ``weeks``: half the batches."""
    return batch * ((weeks // batch - 1) // 2)


@dataclass(frozen=True)
class YearChange:
    """Year 2's mean weekly value over year 1's, and the change in standard errors."""

    ratio: float
    errors: float

    @property
    def moved(self) -> bool:
        """Beyond the tolerance, and beyond the noise."""
        return abs(self.ratio - 1.0) > TOLERANCE and self.errors > STANDARD_ERRORS


def year_change(measured: np.ndarray) -> YearChange:
    """Compare the first two years of ``measured`` (whole weeks of the window, in order).

    The standard error of each year's mean comes from its 13 four-week batch means. A year 1
    without any value gives no ratio (NaN).
    """
    years = np.asarray(measured[: 2 * YEAR], float).reshape(2, YEAR)
    first, second = years.mean(axis=1)
    batches = years.reshape(2, -1, ERROR_BATCH).mean(axis=2)
    error = math.sqrt((batches.var(axis=1, ddof=1) / batches.shape[1]).sum())
    change = abs(second - first)
    errors = change / error if error else (math.inf if change else 0.0)
    return YearChange(float(second / first) if first else math.nan, float(errors))


@dataclass(frozen=True)
class SeriesCheck:
    """Both checks of one key series, and whether together they say it is still filling up."""

    name: str
    change: YearChange | None  # None: fewer than two measured years
    suggested: float  # MSER-5 warm-up, weeks
    at_limit: bool  # the suggestion is the latest MSER-5 could make: it may need longer
    allowed: float  # the configured warm-up rounded up to whole batches, weeks

    @property
    def ratio(self) -> float:
        return math.nan if self.change is None else self.change.ratio

    @property
    def filling(self) -> bool:
        return self.change is not None and self.change.moved and self.suggested > self.allowed

    def document(self) -> dict[str, Any]:
        return {
            "year_ratio": self.ratio,
            "standard_errors": math.nan if self.change is None else self.change.errors,
            "year_change_beyond_noise": self.change is not None and self.change.moved,
            "mser5_weeks": self.suggested,
            "mser5_at_search_limit": self.at_limit,
            "mser5_beyond_warmup": self.suggested > self.allowed,
            "filling": self.filling,
        }


@dataclass(frozen=True)
class Diagnosis:
    """The stationarity of one run's measured window: each key series' checks, and why."""

    warmup: float  # configured warm-up, days
    measured_weeks: int  # whole weeks of the measured window
    series: tuple[SeriesCheck, ...]

    @property
    def reason(self) -> str | None:
        """Why stationarity cannot be judged, or None when it can."""
        if self.measured_weeks >= 2 * YEAR:
            return None
        return (
            f"the measured window has {self.measured_weeks} whole weeks; "
            f"comparing two years needs {2 * YEAR}"
        )

    @property
    def stationary(self) -> bool | None:
        """True or False by the rule; None when it cannot be judged."""
        if self.reason is not None:
            return None
        return not any(s.filling for s in self.series)

    def warning(self) -> str | None:
        """One line naming the filling series that moved most, or None."""
        filling = [s for s in self.series if s.filling]
        if not filling:
            return None
        worst = max(filling, key=lambda s: distance(s.ratio))
        said = finding(worst.name, worst.ratio, worst.suggested, worst.at_limit, self.warmup)
        return f"{FILLING}: {said}"

    def figures(self) -> dict[str, float]:
        """The run's figures (:data:`FIGURES`), in that order."""
        judged = self.stationary is not None
        verdicts = [float(s.filling) if judged else math.nan for s in self.series]
        verdicts.append(float(self.stationary) if judged else math.nan)
        values = [*(s.ratio for s in self.series), *(s.suggested for s in self.series)]
        return dict(zip(FIGURES, values + verdicts, strict=True))

    def document(self) -> dict[str, Any]:
        """The diagnostic as data, for the run's summary."""
        return {
            "stationary": self.stationary,
            "reason": self.reason,
            "tolerance": TOLERANCE,
            "standard_errors": STANDARD_ERRORS,
            "warmup_weeks": self.warmup / 7.0,
            "measured_weeks": self.measured_weeks,
            "series": {s.name: s.document() for s in self.series},
            "warning": self.warning(),
        }


FILLING = "the measured window is still filling up"
"""How a warning begins."""


def finding(
    series: str, ratio: float, suggested: float, at_limit: bool, warmup: float, runs: bool = False
) -> str:
    """What a warning says of a series: how much it grew, and the warm-up MSER-5 suggests.

    ``runs`` says the ratio is a mean and the suggestion a median over an experiment's runs.
    """
    mean, median = (" on average", "a median") if runs else ("", "a")
    least = "at least " if at_limit else ""
    return (
        f"weekly {SERIES[series]} in year 2 are {ratio:.2f}x year 1{mean}; MSER-5 suggests "
        f"{median} warm-up of {least}{suggested:.0f} weeks "
        f"(horizon.warmup is {format_duration(warmup)})"
    )


def allowed_weeks(warmup: float) -> float:
    """The configured warm-up (days) in weeks, rounded up to whole MSER-5 batches."""
    return BATCH * math.ceil(round(warmup / 7.0 / BATCH, 9))


def diagnose(weekly: pd.DataFrame, warmup: float, length: float) -> Diagnosis:
    """Judge a run from its weekly series (:func:`~funnelsim.record.metrics.weekly`).

    ``warmup`` and ``length`` are the horizon's, in days; the weeks measured are those the
    frame does not flag as warm-up. Only whole weeks are read: a last week cut short by the
    end of the run would look like a fall.
    """
    whole = weekly.iloc[: int(length // 7)]
    measured = whole[~whole["warmup"].to_numpy(bool)]
    judged = len(measured) >= 2 * YEAR
    allowed = allowed_weeks(warmup)
    limit = search_limit(len(whole))
    checks = []
    for name in SERIES:
        suggested = mser_truncation(whole[name].to_numpy(float))
        change = year_change(measured[name].to_numpy(float)) if judged else None
        checks.append(SeriesCheck(name, change, suggested, suggested == limit, allowed))
    return Diagnosis(warmup, len(measured), tuple(checks))
