"""The SDR desk: MQLs wait for a pool of SDRs who work business hours.

SDRs take the most urgent task from one queue: a first touch for a new MQL, or a due
follow-up attempt. Each attempt costs work time; the chance it reaches the buyer falls with
the business time elapsed since the MQL (the lead-response decay). A reached buyer is accepted
(SAL) unless the account is outside the ideal customer profile, and qualifies (SQL) likelier
when in market. An attempt costs one SimPy event, its end; work reaching the desk (MQLs,
follow-ups coming due) costs one only when it finds an SDR idle and the desk open.
"""

from __future__ import annotations

import bisect
import heapq
import itertools
import math
from array import array
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import simpy
from simpy.events import NORMAL

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
        x, xs = math.log(1e-9 if delay < 1e-9 else delay), self.log_delays  # max(delay, 1e-9)
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
    The uniforms of the opportunity the spell may open are drawn with them.
    """

    lead: int
    mql_at: float
    score: float
    prospect: bool  # prospected by SDRs (outbound, tele): no MQL, no decay curve, no trust
    reach: list[float]  # one uniform per possible attempt
    work: list[float]  # work time of each attempt, open time in days
    talk: float  # extra work when the buyer is reached
    qualify: float
    deal: np.ndarray  # the opportunity's uniforms (:func:`funnelsim.model.sales.deal_counters`)
    spell: list | None = None  # its row of the ledger's spells, updated in place
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
    prospect: np.ndarray,
    deal_counters: np.ndarray,
) -> list[Task]:
    """Tasks for many new spells at once, their draws fixed by (lead, spell number, attempt).

    Each spell also draws its lead's next opportunity's uniforms, at ``deal_counters``.
    """
    per_attempt = spells[:, None] * SPELL_DRAWS + np.arange(sdr.attempts)
    per_spell = spells[:, None]
    u = streams.lead_uniforms_of_streams(
        keys,
        {
            "sdr/reach": per_attempt,
            "sdr/work": per_attempt,
            "sdr/talk": per_spell,
            "sdr/qualify": per_spell,
            "opportunity": deal_counters,
        },
    )
    reach = u["sdr/reach"].tolist()
    work = sdr.work_time.ppf(np.ascontiguousarray(u["sdr/work"])).tolist()
    talk = sdr.talk_time.ppf(u["sdr/talk"].ravel()).tolist()
    qualify = u["sdr/qualify"].ravel().tolist()
    rows = zip(
        leads.tolist(),
        at.tolist(),
        scores.tolist(),
        prospect.tolist(),
        reach,
        work,
        talk,
        qualify,
        u["opportunity"],
        strict=True,
    )
    return list(itertools.starmap(Task, rows))


def event_time(now: float, when: float) -> float:
    """The time of an event booked at ``now`` for ``when``, to the last bit, as SimPy sets it.

    SimPy adds the delay to its clock, and ``now + (when - now)`` can round one step away from
    ``when``. Work the desk applies later than it is due, and the events it books, take their
    time from here rather than from SimPy's clock, so results do not depend on when the desk
    catches up.
    """
    return now + (when - now) if when > now else now


class Alarm:
    """A timer as SimPy's loop sees an event: its callbacks, and its value (the time due).

    The loop reads only ``callbacks`` and ``_ok`` of an event no process waits for, so timers
    nobody yields are booked as these rather than as :class:`simpy.Timeout`, with
    ``Environment.schedule``: the same time, priority and event number ``env.timeout`` would
    give them (:func:`book`).
    """

    __slots__ = ("_value", "callbacks")
    _ok = True

    def __init__(self, value: float, callbacks: list):
        self._value, self.callbacks = value, callbacks


def book(env: simpy.Environment, delay: float, event) -> None:
    """Schedule ``event`` (an :class:`Alarm` or :class:`AttemptEnd`) ``delay`` from now,
    as ``env.timeout(delay)`` would schedule a Timeout."""
    env.schedule(event, NORMAL, delay)  # type: ignore[arg-type]


class AttemptEnd:
    """The end of an SDR's attempt in progress, booked like an :class:`Alarm`.

    An SDR makes one attempt at a time: each has one of these, reused for each attempt.
    """

    __slots__ = ("at", "callbacks", "sdr", "task")
    _ok = True

    def __init__(self, sdr: int):
        self.callbacks: list | None = None
        self.sdr, self.task, self.at = sdr, None, 0.0


class SdrDesk:
    """One queue and ``headcount`` SDRs who work it during business hours.

    The desk knows nothing of outcomes: ``attempt(task, sdr, now)`` is called when an SDR
    starts an attempt and returns its work time in open time; ``finish(task, sdr, now)`` when
    it ends. New MQLs that waited longer than ``max_queue_age`` go to ``aged(task)`` when
    reached in the queue, stamped at the moment they aged out: no event is spent watching them.

    Work reaching the desk (an MQL handed over, a follow-up coming due, an MQL a trust delay
    held back) is not an event either. It waits in a heap of arrivals and is applied, each at
    its own due time, the next time the desk looks: when an SDR ends an attempt, or at a
    wake-up. Nothing can tell the difference: only an SDR taking work reads the queue, and
    sales trust, which sets a hand-off's delay, changes only when an attempt ends. A wake-up
    is booked only while an SDR is idle, for the earliest arrival (or the desk's next opening
    after it), so work that arrives while the desk is closed or every SDR is busy costs no
    event. SDRs are callbacks rather than processes: an attempt costs one event (its end).
    """

    def __init__(
        self,
        env: simpy.Environment,
        spec: Sdr,
        calendar: Calendar,
        attempt: Callable[[Task, int, float], float],
        finish: Callable[[Task, int, float], None],
        aged: Callable[[Task], None],
    ):
        self.env, self.spec, self.calendar = env, spec, calendar
        self._always_open = calendar.is_always_open
        self.attempt, self.finish, self.aged = attempt, finish, aged
        # The queue: a heap of (key, order, task) for each kind of work, so a comparison is
        # one of floats. New spells are keyed by MQL time (fifo) or by score, highest first;
        # follow-ups by when they came due. ``sdr.followups`` says which heap goes first.
        self.new: list[tuple[float, int, Task]] = []
        self.followups: list[tuple[float, int, Task]] = []
        self._first, self._then = (
            (self.followups, self.new) if spec.followups == "first" else (self.new, self.followups)
        )
        self._by_score = spec.queue == "score"
        self._order = itertools.count()
        # Work not applied yet, (due, order, action, task): action(due, task) at its turn.
        self.arrivals: list[tuple[float, int, Callable[[float, Task], None], Task]] = []
        self._wakes: list[float] = []  # times of the wake-ups booked and not yet fired
        self._opening: float | None = None  # the opening booked for work waiting while closed
        self.idle = list(range(spec.headcount))[::-1]  # a stack: the lowest id works first
        self.held: set[Task] = set()  # MQLs a sales-trust delay keeps out of the queue for now
        # Start and end of every attempt, flat: raw doubles, so the ledger's copy is one memcpy.
        self.busy = array("d")
        self._ends = [AttemptEnd(sdr) for sdr in range(spec.headcount)]
        # The callbacks of every attempt end, and of every wake-up: SimPy only reads them.
        self._on_done, self._on_wake = [self._done], [self._wake]

    # -- work arriving -------------------------------------------------------------------
    def arrive(
        self, now: float, when: float, action: Callable[[float, Task], None], task: Task
    ) -> None:
        """Booked at ``now``: run ``action(due, task)`` at ``when``, as far as anyone can tell.

        Arrivals due at the same time are applied in the order they were booked, the order
        SimPy gives events.
        """
        due = now + (when - now) if when > now else now  # event_time(now, when), inlined
        heapq.heappush(self.arrivals, (due, next(self._order), action, task))
        if self.idle and (not self._wakes or due < self._wakes[0]):
            self._book(now, self.calendar.next_open(due))

    def hand_over(
        self, now: float, tasks: list[Task], action: Callable[[float, Task], None]
    ) -> None:
        """Booked at ``now``: new spells reach the desk at their MQL times, in time order.

        :meth:`arrive` for each, with one wake-up check for the batch: in time order, only the
        first could book one.
        """
        arrivals, order = self.arrivals, self._order
        for task in tasks:
            at = task.mql_at
            due = now + (at - now) if at > now else now  # event_time(now, at), inlined
            heapq.heappush(arrivals, (due, next(order), action, task))
        if tasks and self.idle:
            due = event_time(now, tasks[0].mql_at)
            if not self._wakes or due < self._wakes[0]:
                self._book(now, self.calendar.next_open(due))

    def hold(self, task: Task, now: float, until: float) -> None:
        """Keep a new MQL out of the queue until ``until`` (a sales-trust delay)."""
        self.held.add(task)
        self.arrive(now, until, self._released, task)

    def follow_up(self, task: Task, now: float, at: float) -> None:
        """Queue the task's next attempt when it comes due, at ``at``."""
        self.arrive(now, at, self._due, task)

    def push_new(self, task: Task) -> None:
        """Queue a new spell: by MQL time (``fifo``) or by score, highest first."""
        key = -task.score if self._by_score else task.mql_at
        heapq.heappush(self.new, (key, next(self._order), task))

    def _released(self, now: float, task: Task) -> None:
        self.held.discard(task)
        self.push_new(task)

    def _due(self, now: float, task: Task) -> None:
        heapq.heappush(self.followups, (now, next(self._order), task))

    def _catch_up(self, now: float) -> None:
        """Apply the arrivals due by ``now``, each at its own due time.

        Each is followed by what its event would have done: put idle SDRs to work, or book
        the opening if the desk is closed. Work due before ``now`` only ever finds the desk
        closed or every SDR busy, or a wake-up would have applied it.
        """
        arrivals, idle, first, then = self.arrivals, self.idle, self._first, self._then
        while arrivals and arrivals[0][0] <= now:
            due, _, action, task = heapq.heappop(arrivals)
            action(due, task)
            if idle and (first or then):
                self._dispatch(due)

    def _book(self, now: float, at: float) -> None:
        """Booked at ``now``: wake the desk at ``at``, unless a wake-up comes no later."""
        if not self._wakes or at < self._wakes[0]:
            heapq.heappush(self._wakes, at)
            book(self.env, at - now, Alarm(at, self._on_wake))

    # -- SDRs ----------------------------------------------------------------------------
    def _wake(self, event: Alarm) -> None:
        now = event._value
        self._catch_up(now)
        heapq.heappop(self._wakes)  # only now: an opening booked while catching up is this one
        opening = self._opening
        if opening is not None:
            if opening <= now:
                self._opening = None
                self._dispatch(opening)
            else:  # booked by a wake-up a rounding step earlier: keep it booked
                self._book(now, opening)
        if self.idle and (self._first or self._then):
            self._dispatch(now)
        if self.idle and self.arrivals:
            self._expect(now)

    def _done(self, end: AttemptEnd) -> None:
        """An attempt ends: its outcome, then the SDR's next task, if any (the hot path)."""
        task, sdr, now = end.task, end.sdr, end.at
        arrivals = self.arrivals
        if arrivals and arrivals[0][0] <= now:  # work arrived meanwhile
            self._catch_up(now)
        self.finish(task, sdr, now)
        self.idle.append(sdr)
        if self._first or self._then:
            self._dispatch(now)
        if arrivals and self.idle and (not self._wakes or arrivals[0][0] < self._wakes[0]):
            # An SDR idles and no wake-up is booked before the next arrival: _expect's work.
            self._book(now, self.calendar.next_open(arrivals[0][0]))

    def _expect(self, now: float) -> None:
        """SDRs are idle: wake the desk for the earliest arrival, unless a wake-up comes first."""
        due = self.arrivals[0][0]
        if not self._wakes or due < self._wakes[0]:
            self._book(now, self.calendar.next_open(due))

    def _dispatch(self, now: float) -> None:
        """Put idle SDRs to work while there is work and the desk is open."""
        calendar = self.calendar
        span = calendar.span  # inside the open interval last looked up: open, no call
        if not span[0] <= now < span[1] and not self._always_open:
            opening = calendar.next_open(now)
            if opening > now:
                if self._opening is None:
                    self._opening = event_time(now, opening)
                    self._book(now, self._opening)
                return
        first, then, idle = self._first, self._then, self.idle
        oldest = now - self.spec.max_queue_age  # too_old, inlined: one check per attempt
        while idle and (first or then):
            task = heapq.heappop(first or then)[2]
            if task.attempt == 0 and task.mql_at < oldest:
                self.aged(task)
                continue
            sdr = idle.pop()
            work = self.attempt(task, sdr, now)
            if span[0] <= now and now + work <= span[1]:  # calendar.add's own first check
                done = now + work
            else:
                done = calendar.add(now, work)
            self.busy.extend((now, done))
            delay = done - now
            end = self._ends[sdr]
            end.callbacks, end.task, end.at = self._on_done, task, now + delay
            # book(self.env, delay, end), inlined: one event per attempt
            self.env.schedule(end, NORMAL, delay)  # type: ignore[arg-type]

    # -- the end of the run --------------------------------------------------------------
    def too_old(self, task: Task, at: float) -> bool:
        """Whether a never-touched MQL has waited past ``max_queue_age`` by ``at``."""
        return task.attempt == 0 and at > task.mql_at + self.spec.max_queue_age

    def close(self, at: float) -> None:
        """At the end of a run: apply the work due before ``at``, then age out the MQLs
        still waiting, queued or held back."""
        arrivals = self.arrivals
        while arrivals and arrivals[0][0] < at:  # an event at ``at`` itself would not run
            due, _, action, task = heapq.heappop(arrivals)
            action(due, task)
        for task in [*(task for _, _, task in self.new), *self.held]:  # follow-ups never age
            if self.too_old(task, at):
                self.aged(task)
