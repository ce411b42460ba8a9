"""The reference model: the funnel as plain SimPy processes. Read this first.

Every lead's SDR spell is a process; the SDRs are a :class:`simpy.PriorityResource` and the
AEs' open slots a :class:`simpy.Resource`; an opportunity is a timeout. What happens at each
step (does the attempt reach the buyer, does the buyer qualify, where does the lead go next)
is decided by the rule functions of :mod:`funnelsim.model.rules`, through the steps both
models share (:class:`~funnelsim.model.funnel.Stages`), with the same pre-drawn random numbers.
So this model and the fast one (:mod:`funnelsim.model.fast`) write the same ledger; the fast
one is only quicker, because it keeps the SDR desk off SimPy's queue. It is the yardstick:
``tests/model/test_reference.py`` runs both on every bundled scenario and compares them.
"""

from __future__ import annotations

import itertools

import numpy as np
import simpy

from funnelsim.base.streams import Streams
from funnelsim.model.funnel import Stages
from funnelsim.model.pipeline import pipeline_day
from funnelsim.model.sales import OPP_OUTCOME, REPLACED, AePool
from funnelsim.model.sdr import Task
from funnelsim.record.ledger import Ledger
from funnelsim.scenario.schema import Scenario

OFF_DUTY = (-1,)
"""The priority of the desk closing: it takes each SDR before any lead can."""


class AeSlots(simpy.Resource):
    """The AEs' open slots, granted as the fast model grants them: when a deal frees one, the
    first SQL in line gets it at once and its AE is chosen then (``assign``), before any other
    deal freed at the same instant frees its own. A slot taken while ``holding`` (a pipeline's
    deal) chooses no AE: the deal has one."""

    def __init__(self, env: simpy.Environment, capacity: int, assign):
        super().__init__(env, capacity=capacity)
        self.assign, self.holding = assign, False

    def _do_put(self, event) -> None:
        granted = len(self.users) < self.capacity
        super()._do_put(event)
        if granted and not self.holding:
            event.ae = self.assign()

    def _do_get(self, event) -> None:
        super()._do_get(event)
        self._trigger_put(None)  # the freed slot goes to the line now, not after the instant


class ReferenceFunnel(Stages):
    """One replication, as processes: build it, :meth:`run` it, read its :attr:`ledger`."""

    def __init__(self, scenario: Scenario, streams: Streams, record_events: bool = False):
        super().__init__(scenario, streams, record_events)
        if not (scenario.sdr.staffing.fixed and scenario.sales.staffing.fixed):
            raise ValueError("the reference model runs teams fixed for the run: no staffing plan")
        env, sdr = self.env, scenario.sdr
        self.sdrs = simpy.PriorityResource(env, capacity=sdr.headcount)
        self.idle = list(range(sdr.headcount))[::-1]  # who takes the work, for the event log
        self.aes = AePool(scenario.sales)  # which AE, of those with room, opens the deal
        capacity = scenario.sales.ae_count * scenario.sales.max_open_per_ae
        self.slots = AeSlots(env, capacity, self.aes.assign)
        self.held: list[list] = [[] for _ in range(scenario.sales.ae_count)]
        for day in self.take_over_days():
            env.process(self._take_over(day))
        self.spacing = self.calendar.open_time(sdr.attempt_spacing)
        # Which goes first, new MQLs (by arrival or score) or follow-ups (by when they fell due);
        # ties in priority go to whoever asked first.
        self.new, self.follow_up = (1, 0) if sdr.followups == "first" else (0, 1)
        self.queued = itertools.count()
        self.busy: list[tuple[float, float]] = []
        if not self.calendar.is_always_open:
            env.process(self._business_hours())
        self.start()

    def run(self) -> Ledger:
        self.env.run(until=self.scenario.horizon.length)
        self.ledger.sdr_busy = np.array(self.busy, dtype=float).reshape(-1, 2)
        self.ledger.close()
        return self.ledger

    # -- the SDR desk --------------------------------------------------------------------
    def hand_over(self, now: float, tasks: list[Task]) -> None:
        for task in tasks:
            self.env.process(self._spell(task))

    def _spell(self, task: Task):
        """A lead's spell at the desk: it arrives at its MQL time, waits for an SDR (giving
        up once it has waited ``max_queue_age``), and is followed up until an outcome."""
        env = self.env
        yield env.timeout(max(task.mql_at - env.now, 0.0))
        hold = self.arrive(env.now, task)
        deadline = task.mql_at + self.sdr.max_queue_age
        if hold > 0:  # sales trust puts a disappointing source's MQL off a while
            release = self.calendar.add(env.now, hold)
            if release > deadline:  # past the working age: it ages out untouched
                yield env.timeout(max(deadline - env.now, 0.0))
                self.aged(task)
                return
            yield env.timeout(release - env.now)
        key = -task.score if self.sdr.queue == "score" else task.mql_at
        with self.sdrs.request(priority=(self.new, key, next(self.queued))) as sdr:
            got = yield sdr | env.timeout(max(deadline - env.now, 0.0))  # reneging
            if sdr not in got:
                self.aged(task)
                return
            follow_up = yield from self._attempt(task)
        while follow_up:
            due = self.calendar.add(env.now, self.spacing)
            yield env.timeout(due - env.now)  # follow-ups are queued only once they are due
            with self.sdrs.request(priority=(self.follow_up, due, next(self.queued))) as sdr:
                yield sdr
                follow_up = yield from self._attempt(task)

    def _attempt(self, task: Task):
        """One attempt by the SDR just granted; returns whether a follow-up is owed."""
        sdr, now = self.idle.pop(), self.env.now
        work = self.attempt(task, sdr, now)  # the rules decide whether it reaches the buyer
        done = self.calendar.add(now, work)  # work stops overnight and resumes at opening
        self.busy.append((now, done))
        yield self.env.timeout(done - now)
        follow_up = self.attempt_ended(task, sdr, self.env.now)
        self.idle.append(sdr)
        return follow_up

    def _business_hours(self):
        """The desk closes out of hours: at closing time it takes every SDR as each becomes
        free (an attempt under way runs on into the next day) and gives them back at opening,
        to the leads waiting longest, or best scored, first."""
        env, calendar = self.env, self.calendar
        for week in itertools.count():
            monday = week * 7.0 - calendar.first_weekday  # t = 0 is a first_weekday
            for opens, closes in zip(calendar.starts, calendar.ends, strict=True):
                opens, closes = monday + opens, monday + closes
                if closes <= env.now:
                    continue
                if env.now < opens:
                    off = [self.sdrs.request(priority=OFF_DUTY) for _ in range(self.sdrs.capacity)]
                    yield env.timeout(opens - env.now)
                    for request in off:
                        request.cancel()  # not yet granted: that SDR is still on an attempt
                        self.sdrs.release(request)
                yield env.timeout(closes - env.now)

    # -- sales ---------------------------------------------------------------------------
    def to_sales(self, task: Task, now: float) -> None:
        row = self.sql_row(task, now)
        if not self.declined(task, row, now):
            self.env.process(self._opportunity(task, row))

    def _take_over(self, day: float):
        """Deals open before the run join it on ``day`` (on the pipeline's date, in place of
        the model's own open ones), on their AEs and with their slots (the slots held are
        each AE's deals up to the cap, so a slot is free exactly when some AE has room); the
        slots left go to the SQLs in line."""
        yield self.env.timeout(day)
        slots = self.aes.hand_over() if day == pipeline_day(self.scenario) else []
        self.slots.holding = True
        for lead, deal, length, u in self.taken_over(day):
            ae = self.aes.hold(deal.ae)
            if ae >= 0 and not self.aes.over_cap(ae):
                # Free slots are there when the model's own were fewer: no SQL waits then.
                self.held[ae].append(slots.pop() if slots else self.slots.request())
            row, when, outcome, stages = self.inherit(day, lead, deal, length, ae, u)
            self.env.process(self._inherited(row, ae, when, outcome, stages))
        self.slots.holding = False
        for slot in slots:
            self.slots.release(slot)

    def _inherited(self, row: list, ae: int, when: float, outcome: str, stages: list):
        """A pipeline's deal resolves as its path says; its AE frees a slot only when back
        within the cap."""
        yield self.env.timeout(when - self.env.now)
        self.resolve(self.env.now, row, outcome, stages)
        if ae >= 0:
            frees_a_slot = not self.aes.over_cap(ae)
            self.aes.release(ae)  # first: the slot goes to an SQL, whose AE is chosen at once
            if frees_a_slot:
                self.slots.release(self.held[ae].pop())

    def _opportunity(self, task: Task, row: list):
        """An SQL waits for an AE with room (its buyer giving up once their patience runs
        out), who opens it; it resolves as its path says, unless a pipeline's deal takes its
        place (and its slot) first."""
        env = self.env
        slot = self.slots.request()
        if not slot.triggered:
            self.ledger.move(task.lead, "ae_queue", env.now)
            patience_ends = self.patience_ends(task, row)
            patience = env.timeout(max(patience_ends - env.now, 0.0))
            got = yield slot | patience  # reneging
            if slot not in got:
                if slot.triggered:  # granted at the instant the buyer gave up: pass it on
                    self.aes.release(slot.ae)
                    self.slots.release(slot)
                else:
                    slot.cancel()
                self.gave_up(row, patience_ends)
                return
        ae = slot.ae  # chosen when the slot was granted
        when, outcome, stages = self.open(row, task.deal, ae, env.now)
        self.aes.track(ae, row, slot)
        yield env.timeout(when - env.now)
        if row[OPP_OUTCOME] == REPLACED:
            return
        self.aes.untrack(ae, row)
        self.resolve(env.now, row, outcome, stages)
        self.aes.release(ae)
        self.slots.release(slot)
