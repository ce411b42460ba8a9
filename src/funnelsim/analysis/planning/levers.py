"""What a plan may change, and how a choice of levels becomes a scenario.

* ``sdr`` and ``ae``: the SDR desk's and the AEs' headcount in the period. Heads above
  today's are hires, started early enough to be fully ramped when the period opens
  (``ramp`` months before it), but never before the run's start; heads below today's are a
  smaller team from the start.
* ``leads.SOURCE``: the source's leads per week from the run's start on (a rate change the
  settled start does not see: the past keeps today's volume).

Each lever moves on a grid from its low to its high bound by its step; a plan is one level
of each. Unit costs are the scenario's own (``cost``, each source's ``cost_per_lead``).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from funnelsim.errors import UsageError
from funnelsim.model.roster import MONTH
from funnelsim.scenario.fields import MAX_RATE_PER_WEEK, MAX_STAFF
from funnelsim.scenario.schema import Scenario
from funnelsim.scenario.staffing import Staffing

TEAMS = {"sdr": ("sdr", "headcount"), "ae": ("sales", "ae_count")}
"""A team lever's scenario section and headcount key."""
STEPS = 40
"""A lead lever's default grid: about this many steps between its bounds."""


@dataclass(frozen=True)
class Lever:
    """One lever: its name, today's level, and the grid it moves on."""

    name: str
    today: float
    low: float
    high: float
    step: float

    @property
    def levels(self) -> int:
        """Grid points from low to high."""
        return math.floor((self.high - self.low) / self.step + 1e-9) + 1

    def at(self, k: int) -> float:
        """The level at grid index ``k``."""
        return self.low + k * self.step

    def index(self, value: float) -> int:
        """The grid index of the smallest level at least ``value`` (clipped to the grid)."""
        return min(max(math.ceil((value - self.low) / self.step - 1e-9), 0), self.levels - 1)

    @property
    def team(self) -> bool:
        return self.name in TEAMS

    @property
    def unit(self) -> str:
        return "heads" if self.team else "leads/week"


def today(scenario: Scenario, name: str) -> float:
    """A lever's level in the scenario as it stands."""
    if name in TEAMS:
        section, key = TEAMS[name]
        return float(getattr(getattr(scenario, section), key))
    return float(scenario.sources[name.removeprefix("leads.")].rate_per_week)


def parse_lever(text: str, scenario: Scenario) -> Lever:
    """``NAME``, ``NAME=LOW:HIGH`` or ``NAME=LOW:HIGH:STEP``. Without bounds a team lever runs
    from today's headcount to three times it (at least today's + 10), a lead lever from
    today's volume to four times it."""
    name, _, bounds = text.partition("=")
    name = name.strip()
    known = [*TEAMS, *(f"leads.{s}" for s in scenario.sources)]
    if name not in known:
        raise UsageError(f"--lever {text!r}: unknown lever {name!r}; expected one of {known}")
    now = today(scenario, name)
    team = name in TEAMS
    if bounds:
        parts = bounds.split(":")
        if len(parts) not in (2, 3) or not all(
            re.fullmatch(r"\s*\d+(\.\d+)?\s*", p) for p in parts
        ):
            raise UsageError(
                f"--lever {text!r}: expected {name}=LOW:HIGH or {name}=LOW:HIGH:STEP, "
                "non-negative numbers"
            )
        low, high, *step = (float(p) for p in parts)
    else:
        low, high = now, max(3 * now, now + 10) if team else 4 * now
        step = []
    if not low < high:
        raise UsageError(f"--lever {text!r}: expected LOW < HIGH, got {low:g} and {high:g}")
    size = step[0] if step else (1.0 if team else _round_step((high - low) / STEPS))
    if team and (size != int(size) or low != int(low) or high != int(high)):
        raise UsageError(f"--lever {text!r}: {name} counts heads; expected whole numbers")
    if team and low < 1:
        raise UsageError(f"--lever {text!r}: expected at least one head, got {low:g}")
    if not 0 < size <= high - low:
        raise UsageError(f"--lever {text!r}: expected a step in (0, HIGH - LOW], got {size:g}")
    most = MAX_STAFF if team else MAX_RATE_PER_WEEK
    if high > most:
        raise UsageError(f"--lever {text!r}: expected HIGH at most {most:,g}, got {high:g}")
    if not team and scenario.sources[name.removeprefix("leads.")].rate_changes:
        raise UsageError(
            f"--lever {text!r}: the scenario already plans this source's volume "
            "(rate_changes); remove them or choose another lever"
        )
    high = low + math.floor((high - low) / size + 1e-9) * size  # onto the grid
    return Lever(name, now, low, high, size)


def _round_step(step: float) -> float:
    """A readable step: 1, 2 or 5 times a power of ten, at least one lead a week."""
    if step <= 1:
        return 1.0
    power = 10 ** math.floor(math.log10(step))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= step)


def hire_day(period_start: float, ramp: Sequence[float]) -> float:
    """When a hire for the period starts, in days from the run's start: ``len(ramp)`` months
    before the period opens, so the hire is fully productive then; not before the run."""
    return max(0.0, round(period_start - len(ramp) * MONTH))


def hire_date(scenario: Scenario, lever: Lever, period_start: float, ramped: bool) -> dt.date:
    """The day a team lever's hires start: ramped by the period, or on its first day, as a
    plan that forgets ramps would have it."""
    section, _ = TEAMS[lever.name]
    ramp = getattr(scenario, section).staffing.ramp
    day = hire_day(period_start, ramp) if ramped else period_start
    return scenario.start_date + dt.timedelta(days=day)


def overrides(
    scenario: Scenario,
    levers: Sequence[Lever],
    levels: Sequence[float],
    period_start: float,
    ramped: bool = True,
) -> dict[str, Any]:
    """The ``--set`` overrides that put the levers at ``levels``, hires starting on
    :func:`hire_date`."""
    out: dict[str, Any] = {}
    for lever, level in zip(levers, levels, strict=True):
        if lever.team:
            section, key = TEAMS[lever.name]
            team = getattr(scenario, section)
            staffing: Staffing = team.staffing
            extra = round(level) - getattr(team, key)
            if extra < 0:
                out[f"{section}.{key}"] = round(level)
            elif extra > 0:
                at = hire_date(scenario, lever, period_start, ramped)
                hires = [h.model_dump(mode="json") for h in staffing.hires]
                out[f"{section}.staffing.hires"] = [*hires, {"at": at.isoformat(), "count": extra}]
        elif level != lever.today:
            key = f"sources.{lever.name.removeprefix('leads.')}.rate_changes"
            out[key] = [{"at": "0d", "rate_per_week": float(level)}]
    return out
