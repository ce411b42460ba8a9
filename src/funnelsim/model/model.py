"""The funnel, wired: sources and nurture feed the SDR desk, the desk feeds sales.

This module only connects the stages; each decision lives in its stage's module as a pure
function. Events are spent where capacity or policy interacts: the SDR desk's own (work
arriving, attempts ending, openings; see :class:`SdrDesk`), an opportunity resolving, the
nurture and review clocks. Everything else (arrivals, nurture touches, opportunity paths) is
sampled.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable

import numpy as np
import simpy

from funnelsim.base.calendar import Calendar
from funnelsim.base.streams import Streams
from funnelsim.model import recycle
from funnelsim.model.nurture import NurtureEngine, Outcomes
from funnelsim.model.sales import AePool, deal_counters, deal_uniforms, opportunity_path
from funnelsim.model.scoring import ReviewPeriod, reviewed_threshold
from funnelsim.model.sdr import (
    Alarm,
    ReachCurve,
    SalesTrust,
    SdrDesk,
    Task,
    book,
    event_time,
    new_tasks,
    owed_attempts,
)
from funnelsim.model.sources import generate_leads
from funnelsim.record.ledger import OPP, OPP_AT, SPELL, SPELL_AT, Ledger
from funnelsim.record.response import within_response
from funnelsim.scenario.schema import Scenario

NAN = float("nan")
OPEN = SPELL["open"]
FIRST_TOUCH_AT, ATTEMPTS, OUTCOME, OUTCOME_AT = (
    SPELL_AT[name] for name in ("first_touch_at", "attempts", "outcome", "outcome_at")
)
NO_LEADS = np.empty(0, dtype=np.int64)
NURTURE_PERIOD = 7.0
"""Days between nurture advances; also when a closed-loop threshold change takes effect."""


class Agenda:
    """One-shot actions booked far ahead, kept out of SimPy's queue.

    SimPy keeps every pending event in one heap, and every event scheduled or fired pays for
    its depth. Opportunities resolve weeks after they open, so hundreds would sit in that heap
    at any time; here they wait in a heap of their own, and SimPy holds one timer, for the
    earliest. Each action still costs one event, its timer.
    """

    def __init__(self, env: simpy.Environment):
        self.env = env
        self._actions: list[tuple[float, int, Callable, tuple]] = []
        self._order = itertools.count()  # actions due at the same time run in booking order
        self._timers: list[float] = []  # times of the timers booked and not yet fired
        self._on_fire = [self._fire]  # every timer's callbacks: SimPy only reads them

    def at(self, now: float, when: float, action: Callable, *args) -> None:
        """Booked at ``now``: run ``action(at, *args)`` at ``when``.

        ``at`` is the time a timeout booked now would fire (:func:`event_time`). Actions take
        their clock from it rather than from SimPy's, which lags behind while the desk, which
        books them, runs ahead on its own clock.
        """
        at = event_time(now, when)
        heapq.heappush(self._actions, (at, next(self._order), action, args))
        self._book(at)

    def _book(self, at: float) -> None:
        if not self._timers or at < self._timers[0]:
            heapq.heappush(self._timers, at)
            book(self.env, at, Alarm(at, self._on_fire))

    def _fire(self, event: Alarm) -> None:
        now = event._value
        heapq.heappop(self._timers)
        actions = self._actions
        while actions and actions[0][0] <= now:
            at, _, action, args = heapq.heappop(actions)
            action(at, *args)
        if actions:
            self._book(actions[0][0])


class Funnel:
    """One replication's model: build it, :meth:`run` it, read its :attr:`ledger`."""

    def __init__(self, scenario: Scenario, streams: Streams, record_events: bool = False):
        self.scenario, self.streams = scenario, streams
        self.env = simpy.Environment()
        self.calendar = Calendar.from_spec(scenario.calendar, scenario.start_date)
        self.leads = leads = generate_leads(scenario, streams)
        self.ledger = Ledger(
            leads.created,
            leads.source,
            leads.segment,
            leads.fit,
            leads.cost,
            leads.buy_start,
            leads.buy_end,
            events=[] if record_events else None,
        )
        # The event log is off unless asked for: then the hot paths skip its calls entirely.
        self.logging = record_events
        # Spells and opportunities so far, per lead: the counters of its random draws.
        self.spells_of = np.zeros(len(leads), dtype=np.int64)
        self.opps_of = np.zeros(len(leads), dtype=np.int64)
        self.threshold = scenario.scoring.mql_threshold
        self.thresholds: list[tuple[float, float]] = [(0.0, self.threshold)]
        self.engine = NurtureEngine(leads, scenario.nurture, scenario.scoring, streams)
        self.sdr = sdr = scenario.sdr
        self.trust = SalesTrust(sdr.trust, scenario.sla.enforced)
        points = sorted((self.calendar.open_time(k), v) for k, v in sdr.reach.items())
        self.reach = ReachCurve.from_points([d for d, _ in points], [v for _, v in points])
        self.spacing = self.calendar.open_time(sdr.attempt_spacing)
        self.sla_response = self.calendar.open_time(scenario.sla.response_time)
        self.max_delay = self.calendar.open_time(sdr.trust.max_delay)
        self.desk = SdrDesk(
            self.env, sdr, self.calendar, self._attempt, self._attempted, self._aged
        )
        self.ae = AePool(scenario.sales)
        self.agenda = Agenda(self.env)
        self.sdr_names = [f"sdr-{k}" for k in range(sdr.headcount)]
        self.ae_names = [f"ae-{k}" for k in range(scenario.sales.ae_count)]
        # Plain floats for the per-attempt checks: list indexing beats NumPy scalars there.
        self.fit, self.buy_start, self.buy_end = (
            leads.fit.tolist(),
            leads.buy_start.tolist(),
            leads.buy_end.tolist(),
        )
        self.segments = list(scenario.segments.values())
        self.stages = max(len(segment.stages) for segment in self.segments)
        self._decisions = recycle.decisions(scenario.recycle)
        self._tick_end = 0.0
        self.period = ReviewPeriod()  # what the next threshold review will look at
        self._start(scenario)

    # -- wiring --------------------------------------------------------------------------
    def _start(self, scenario: Scenario) -> None:
        prospected = np.array([s.skips_nurture for s in scenario.sources.values()])
        direct = prospected[self.leads.source]
        self.engine.enrol(np.flatnonzero(~direct), self.leads.created[~direct])
        self._prospects = np.flatnonzero(direct)  # in order of arrival
        if self.logging:
            for lead, t in enumerate(self.leads.created.tolist()):
                self.ledger.log(t, lead, "lead created")
        self.env.process(self._nurture_clock())
        if scenario.scoring.closed_loop.enabled:
            self.env.process(self._review())

    def events_scheduled(self) -> int:
        """Events of the run: those SimPy scheduled (it numbers each one) and those the desk
        handled on its own clock."""
        return next(self.env._eid) + self.desk.events

    def run(self) -> Ledger:
        horizon = self.scenario.horizon.length
        self.env.run(until=horizon)
        self.desk.close(horizon)
        self.ledger.sdr_busy = np.array(self.desk.busy).reshape(-1, 2)
        self.ledger.close()
        return self.ledger

    # -- nurture and scoring -------------------------------------------------------------
    def _nurture_clock(self):
        """Each period: advance nurture, and book the period's MQLs and prospects."""
        horizon, created = self.scenario.horizon.length, self.leads.created
        prospects = self._prospects  # in order of arrival, so each period is a slice
        while self.env.now < horizon:
            self._tick_end = min(self.env.now + NURTURE_PERIOD, horizon)
            first, last = np.searchsorted(created[prospects], (self.env.now, self._tick_end))
            found = self.engine.advance(self._tick_end, self.threshold)
            self._found(found, self.env.now, prospects[first:last])
            yield self.env.timeout(self._tick_end - self.env.now)

    def _found(self, out: Outcomes, now: float, prospects: np.ndarray = NO_LEADS) -> None:
        """Book what a nurture advance found: opt-outs leak, all at once; MQLs go to the desk.

        So do the period's ``prospects``, after the MQLs: both are drawn in one batch.
        """
        self.ledger.leak(out.unsubscribed, "unsubscribed", out.unsubscribed_at, "nurture")
        if self.logging:
            for lead, t in zip(
                out.unsubscribed.tolist(), out.unsubscribed_at.tolist(), strict=True
            ):
                self.ledger.log(t, lead, "unsubscribed")
        mqls, leads = len(out.mql), np.concatenate((out.mql, prospects))
        tasks = self._tasks(
            leads,
            np.concatenate((out.mql_at, self.leads.created[prospects])),
            np.concatenate((out.mql_score, np.zeros(len(prospects)))),
            np.arange(len(leads)) >= mqls,
        )
        self.desk.hand_over(now, tasks[:mqls], self._handed_to_sdr)
        self.desk.hand_over(now, tasks[mqls:], self._handed_to_sdr)

    def _tasks(
        self, leads: np.ndarray, at: np.ndarray, scores: np.ndarray, prospect: np.ndarray
    ) -> list[Task]:
        """New SDR spells for these leads; each lead's spell counter moves on by one."""
        if len(leads) == 0:
            return []
        spells = self.spells_of[leads]
        self.spells_of[leads] += 1
        keys = self.leads.key[leads]
        # A lead has one spell at a time and at most one opportunity from it: the one the
        # spell may open is the lead's next.
        deals = deal_counters(self.opps_of[leads], self.stages)
        return new_tasks(
            self.scenario.sdr, self.streams, leads, keys, spells, at, scores, prospect, deals
        )

    def _review(self):
        rule = self.scenario.scoring.closed_loop
        while True:
            yield self.env.timeout(rule.review_every)
            self.threshold = reviewed_threshold(rule, self.threshold, self.period)
            self.period = ReviewPeriod()
            self.thresholds.append((self.env.now, self.threshold))

    # -- SDR desk ------------------------------------------------------------------------
    def _handed_to_sdr(self, now: float, task: Task) -> None:
        """An MQL or prospect reaches the desk at ``now`` (applied by the desk, maybe later)."""
        ledger, lead = self.ledger, task.lead
        ledger.move(lead, "sdr", now)
        if self.logging:
            ledger.log(now, lead, "prospected" if task.prospect else "MQL")
        span = self.calendar.span  # calendar.business's own first check, inlined
        if span[0] <= now <= span[1]:
            task.mql_open = span[2] + now - span[0]
        else:
            task.mql_open = self.calendar.business(now)
        task.spell = ledger.spells.append(lead, now, NAN, 0, OPEN, NAN, task.prospect)
        delay = 0.0 if task.prospect else (1.0 - self.trust.effort) * self.max_delay
        if delay > 0:
            self.desk.hold(task, now, self.calendar.add(now, delay))
        else:
            self.desk.push_new(task)

    def _attempt(self, task: Task, sdr: int, now: float) -> float:
        """An SDR starts an attempt: decide whether it reaches the buyer; return its work."""
        attempt = task.attempt
        if task.prospect:
            chance = self.sdr.outbound_reach
        else:
            span = self.calendar.span  # calendar.business's own first check, inlined
            if span[0] <= now <= span[1]:
                waited = span[2] + now - span[0] - task.mql_open
            else:
                waited = self.calendar.business(now) - task.mql_open
            chance = self.reach(waited)
        if attempt == 0:
            task.spell[FIRST_TOUCH_AT] = now
            if task.prospect:
                task.attempts = self.sdr.attempts
            else:
                task.attempts = owed_attempts(self.sdr.attempts, self.trust.effort)
                self.period.touched += 1
                self.period.on_time += within_response(waited, self.sla_response)
        reached = task.reached = task.reach[attempt] < chance
        if self.logging:
            self.ledger.log(now, task.lead, "SDR attempt", self.sdr_names[sdr])
        return task.work[attempt] + (task.talk if reached else 0.0)

    def _attempted(self, task: Task, sdr: int, now: float) -> None:
        """An attempt ends: book the follow-up, or close the spell with its outcome."""
        attempt = task.attempt = task.attempt + 1
        task.spell[ATTEMPTS] = attempt
        if not task.reached:
            if attempt < task.attempts:
                self.desk.follow_up(task, now, self.calendar.add(now, self.spacing))
                return
            self._decide(task, "unreachable", now)
            self._recycle(task.lead, "unreachable", "sdr", now)
            return
        self._reached(task, self.sdr_names[sdr], now)

    def _reached(self, task: Task, sdr: str, now: float) -> None:
        """The buyer answered: disqualified (poor fit), or accepted and then qualified or not."""
        ledger, lead = self.ledger, task.lead
        if self.fit[lead] < self.sdr.min_fit:
            self._decide(task, "disqualified", now)
            ledger.move(lead, "disqualified", now)
            if self.logging:
                ledger.log(now, lead, "disqualified", sdr)
            return
        if self.logging:
            ledger.log(now, lead, "SAL", sdr)
        in_market = self.buy_start[lead] <= now < self.buy_end[lead]
        q = self.sdr.qualify
        if task.qualify < (q.in_market if in_market else q.not_in_market):
            self._decide(task, "sql", now)
            if self.logging:
                ledger.log(now, lead, "SQL", sdr)
            self._handed_to_sales(task, now)
        else:
            self._decide(task, "rejected", now)
            if self.logging:
                ledger.log(now, lead, "rejected", sdr)
            self._recycle(lead, "rejected", "sdr", now)

    def _decide(self, task: Task, outcome: str, now: float) -> None:
        """Close the spell. Marketing's MQLs also feed sales trust and the threshold review.

        Both listen to lead quality, not to the desk's own reach: trust to the share of
        buyers reached who qualified, the review to the share of accepted leads that did.
        """
        task.spell[OUTCOME], task.spell[OUTCOME_AT] = SPELL[outcome], now
        if task.prospect or outcome == "unreachable":
            return
        self.trust.record(outcome == "sql")
        if outcome != "disqualified":
            self.period.accepted += 1
            self.period.qualified += outcome == "sql"

    def _aged(self, task: Task) -> None:
        at = task.mql_at + self.scenario.sdr.max_queue_age
        task.spell[OUTCOME], task.spell[OUTCOME_AT] = SPELL["never_worked"], at
        self.ledger.leak(task.lead, "never_worked", at, "sdr")
        if self.logging:
            self.ledger.log(at, task.lead, "never worked")
        if not task.prospect:
            self.period.touched += 1  # its response clock closed without a touch: late

    # -- recycling -----------------------------------------------------------------------
    def _recycle(self, lead: int, outcome: str, stage: str, now: float) -> None:
        ledger = self.ledger
        capped = ledger.recycles.item(lead) >= self.scenario.recycle.max_recycles  # a plain int
        decision = self._decisions[outcome, capped]
        if not decision.recycle:
            if decision.reason is not None:
                ledger.leak(lead, decision.reason, now, stage)
                if self.logging:
                    ledger.log(now, lead, decision.reason.replace("_", " "))
            else:
                ledger.move(lead, decision.state, now)
            return
        ledger.recycles[lead] += 1
        ledger.move(lead, "nurture", now)
        if self.logging:
            ledger.log(now, lead, "recycled")
        back = now + decision.delay
        self.engine.enrol(lead, back)
        if back < self._tick_end:  # this period's advance has run: catch the lead up
            self._found(
                self.engine.advance(self._tick_end, self.threshold, only=np.array([lead])), now
            )

    # -- sales ---------------------------------------------------------------------------
    def _handed_to_sales(self, task: Task, now: float) -> None:
        lead = task.lead
        row = self.ledger.opps.append(lead, task.mql_at, now, NAN, NAN, OPP["open"], NAN, -1, 0)
        ae = self.ae.assign()
        if ae is None:
            self.ledger.move(lead, "ae_queue", now)
            self.ae.waiting.append((row, task.deal))
        else:
            self._open(row, task.deal, ae, now)

    def _open(self, row: list, deal: np.ndarray, ae: int, now: float) -> None:
        ledger = self.ledger
        lead = row[OPP_AT["lead"]]
        segment = self.segments[self.leads.segment[lead]]
        self.opps_of[lead] += 1
        u_duration, u_outcome = deal_uniforms(deal, self.stages)
        path = opportunity_path(
            segment,
            self.scenario.sales,
            now,
            self.fit[lead],
            self.buy_start[lead],
            self.buy_end[lead],
            u_duration,
            u_outcome,
        )
        row[OPP_AT["opened_at"]], row[OPP_AT["ae"]] = now, ae
        row[OPP_AT["value"]] = float(segment.deal_size.ppf(u_duration[len(segment.stages)]))
        ledger.move(lead, "opportunity", now)
        if self.logging:
            ledger.log(now, lead, "opportunity opened", self.ae_names[ae])
        sales, stall_recycles = self.scenario.sales, self.scenario.recycle.stalled.enabled
        closes = path.ends_at if path.outcome != "dark" else np.inf
        if stall_recycles and path.stalls_at < closes:
            when, outcome = path.stalls_at, "stalled"
        elif path.outcome == "dark":
            when, outcome = path.ends_at + sales.abandon_after, "abandoned"
        else:
            when, outcome = path.ends_at, path.outcome
        self.agenda.at(now, when, self._resolve, row, outcome, path.stages)

    def _resolve(
        self, now: float, row: list, outcome: str, stages: list[tuple[str, float]]
    ) -> None:
        ledger = self.ledger
        lead, ae = row[OPP_AT["lead"]], row[OPP_AT["ae"]]
        passed = [(name, t) for name, t in stages if t <= now]
        row[OPP_AT["resolved_at"]], row[OPP_AT["outcome"]] = now, OPP[outcome]
        row[OPP_AT["stages_passed"]] = len(passed)
        if self.logging:
            for name, t in passed:
                ledger.log(t, lead, f"stage {name} passed", self.ae_names[ae])
            ledger.log(now, lead, outcome.replace("_", " "), self.ae_names[ae])
        if outcome == "won":
            ledger.move(lead, "won", now)
        elif outcome == "no_decision":
            ledger.move(lead, "no_decision", now)
        elif outcome == "abandoned":
            ledger.leak(lead, "stalled_abandoned", now, "sales")
        else:  # lost or stalled
            self._recycle(lead, outcome, "sales", now)
        self.ae.release(ae)
        if self.ae.waiting:
            self._open(*self.ae.waiting.popleft(), self.ae.assign(), now)
