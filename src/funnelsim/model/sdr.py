"""The SDR desk: MQLs wait for a pool of SDRs who work business hours.

SDRs take the most urgent task from one queue: a first touch for a new MQL, or a due
follow-up attempt. The desk holds queueing and time only: what an attempt achieves is decided
by the rules (:mod:`funnelsim.model.rules`), through the callbacks the funnel gives it. It
keeps its own clock: an attempt's end and work reaching the desk are events of its own,
handled between SimPy's events, and a :class:`~funnelsim.model.clock.SideClock` has SimPy wake
it for the earliest.
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from funnelsim.base.calendar import Calendar
from funnelsim.base.streams import Streams
from funnelsim.model.clock import CountingEnvironment, SideClock, event_time
from funnelsim.model.roster import Roster
from funnelsim.scenario.schema import Sdr

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
    reach: list[float]  # one uniform per possible attempt: does the buyer pick up?
    answer: float  # the buyer's chance of picking up any one attempt (sdr.answer)
    play: float  # whether the buyer is still in play at the first touch (sdr.reach)
    put_off: float  # whether, and how long, the desk puts the MQL off (rules.trust.put_off)
    owed: float  # whether the fraction of the attempts effort owes is owed (owed_attempts)
    work: list[float]  # work time of each attempt, open time in days
    talk: float  # extra work when the buyer is reached
    qualify: float
    accept: float  # whether an AE accepts the SQL the spell may end in (rules.handoff)
    patience: float  # how long its buyer would wait for an AE
    deal: np.ndarray  # the opportunity's uniforms (:func:`funnelsim.model.sales.deal_counters`)
    spell: list | None = None  # its row of the ledger's spells, updated in place
    mql_open: float = 0.0  # the business clock at the MQL, for the response-time decay
    attempt: int = 0  # attempts made so far
    attempts: int = 0  # attempts owed, fixed at the first touch from the effort then
    in_play: bool = False  # the buyer still wanted to talk when the first touch came
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
            "sdr/answer": per_spell,
            "sdr/play": per_spell,
            "sdr/put_off": per_spell,
            "sdr/owed": per_spell,
            "sdr/qualify": per_spell,
            "sales/accept": per_spell,
            "sales/patience": per_spell,
            "opportunity": deal_counters,
        },
    )
    reach = u["sdr/reach"].tolist()
    work = sdr.work_time.ppf(np.ascontiguousarray(u["sdr/work"])).tolist()
    talk = sdr.talk_time.ppf(u["sdr/talk"].ravel()).tolist()
    answer = (
        sdr.answer.ppf(u["sdr/answer"].ravel()).tolist()
        if sdr.answer is not None
        else [1.0] * len(leads)
    )
    play, put_off, owed = (
        u[name].ravel().tolist() for name in ("sdr/play", "sdr/put_off", "sdr/owed")
    )
    qualify, accept, patience = (
        u[name].ravel().tolist() for name in ("sdr/qualify", "sales/accept", "sales/patience")
    )
    rows = zip(
        leads.tolist(),
        at.tolist(),
        scores.tolist(),
        prospect.tolist(),
        reach,
        answer,
        play,
        put_off,
        owed,
        work,
        talk,
        qualify,
        accept,
        patience,
        u["opportunity"],
        strict=True,
    )
    return list(itertools.starmap(Task, rows))


INF = math.inf
OPENING = INF
"""The order of the desk's opening among its arrivals: after the work due at the same time."""


class SdrDesk:
    """One queue and ``headcount`` SDRs who work it during business hours.

    The desk knows nothing of outcomes: ``attempt(task, sdr, now)`` is called when an SDR
    starts an attempt and returns its work time in open time; ``finish(task, sdr, now)`` when
    it ends, and returns whether a follow-up is owed, which the desk queues ``attempt_spacing``
    of open time later. New MQLs that waited longer than ``max_queue_age`` go to ``aged(task)`` when
    reached in the queue, stamped at the moment they aged out: no event is spent watching them.

    The desk keeps its own clock. Its events are of two kinds, each in a heap of its own:
    work arriving (an MQL handed over, a follow-up coming due, an MQL a trust delay held back,
    the desk opening with work waiting) and attempts ending. SimPy holds one timer for the
    earliest; when it fires, the desk handles its events in time order up to the next event in
    SimPy's queue (:meth:`_run`), so a busy desk costs SimPy nothing per attempt. Whatever the
    rest of the model does at a time ``t`` therefore finds the desk exactly as it was just
    before ``t``: it never runs ahead of anything that could reach it.
    """

    def __init__(
        self,
        env: CountingEnvironment,
        spec: Sdr,
        calendar: Calendar,
        attempt: Callable[[Task, int, float], float],
        finish: Callable[[Task, int, float], bool],
        aged: Callable[[Task], None],
        roster: Roster | None = None,
    ):
        self.env, self.spec, self.calendar = env, spec, calendar
        self._always_open = calendar.is_always_open
        self.attempt, self.finish, self.aged = attempt, finish, aged
        self.spacing = calendar.open_time(spec.attempt_spacing)
        # The queue: a heap of (key, order, task) for each kind of work, so a comparison is
        # one of floats. New spells are keyed by MQL time (fifo) or by score, highest first;
        # follow-ups by when they come due, and only those due by now can be taken.
        # ``sdr.followups`` says which kind goes first.
        self.new: list[tuple[float, int, Task]] = []
        self.followups: list[tuple[float, int, Task]] = []
        self._followups_first = spec.followups == "first"
        self._by_score = spec.queue == "score"
        self._order = itertools.count()  # events due at the same time run in booking order
        # Work arriving, (due, order, action, task): action(due, task) at its turn; an opening
        # is (due, OPENING, None, None).
        self.arrivals: list[tuple[float, float, Callable[[float, Task], None] | None, Task]] = []
        self.ends: list[
            tuple[float, int, int, Task]
        ] = []  # attempts under way: (at, order, sdr, task)
        self.clock = 0.0  # the time of the desk's last event
        self._side_clock = SideClock(env, self._run)
        self._running = False  # inside _run: what is booked now is handled without a timer
        self._opening = -INF  # the opening booked for work waiting while closed, once booked
        self.idle = list(range(spec.headcount))[::-1]  # a stack: the lowest id works first
        self.roster = roster
        self.leaving: set[int] = set()  # SDRs who leave when their attempt ends
        if roster is not None:
            self._staff(roster)
        self.held: set[Task] = set()  # MQLs a sales-trust delay keeps out of the queue for now
        # Start and end of every attempt, flat: a list's extend by a pair is the cheapest append.
        self.busy: list[float] = []
        self.events = 0  # the desk's own events handled: work arriving, attempts ending, ...

    # -- work arriving -------------------------------------------------------------------
    def arrive(
        self, now: float, when: float, action: Callable[[float, Any], None], task: Task | int
    ) -> None:
        """Booked at ``now``: run ``action(due, task)`` at ``when``, in the desk's time order.

        Arrivals due at the same time are applied in the order they were booked.
        """
        due = now + (when - now) if when > now else now  # event_time(now, when), inlined
        heapq.heappush(self.arrivals, (due, next(self._order), action, task))
        if not self._running:
            self._side_clock.expect(due)

    def hand_over(
        self, now: float, tasks: list[Task], action: Callable[[float, Task], None]
    ) -> None:
        """Booked at ``now``: new spells reach the desk at their MQL times, in time order.

        :meth:`arrive` for each, with one timer check for the batch: the first is the earliest.
        """
        arrivals, order = self.arrivals, self._order
        for task in tasks:
            at = task.mql_at
            due = now + (at - now) if at > now else now  # event_time(now, at), inlined
            heapq.heappush(arrivals, (due, next(order), action, task))
        if tasks and not self._running:
            self._side_clock.expect(event_time(now, tasks[0].mql_at))

    def hold(self, task: Task, now: float, until: float) -> None:
        """Keep a new MQL out of the queue until ``until`` (a sales-trust delay)."""
        self.held.add(task)
        self.arrive(now, until, self._released, task)

    def push_new(self, task: Task) -> None:
        """Queue a new spell: by MQL time (``fifo``) or by score, highest first."""
        key = -task.score if self._by_score else task.mql_at
        heapq.heappush(self.new, (key, next(self._order), task))

    def _released(self, now: float, task: Task) -> None:
        self.held.discard(task)
        self.push_new(task)

    # -- the desk's clock ----------------------------------------------------------------
    def _run(self, _timer_due: float) -> None:
        """Handle the desk's events, in time order, up to the next event in SimPy's queue.

        At the same time, work arriving goes first, then a follow-up coming due, then an
        attempt ending. Only an attempt's outcome can book an event in SimPy's queue (an
        opportunity's resolution), so the limit is read again when one did.
        """
        arrivals, ends, new, followups, idle = (
            self.arrivals,
            self.ends,
            self.new,
            self.followups,
            self.idle,
        )
        env, span, spacing, order = self.env, self.calendar.span, self.spacing, self._order
        limit, seen, now, handled = env.peek(), env.scheduled, self.clock, 0
        leaving = self.leaving
        opening = self._opening
        self._running = True
        while True:
            a = arrivals[0][0] if arrivals else INF
            # A follow-up coming due matters only to an idle SDR. One due by now and still
            # queued waits for the desk to open or an SDR to finish: events of their own.
            f = followups[0][0] if idle and followups and followups[0][0] > now else INF
            e = ends[0][0] if ends else INF
            if a <= f and a <= e:
                if a >= limit:
                    break
                now, _, action, task = heapq.heappop(arrivals)
                if action is not None:  # else the desk opens
                    action(now, task)
            elif f <= e:
                if f >= limit:
                    break
                now = f
            else:
                if e >= limit:
                    break
                now, _, sdr, task = heapq.heappop(ends)
                if self.finish(task, sdr, now):  # a follow-up is owed, due ``spacing`` later
                    if span[0] <= now and now + spacing <= span[1]:  # calendar.add's first check
                        at = now + spacing
                    else:
                        at = self.calendar.add(now, spacing)
                    # Queued from now on: no SDR takes it before it is due (event_time, inlined).
                    heapq.heappush(
                        followups, (now + (at - now) if at > now else now, next(order), task)
                    )
                if leaving and sdr in leaving:
                    leaving.discard(sdr)
                else:
                    idle.append(sdr)
                if env.scheduled != seen:  # SimPy's queue only grows while the desk runs
                    limit, seen = env.peek(), env.scheduled
            handled += 1
            if idle and (new or (followups and followups[0][0] <= now)) and now >= opening:
                opening = self._dispatch(now)  # closed until ``opening``: no dispatch before
        self.clock, self._running = now, False
        self.events += handled
        soonest = min(a, f, e)
        if soonest < INF:
            self._side_clock.expect(soonest)

    # -- SDRs ----------------------------------------------------------------------------
    def _dispatch(self, now: float) -> float:
        """Put idle SDRs to work while there is work due and the desk is open.

        Returns the opening booked for the work waiting: while closed, the desk opening.
        """
        calendar = self.calendar
        span = calendar.span  # inside the open interval last looked up: open, no call
        if not span[0] <= now < span[1] and not self._always_open:
            opening = calendar.next_open(now)
            if opening > now:
                self._opening = event_time(now, opening)
                heapq.heappush(self.arrivals, (self._opening, OPENING, None, None))
                return self._opening
        new, followups, idle, ends = self.new, self.followups, self.idle, self.ends
        followups_first, roster = self._followups_first, self.roster
        oldest = now - self.spec.max_queue_age  # too_old, inlined: one check per new spell
        while idle:
            if followups and followups[0][0] <= now and (followups_first or not new):
                task = heapq.heappop(followups)[2]
            elif new:
                task = heapq.heappop(new)[2]
                if task.mql_at < oldest:
                    self.aged(task)
                    continue
            else:
                break
            sdr = idle.pop()
            work = self.attempt(task, sdr, now)
            if roster is not None:  # a new hire ramping takes longer
                work /= roster.productivity(sdr, now)
            if span[0] <= now and now + work <= span[1]:  # calendar.add's own first check
                done = now + work
            else:
                done = calendar.add(now, work)
            self.busy.extend((now, done))
            heapq.heappush(ends, (now + (done - now), next(self._order), sdr, task))
        return self._opening

    def _staff(self, roster: Roster) -> None:
        """The desk of time zero, and each SDR joining or leaving later, as work arriving."""
        self.idle = list(range(roster.at_start))[::-1]
        for sdr, (joins, leaves) in enumerate(zip(roster.joins, roster.leaves, strict=True)):
            if joins > 0.0:
                self.arrive(0.0, float(joins), self._joined, sdr)
            if math.isfinite(leaves):
                self.arrive(0.0, float(leaves), self._left, sdr)

    def _joined(self, now: float, sdr: int) -> None:
        self.idle.append(sdr)

    def _left(self, now: float, sdr: int) -> None:
        """An SDR leaves: at once if idle, else when the attempt under way ends."""
        if sdr in self.idle:
            self.idle.remove(sdr)
        else:
            self.leaving.add(sdr)

    # -- the end of the run --------------------------------------------------------------
    def too_old(self, task: Task, at: float) -> bool:
        """Whether a never-touched MQL has waited past ``max_queue_age`` by ``at``."""
        return task.attempt == 0 and at > task.mql_at + self.spec.max_queue_age

    def close(self, at: float) -> None:
        """At the end of a run, age out the MQLs still waiting, queued or held back.

        Every event of the desk before ``at`` has been handled: SimPy's last timer for it came
        no later.
        """
        for task in [*(task for _, _, task in self.new), *self.held]:  # follow-ups never age
            if self.too_old(task, at):
                self.aged(task)
