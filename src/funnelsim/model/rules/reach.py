"""Reaching the buyer: the lead-response decay.

The chance an attempt reaches the buyer falls with the business time since the MQL: steep in
the first hour, a long tail after (Oldroyd, McElheran and Elkington, HBR 2011). Prospects the
SDRs found themselves have no MQL clock: they are reached at a flat ``outbound_reach``. An
attempt reaches the buyer when its pre-drawn uniform falls under the chance
(:meth:`funnelsim.model.funnel.Stages.attempt`, shared by both models).
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass


@dataclass(frozen=True)
class ReachCurve:
    """Chance an attempt reaches the buyer, by open time since the MQL.

    Interpolated linearly in log-delay between the scenario's points and flat beyond them.
    """

    log_delays: tuple[float, ...]
    chances: tuple[float, ...]

    @classmethod
    def from_points(cls, delays: list[float], chances: list[float]) -> ReachCurve:
        return cls(tuple(math.log(max(d, 1e-9)) for d in delays), tuple(chances))

    def __call__(self, delay: float) -> float:
        ys = self.chances
        if len(ys) == 1:
            return ys[0]  # a flat curve: no decay to look up
        x, xs = math.log(1e-9 if delay < 1e-9 else delay), self.log_delays  # max(delay, 1e-9)
        k = bisect.bisect_right(xs, x)
        if k == 0:
            return ys[0]
        if k == len(xs):
            return ys[-1]
        w = (x - xs[k - 1]) / (xs[k] - xs[k - 1])
        return ys[k - 1] + w * (ys[k] - ys[k - 1])
