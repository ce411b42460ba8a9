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
        ys = self.chances
        if len(ys) == 1:
            return ys[0]  # a flat curve: no decay to look up
        x, xs = math.log(max(delay, 1e-9)), self.log_delays
        k = bisect.bisect_right(xs, x)
        if k == 0:
            return ys[0]
        if k == len(xs):
            return ys[-1]
        w = (x - xs[k - 1]) / (xs[k] - xs[k - 1])
        return ys[k - 1] + w * (ys[k] - ys[k - 1])


class SalesTrust:
    """Follow-up effort that tracks how many recent reached MQLs qualified.

    Pure bookkeeping: ``effort`` maps the share over the last ``window`` linearly from
    ``zero_at`` (effort at its floor) to ``full_at`` (full effort). An enforced SLA owes full
    effort.
    """

    def __init__(self, trust: Trust, enforced: bool):
        self.trust, self.enforced = trust, enforced
        self.recent: deque[bool] = deque(maxlen=trust.window)
        self.qualified = 0
        self.effort = 1.0  # kept current by record(): read once per MQL and first touch

    def record(self, qualified: bool) -> None:
        if self.enforced:
            return  # effort is owed in full, whatever the record
        if len(self.recent) == self.recent.maxlen:
            self.qualified -= self.recent[0]
        self.recent.append(qualified)
        self.qualified += qualified
        if len(self.recent) < self.recent.maxlen:
            return  # too few judged yet: a first disappointment is not a trend
        t = self.trust
        share = self.qualified / len(self.recent)
        ramp = min(max((share - t.zero_at) / (t.full_at - t.zero_at), 0.0), 1.0)
        self.effort = t.min_effort + (1.0 - t.min_effort) * ramp


def owed_attempts(cadence: int, effort: float) -> int:
    """Attempts an SDR owes a lead at this effort: at least one, halves rounded up."""
    return max(1, int(cadence * effort + 0.5))


SPELL_DRAWS = 256
"""Counters per spell: one per attempt, and the schema caps attempts at 100."""


@dataclass(slots=True, eq=False)
class Task:
    """A lead's current spell at the SDR desk, with the random numbers it will use.

    The numbers are drawn for many spells at once (:func:`new_tasks`) and fixed by
    (lead, spell, attempt), so an attempt's outcome does not depend on the order of work.
    """

    lead: int
    mql_at: float
    score: float
    prospect: bool  # prospected by SDRs (outbound, tele): no MQL, no decay curve, no trust
    reach: list[float]  # one uniform per possible attempt
    work: list[float]  # work time of each attempt, open time in days
    talk: float  # extra work when the buyer is reached
    qualify: float
    spell: int = -1  # row in the ledger's spells
    mql_open: float = 0.0  # the business clock at the MQL, for the response-time decay
    attempt: int = 0  # attempts made so far
    attempts: int = 0  # attempts owed, fixed at the first touch from the effort then
    reached: bool = False  # outcome of the attempt in progress


def new_tasks(
    sdr: Sdr,
    streams: Streams,
    leads: np.ndarray,
    keys: np.ndarray,
    spells: np.ndarray,
    at: np.ndarray,
    scores: np.ndarray,
    prospect: bool,
) -> list[Task]:
    """Tasks for many new spells at once, their draws fixed by (lead, spell number, attempt)."""
    if len(keys) == 0:
        return []
    counter = spells[:, None] * SPELL_DRAWS + np.arange(sdr.attempts)[None, :]
    lead = np.repeat(keys[:, None], sdr.attempts, axis=1)
    reach = streams.lead_uniforms("sdr/reach", lead, counter).tolist()
    work = sdr.work_time.ppf(streams.lead_uniforms("sdr/work", lead, counter)).tolist()
    talk = sdr.talk_time.ppf(streams.lead_uniforms("sdr/talk", keys, spells)).tolist()
    qualify = streams.lead_uniforms("sdr/qualify", keys, spells).tolist()
    return [
        Task(*row, prospect, *draws)
        for row, draws in zip(
            zip(leads.tolist(), at.tolist(), scores.tolist(), strict=True),
            zip(reach, work, talk, qualify, strict=True),
            strict=True,
        )
    ]


class SdrDesk:
    """One queue and ``headcount`` SDRs who work it during business hours.

    The desk knows nothing of outcomes: ``attempt(task, sdr)`` is called when an SDR starts
    an attempt and returns its work time in open time; ``finish(task, sdr)`` when it ends.
    New MQLs that waited longer than ``max_queue_age`` go to ``aged(task)`` when reached in
    the queue, stamped at the moment they aged out: no event is spent watching them.

    SDRs are driven by callbacks rather than processes: an attempt costs one event (its end),
    and a closed desk with work waiting costs one event (the next opening), whoever is idle.
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
        self.idle = list(range(spec.headcount))[::-1]  # a stack: the lowest id works first
        self._opening_booked = False
        self.held: set[Task] = set()  # MQLs a sales-trust delay keeps out of the queue for now
        self.busy: list[tuple[float, float]] = []
        self._new, self._followup = (1, 0) if spec.followups == "first" else (0, 1)

    def push_new(self, task: Task) -> None:
        self.held.discard(task)
        key = task.mql_at if self.spec.queue == "fifo" else -task.score
        self._push((self._new, key), task)

    def push_followup(self, task: Task) -> None:
        self._push((self._followup, self.env.now), task)

    def _push(self, key: tuple[int, float], task: Task) -> None:
        heapq.heappush(self.queue, (key, next(self._order), task))
        if self.idle:
            self._dispatch()

    def _pop(self) -> Task | None:
        oldest = self.env.now - self.spec.max_queue_age  # too_old, inlined: one pop per attempt
        while self.queue:
            _, _, task = heapq.heappop(self.queue)
            if task.attempt == 0 and task.mql_at < oldest:
                self.aged(task)
                continue
            return task
        return None

    def too_old(self, task: Task, at: float) -> bool:
        """Whether a never-touched MQL has waited past ``max_queue_age`` by ``at``."""
        return task.attempt == 0 and at > task.mql_at + self.spec.max_queue_age

    def close(self, at: float) -> None:
        """At the end of a run: age out the MQLs still waiting, queued or held back."""
        for task in [*(task for _, _, task in self.queue), *self.held]:
            if self.too_old(task, at):
                self.aged(task)

    def _dispatch(self, _event: simpy.Event | None = None) -> None:
        """Put idle SDRs to work while there is work and the desk is open."""
        if _event is not None:
            self._opening_booked = False
        env, calendar = self.env, self.calendar
        now = env.now
        if not calendar.is_always_open:
            opening = calendar.next_open(now)
            if opening > now:
                if not self._opening_booked:
                    self._opening_booked = True
                    env.timeout(opening - now).callbacks.append(self._dispatch)
                return
        while self.idle and self.queue:
            task = self._pop()
            if task is None:
                return
            sdr = self.idle.pop()
            done = calendar.add(now, self.attempt(task, sdr))
            self.busy.append((now, done))
            env.timeout(done - now, (task, sdr)).callbacks.append(self._done)

    def _done(self, event: simpy.Event) -> None:
        task, sdr = event.value
        self.finish(task, sdr)
        self.idle.append(sdr)
        if self.queue:
            self._dispatch()
