"""Erlang C: the SDR count queueing theory gives, where the desk is an M/M/c queue.

The desk is one when it is always open, every MQL gets one attempt of exponential length and
no talk time, and MQLs arrive as a Poisson stream (the bundled ``mmc`` scenario). A first
touch within ``t`` of the MQL is then a wait of at most ``t``, whose chance with ``c`` SDRs,
offered load ``a = lambda / mu`` and ``c > a`` is ``1 - C(c, a) exp(-(c - a) mu t)``, where
``C`` is the Erlang C probability of waiting. A plan's SDR count for a target on first-touch
compliance should agree with the smallest ``c`` that reaches the share, within a head.
"""

from __future__ import annotations

import math

from funnelsim.base.units import parse_duration
from funnelsim.scenario.schema import Scenario

HOURS = 24.0


def erlang_c(c: int, offered: float) -> float:
    """The chance an arrival waits in M/M/c with ``offered`` = lambda / mu Erlangs (``c``
    servers): by the Erlang B recursion, stable for any ``c``."""
    if offered >= c:
        return 1.0
    b = 1.0
    for k in range(1, c + 1):
        b = offered * b / (k + offered * b)
    return c * b / (c - offered * (1 - b))


def service_level(c: int, offered: float, within_work: float) -> float:
    """Share of arrivals whose wait is at most ``within_work`` mean work times."""
    if offered >= c:
        return 0.0
    return 1.0 - erlang_c(c, offered) * math.exp(-(c - offered) * within_work)


def staffing(offered: float, within_work: float, share: float, most: int = 10_000) -> int:
    """The fewest servers that answer ``share`` of arrivals within ``within_work`` mean work
    times."""
    c = max(1, math.floor(offered) + 1)
    while service_level(c, offered, within_work) < share:
        c += 1
        if c > most:
            raise ValueError(f"no staffing up to {most} servers reaches {share:.0%}")
    return c


def response_of(metric: str, scenario: Scenario) -> float | None:
    """The response time (days) a first-touch compliance figure judges by; ``None`` for other
    figures."""
    if metric == "sla_compliance":
        return parse_duration(scenario.sla.response_time)
    if metric.startswith("sla_compliance_within_"):
        return parse_duration(metric.removeprefix("sla_compliance_within_"))
    return None


def queue_like(scenario: Scenario) -> str | None:
    """Why the desk is not an M/M/c queue (the first reason), or ``None`` when it is."""
    sdr = scenario.sdr
    if not scenario.calendar.always_open:
        return "the desk keeps business hours"
    if sdr.work_time.exponential is None:
        return "work time is not exponential"
    if sdr.attempts != 1:
        return "more than one attempt per MQL"
    if sdr.talk_time.mean() > 0:
        return "attempts have talk time"
    if sdr.staffing.attrition is not None:
        return "SDRs leave over the run"
    return None


def check(scenario: Scenario, metric: str, share: float, mqls_per_day: float) -> dict:
    """Erlang C's SDR count for a target on first-touch compliance, or why there is none."""
    response = response_of(metric, scenario)
    reason = "the target is not first-touch compliance" if response is None else None
    reason = reason or queue_like(scenario)
    if reason is not None:
        return {"applies": False, "reason": reason}
    work = scenario.sdr.work_time.mean()
    offered = mqls_per_day * work
    return {
        "applies": True,
        "mqls_per_hour": mqls_per_day / HOURS,
        "work_hours": work * HOURS,
        "offered_erlangs": offered,
        "sdrs": staffing(offered, response / work, share),
    }
