"""One response time to judge every policy's first touches by, whatever each one's SLA says.

Each policy's ``sla_compliance`` is measured against its own SLA, so a policy promising a
first touch within a day looks as compliant as one promising an hour. A comparison adds
compliance within one yardstick, the same for all: the response time given (``--yardstick``,
or ``yardstick:`` in an experiment file), or else the strictest SLA among the experiment's
scenarios. Runs measure compliance at the response times of
:data:`~funnelsim.record.response.YARDSTICKS`; a strictest SLA between two of them is judged
at the next stricter one (the shortest of them when it is shorter still).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from funnelsim.base.calendar import Calendar
from funnelsim.record.response import SLACK, YARDSTICKS
from funnelsim.scenario.schema import CalendarSpec

COMPLIANCE = "sla_compliance"
"""The figure the yardstick's figure stands beside."""


def figure(response_time: str) -> str:
    """The run figure of compliance within ``response_time``: ``sla_compliance_within_1h``."""
    return f"{COMPLIANCE}_within_{response_time}"


def unknown(response_time: str) -> str | None:
    """What a yardstick that runs do not measure is told; None for one they do."""
    if response_time in YARDSTICKS:
        return None
    return f"expected one of {', '.join(YARDSTICKS)}, got {response_time!r}"


def _open_time(scenario: Mapping[str, Any], text: str) -> float:
    calendar = Calendar.from_spec(CalendarSpec(**scenario.get("calendar", {})), dt.date(2000, 1, 3))
    return calendar.open_time(text)


def strictest(scenarios: Iterable[Mapping[str, Any]]) -> str:
    """The yardstick of resolved scenarios: the longest of :data:`YARDSTICKS` no longer than
    the shortest SLA response time among them, in each scenario's own open time."""
    limits = [(s, _open_time(s, s["sla"]["response_time"])) for s in scenarios]
    scenario, limit = min(limits, key=lambda pair: pair[1])
    within = [w for w in YARDSTICKS if _open_time(scenario, w) <= limit + SLACK]
    return within[-1] if within else YARDSTICKS[0]


def with_yardstick(metrics: list[str], response_time: str | None, given: bool = False) -> list[str]:
    """The metrics a comparison reports: compliance within the yardstick right after
    compliance with each policy's own SLA, when that is among them, or last when the
    yardstick was ``given`` (asked for, so shown)."""
    if response_time is None or figure(response_time) in metrics:
        return metrics
    if COMPLIANCE in metrics:
        at = metrics.index(COMPLIANCE) + 1
        return [*metrics[:at], figure(response_time), *metrics[at:]]
    return [*metrics, figure(response_time)] if given else metrics
