"""The SDR desk: MQLs wait for a pool of SDRs who work business hours.

SDRs are SimPy processes that take the most urgent task from one queue: a first touch for a
new MQL, or a due follow-up attempt. Each attempt costs work time; the chance it reaches the
buyer falls with the business time elapsed since the MQL (the lead-response decay). A reached
buyer is accepted (SAL) unless the account is outside the ideal customer profile, and
qualifies (SQL) likelier when in market. Follow-ups are scheduled with a callback rather than
a process: one event each.
"""

from __future__ import annotations

import bisect
import heapq
import itertools
import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import simpy

from funnelsim.calendar import Calendar
from funnelsim.scenario.schema import Sdr, Trust
from funnelsim.streams import Streams


@dataclass(frozen=True)
class ReachCurve:
    """Chance an attempt reaches the buyer, by open time since the MQL.

    Interpolated linearly in log-delay between the scenario's points and flat beyond them,
    the shape of the lead-response studies: steep in the first hour, a long tail after.
    """

    log_delays: tuple[float, ...]
    chances: tuple[float, ...]

    @classmethod
    def from_points(cls, delays: list[float], chances: list[float]) -> ReachCurve:
        return cls(tuple(math.log(max(d, 1e-9)) for d in delays), tuple(chances))

    def __call__(self, delay: float) -> float:
        x, xs, ys = math.log(max(delay, 1e-9)), self.log_delays, self.chances
        k = bisect.bisect_right(xs, x)
        if k == 0:
            return ys[0]
        if k == len(xs):
            return ys[-1]
        w = (x - xs[k - 1]) / (xs[k] - xs[k - 1])
        return ys[k - 1] + w * (ys[k] - ys[k - 1])


class SalesTrust:
    """Follow-up effort that tracks how many recent MQLs the SDRs accepted.

    Pure bookkeeping: ``effort`` maps the recent acceptance share linearly from ``zero_at``
    (effort at its floor) to ``full_at`` (full effort). An enforced SLA owes full effort.
    """

    def __init__(self, trust: Trust, enforced: bool):
        self.trust, self.enforced = trust, enforced
        self.recent: deque[bool] = deque(maxlen=trust.window)
        self.accepted = 0

    def record(self, accepted: bool) -> None:
        if len(self.recent) == self.recent.maxlen:
            self.accepted -= self.recent[0]
        self.recent.append(accepted)
        self.accepted += accepted

    @property
    def effort(self) -> float:
        if self.enforced or not self.recent:
            return 1.0
        t = self.trust
        share = self.accepted / len(self.recent)
        ramp = min(max((share - t.zero_at) / (t.full_at - t.zero_at), 0.0), 1.0)
        return t.min_effort + (1.0 - t.min_effort) * ramp


@dataclass(frozen=True)
class SpellDraws:
    """A spell's random numbers, drawn in one vectorised batch when the spell is created."""

    reach: list[float]  # one uniform per possible attempt
    work: list[float]  # work time of each attempt, open time in days
    talk: float  # extra work when the buyer is reached
    qualify: float


def draw_spells(
    sdr: Sdr, streams: Streams, keys: np.ndarray, spells: np.ndarray
) -> list[SpellDraws]:
    """Random numbers for many new spells at once, fixed by (lead, spell number, attempt)."""
    if len(keys) == 0:
        return []
    attempts = np.arange(sdr.attempts)
    counter = spells[:, None] * 256 + attempts[None, :]
    lead = np.repeat(keys[:, None], sdr.attempts, axis=1)
    reach = streams.lead_uniforms("sdr/reach", lead, counter)
    work = sdr.work_time.ppf(streams.lead_uniforms("sdr/work", lead, counter))
    talk = sdr.talk_time.ppf(streams.lead_uniforms("sdr/talk", keys, spells))
    qualify = streams.lead_uniforms("sdr/qualify", keys, spells)
    return [
        SpellDraws(*row)
        for row in zip(reach.tolist(), work.tolist(), talk.tolist(), qualify.tolist(), strict=True)
    ]


@dataclass
class Task:
    """A lead's current spell at the SDR desk."""

    lead: int
    spell: int  # row in the ledger's spells
    mql_at: float
    score: float
    prospect: bool  # prospected by SDRs (outbound, tele): no MQL, no decay curve, no trust
    draws: SpellDraws
    attempt: int = 0  # attempts made so far
    attempts: int = 0  # attempts owed, fixed at the first touch from the effort then
    reached: bool = False  # outcome of the attempt in progress


class SdrDesk:
    """One queue and ``headcount`` SDR processes that work it during business hours.

    The desk knows nothing of outcomes: ``attempt(task, sdr)`` is called when an SDR starts
    an attempt and returns its work time in open time; ``finish(task, sdr)`` when it ends.
    New MQLs that waited longer than ``max_queue_age`` go to ``aged(task)`` when reached in
    the queue, stamped at the moment they aged out: no event is spent watching them.
    """

    def __init__(
        self,
        env: simpy.Environment,
        spec: Sdr,
        calendar: Calendar,
        attempt: Callable[[Task, int], float],
        finish: Callable[[Task, int], None],
        aged: Callable[[Task], None],
    ):
        self.env, self.spec, self.calendar = env, spec, calendar
        self.attempt, self.finish, self.aged = attempt, finish, aged
        self.queue: list[tuple[tuple[int, float], int, Task]] = []
        self._order = itertools.count()
        self._idle: list[simpy.Event] = []
        self.busy: list[tuple[float, float]] = []
        self._new, self._followup = (1, 0) if spec.followups == "first" else (0, 1)
        self.workers = [env.process(self._sdr(k)) for k in range(spec.headcount)]

    def push_new(self, task: Task) -> None:
        key = task.mql_at if self.spec.queue == "fifo" else -task.score
        self._push((self._new, key), task)

    def push_followup(self, task: Task) -> None:
        self._push((self._followup, self.env.now), task)

    def _push(self, key: tuple[int, float], task: Task) -> None:
        heapq.heappush(self.queue, (key, next(self._order), task))
        if self._idle:
            self._idle.pop().succeed()

    def _pop(self) -> Task | None:
        while self.queue:
            _, _, task = heapq.heappop(self.queue)
            if task.attempt == 0 and self.env.now > task.mql_at + self.spec.max_queue_age:
                self.aged(task)
                continue
            return task
        return None

    def waiting(self) -> list[Task]:
        return [task for _, _, task in self.queue]

    def _sdr(self, k: int):
        env, calendar = self.env, self.calendar
        while True:
            opening = calendar.next_open(env.now)
            if opening > env.now:
                yield env.timeout(opening - env.now)
                continue
            task = self._pop()
            if task is None:
                wake = env.event()
                self._idle.append(wake)
                yield wake
                continue
            start = env.now
            done = calendar.add(start, self.attempt(task, k))
            self.busy.append((start, done))
            yield env.timeout(done - start)
            self.finish(task, k)
