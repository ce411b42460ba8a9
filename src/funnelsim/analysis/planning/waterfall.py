"""The plan a spreadsheet makes: the reverse waterfall, one point estimate, no queue, no ramp.

It reads today's funnel as a chain of fixed rates (leads to bookings), so the target divided by
today's bookings is how much more of everything it takes: lead levers add that much volume
(shared among them by today's volumes) and team levers grow in proportion (heads per lead kept
as today), every head hired on the period's first day. Simulated like any plan, it shows how
often a plan that ignores variance, queues and ramps reaches the target.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from funnelsim.analysis.planning.levers import Lever
from funnelsim.analysis.planning.target import Target
from funnelsim.record.registry import METRICS

VOLUMES = ("money", "count")
"""Kinds of figure a waterfall scales: totals that grow with volume."""


def scalable(target: Target) -> bool:
    """Whether a reverse waterfall can plan for ``target``: a total where more is better."""
    return target.better > 0 and METRICS[target.metric].kind in VOLUMES


def reverse_waterfall(
    levers: Sequence[Lever], target: Target, today: float, volume_today: float
) -> tuple[float, ...]:
    """Each lever's level in the waterfall's plan, on the lever's grid; ``today`` is the mean
    of the target's figure with every lever as today, ``volume_today`` today's leads per week
    from every source."""
    growth = target.value / today if today > 0 else math.inf
    leads = [lv for lv in levers if not lv.team]
    extra = (growth - 1.0) * volume_today
    shared = sum(lv.today for lv in leads)
    levels = []
    for lever in levers:
        if lever.team:
            wanted = math.ceil(lever.today * growth - 1e-9)
        else:
            share = lever.today / shared if shared > 0 else 1.0 / len(leads)
            wanted = lever.today + extra * share
        wanted = min(max(wanted, lever.low), lever.high)
        levels.append(lever.at(lever.index(wanted)))
    return tuple(levels)
