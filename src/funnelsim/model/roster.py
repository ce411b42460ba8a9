"""Who is on a team at each moment of a run, and how productive: a team's staffing plan
(:mod:`funnelsim.scenario.staffing`) drawn for one run.

The heads of time zero are fully ramped; a hire ramps by month of tenure. Each head's tenure
is exponential (attrition is a yearly rate), so a head of time zero has as long still to go as
a new hire would; a leaver's seat is filled again ``backfill`` later, by a new hire. Tenures
are drawn on a stream of the team's own, keyed by seat and generation (the seat's first head,
its first replacement, ...), so compared policies, which share a seed, meet the same hires and
the same leavers.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from funnelsim.base.streams import Streams
from funnelsim.scenario.schema import Scenario
from funnelsim.scenario.staffing import Staffing, hire_day

MONTH = 365.25 / 12
"""A month of tenure, in days."""
YEAR = 365.25


@dataclass(frozen=True)
class Roster:
    """A team's heads over a run, in the order they join: when each joins (0: there at the
    start), is hired (the start of its ramp; ``-inf``: ramped before the run) and leaves
    (``inf``: stays)."""

    joins: np.ndarray
    hired: np.ndarray
    leaves: np.ndarray
    ramp: tuple[float, ...]

    def __len__(self) -> int:
        return len(self.joins)

    @property
    def at_start(self) -> int:
        """Heads there at time zero: the first ones."""
        return int(np.count_nonzero(self.joins <= 0.0))

    def productivity(self, head: int, t: float) -> float:
        """How much of a ramped head's work ``head`` does at ``t``."""
        tenure = t - self.hired[head]
        if not tenure < len(self.ramp) * MONTH:  # ramped (or ramped before the run: inf)
            return 1.0
        return self.ramp[math.floor(tenure / MONTH + 1e-9)]  # at a step's own time: the new month

    def ramp_steps(self, head: int) -> list[float]:
        """When ``head``'s productivity changes while on the team (the month boundaries)."""
        hired, leaves = self.hired[head], self.leaves[head]
        if not math.isfinite(hired):
            return []
        steps = [hired + k * MONTH for k in range(1, len(self.ramp) + 1)]
        return [t for t in steps if t < leaves]

    def head_days(self, start: float, end: float) -> float:
        """Days on the team within ``[start, end)``, of all heads."""
        return float(self._within(start, end, lambda t: t).sum())

    def open_time(self, business: Callable[[np.ndarray], np.ndarray], start, end) -> float:
        """Open time on the team within ``[start, end)``, of all heads, on ``business``'s clock."""
        return float(self._within(start, end, business).sum())

    def _within(self, start: float, end: float, clock: Callable) -> np.ndarray:
        joins, leaves = np.clip(self.joins, start, end), np.clip(self.leaves, start, end)
        return clock(leaves) - clock(joins)

    def slot_days(self, cap: int, start: float, end: float) -> float:
        """Deal-days the heads could hold within ``[start, end)``, at ``cap`` each when ramped."""
        total = 0.0
        for head in range(len(self)):
            edges = [float(self.joins[head]), *self.ramp_steps(head), float(self.leaves[head])]
            for a, b in itertools.pairwise(edges):
                days = min(b, end) - max(a, start)
                if days > 0:
                    total += days * ramped_cap(self.productivity(head, a), cap)
        return total

    def hires_within(self, start: float, end: float) -> int:
        """Hires who join within ``[start, end)``: a hire on the run's first day is one, the
        heads there before it (ramped before the run) are not."""
        joins = self.joins[self.hires]
        return int(np.count_nonzero((joins >= start) & (joins < end)))

    @property
    def hires(self) -> np.ndarray:
        """Which heads are hires (their ramp starts in the run), backfills included."""
        return np.isfinite(self.hired)


def ramped_cap(productivity: float, cap: int) -> int:
    """Deals an AE at ``productivity`` holds at once, of a ramped AE's ``cap``: at least one."""
    return max(1, round(productivity * cap))


def roster(
    plan: Staffing,
    headcount: int,
    start_date: dt.date,
    horizon: float,
    streams: Streams,
    team: str,
) -> Roster | None:
    """The team's heads over a run of ``horizon`` days; ``None`` for a team fixed all run."""
    if plan.fixed:
        return None
    joins = [0.0] * headcount
    hired = [-math.inf] * headcount
    for hire in plan.hires:
        day = hire_day(hire, start_date)
        joins += [day] * hire.count
        hired += [day] * hire.count
    joins_, hired_ = np.array(joins), np.array(hired)
    seat = np.arange(len(joins_), dtype=np.uint64)
    parts, generation = [], 0
    attrition = plan.attrition
    rate = attrition.per_year / YEAR if attrition is not None else 0.0
    backfill = attrition.backfill if attrition is not None else None
    while seat.size:
        if rate > 0.0:
            u = streams.lead_uniforms(f"staff/{team}", seat, generation)
            leaves = joins_ - np.log(u) / rate
        else:
            leaves = np.full(len(seat), math.inf)
        parts.append((joins_, hired_, leaves))
        if backfill is None:
            break
        again = leaves + backfill < horizon
        seat, joins_ = seat[again], leaves[again] + backfill
        hired_, generation = joins_, generation + 1
    joins_, hired_, leaves = (np.concatenate(c) for c in zip(*parts, strict=True))
    order = np.argsort(joins_, kind="stable")
    return Roster(joins_[order], hired_[order], leaves[order], tuple(plan.ramp))


@dataclass(frozen=True)
class Teams:
    """The run's SDR desk and AEs over time: ``None`` for a team fixed all run."""

    sdr: Roster | None
    ae: Roster | None

    @classmethod
    def drawn(cls, scenario: Scenario, streams: Streams) -> Teams:
        start, length = scenario.start_date, scenario.horizon.length
        sdr, sales = scenario.sdr, scenario.sales
        return cls(
            roster(sdr.staffing, sdr.headcount, start, length, streams, "sdr"),
            roster(sales.staffing, sales.ae_count, start, length, streams, "ae"),
        )
