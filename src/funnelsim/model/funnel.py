"""What every model of the funnel shares: its leads, nurture, the review, and the bookkeeping.

:class:`Stages` builds a run's leads, ledger and nurture, runs the nurture clock and the
threshold review, and writes in the ledger what the rules (:mod:`funnelsim.model.rules`)
decide at each step of a lead's journey. How work waits for SDRs and AEs, and when it happens,
is the model's own: the fast model (:mod:`funnelsim.model.fast`) and the reference
(:mod:`funnelsim.model.reference`) each supply :meth:`Stages.hand_over` and
:meth:`Stages.to_sales`, and call the steps here in the order their queues reach them.
"""

from __future__ import annotations

import numpy as np

from funnelsim.base.calendar import Calendar
from funnelsim.base.streams import Streams
from funnelsim.model.clock import CountingEnvironment
from funnelsim.model.history import HISTORY_RANK
from funnelsim.model.nurture import NurtureEngine, Outcomes
from funnelsim.model.pipeline import pipeline_day
from funnelsim.model.rules import recycle
from funnelsim.model.rules.qualify import qualification
from funnelsim.model.rules.reach import ReachCurve
from funnelsim.model.rules.trust import SalesTrust, judged_by_sales, owed_attempts, put_off
from funnelsim.model.sales import SalesSteps, deal_counters
from funnelsim.model.scoring import ReviewPeriod, reviewed_threshold
from funnelsim.model.sdr import Task, new_tasks
from funnelsim.model.sources import SOURCE_KEY_SHIFT, generate_leads
from funnelsim.model.start import time_zero
from funnelsim.record.ledger import SPELL, SPELL_AT, Ledger
from funnelsim.record.response import within_response
from funnelsim.scenario.pipeline import OpenDeal
from funnelsim.scenario.schema import Scenario

NAN = float("nan")
OPEN = SPELL["open"]
FIRST_TOUCH_AT, ATTEMPTS, OUTCOME, OUTCOME_AT = (
    SPELL_AT[name] for name in ("first_touch_at", "attempts", "outcome", "outcome_at")
)
NO_LEADS = np.empty(0, dtype=np.int64)
RANK = np.uint64((1 << SOURCE_KEY_SHIFT) - 1)
"""The rank within its source in a lead's key."""
NURTURE_PERIOD = 7.0
"""Days between nurture advances; also when a closed-loop threshold change takes effect."""


def sdr_name(k: int) -> str:
    """Who an SDR is in the event log."""
    return f"sdr-{k}"


class Stages(SalesSteps):
    """One replication's leads and the steps of their journey, minus queueing and time."""

    def __init__(self, scenario: Scenario, streams: Streams, record_events: bool = False):
        self.scenario, self.streams = scenario, streams
        self.env = CountingEnvironment()
        self.calendar = Calendar.from_spec(scenario.calendar, scenario.start_date)
        zero = time_zero(scenario, streams)
        # Each deal taken over: the day, its lead, its spec and its stage's length.
        self.inherited = zero.inherited
        self.leads = leads = zero.leads.followed_by(generate_leads(scenario, streams))
        self.ledger = Ledger(
            *(leads.created, leads.source, leads.segment, leads.fit, leads.cost),
            *(leads.buy_start, leads.buy_end),
            events=[] if record_events else None,
        )
        # The event log is off unless asked for: then the hot paths skip its calls entirely.
        self.logging = record_events
        # Spells and opportunities so far, per lead: the counters of its random draws.
        self.spells_of = np.zeros(len(leads), dtype=np.int64)
        self.opps_of = np.zeros(len(leads), dtype=np.int64)
        self.threshold = zero.threshold
        self.thresholds: list[tuple[float, float]] = [(0.0, self.threshold)]
        self.engine = NurtureEngine(leads, scenario.nurture, scenario.scoring, streams)
        zero.enrol(self.engine, self.ledger)
        self.period = ReviewPeriod()  # what the next threshold review will look at
        self._tick_end = 0.0
        self._rules(scenario)
        self.trust.resume(zero.trust)

    def _rules(self, scenario: Scenario) -> None:
        """The rules' parameters, in open time, and what they read of each lead."""
        self.sdr = sdr = scenario.sdr
        self.trust = SalesTrust(sdr.trust, scenario.sla.enforced, sdr.put_off)
        points = sorted((self.calendar.open_time(k), v) for k, v in sdr.reach.items())
        self.reach = ReachCurve.from_points([d for d, _ in points], [v for _, v in points])
        self.sla_response = self.calendar.open_time(scenario.sla.response_time)
        self.max_delay = self.calendar.open_time(sdr.trust.max_delay)
        # Plain floats for the per-attempt checks: list indexing beats NumPy scalars there.
        leads = self.leads
        self.fit, self.buy_start, self.buy_end = (
            leads.fit.tolist(),
            leads.buy_start.tolist(),
            leads.buy_end.tolist(),
        )
        self.segments = list(scenario.segments.values())
        self.stages = max(len(segment.stages) for segment in self.segments)
        self.decisions = recycle.decisions(scenario.recycle)

    def start(self) -> None:
        """Enrol the run's nurtured leads and start the nurture clock (and the review, if on).

        The history's leads, captured before time zero, are in nurture already; the open
        deals' are in sales.
        """
        prospected = np.array([s.skips_nurture for s in self.scenario.sources.values()])
        run = (self.leads.key & RANK) < HISTORY_RANK  # the run's own, by their keys' ranks
        direct = prospected[self.leads.source] & run
        nurtured = ~direct & run
        self.engine.enrol(np.flatnonzero(nurtured), self.leads.created[nurtured])
        if self.logging:
            for lead, t in enumerate(self.leads.created.tolist()):
                self.ledger.log(t, lead, "lead created")
        self.env.process(self._nurture_clock(np.flatnonzero(direct)))
        if self.scenario.scoring.closed_loop.enabled:
            self.env.process(self._review())

    def taken_over(self, day: float) -> list[tuple[int, OpenDeal, float, np.ndarray]]:
        """The deals taken over on ``day``: lead, spec, stage length, and the uniforms of its
        opportunity, drawn for all at once."""
        today = [(lead, deal, length) for at, lead, deal, length in self.inherited if at == day]
        draws = self.deal_draws(np.array([lead for lead, _, _ in today], dtype=np.int64))
        return [(*deal, u) for deal, u in zip(today, draws, strict=True)]

    def take_over_days(self) -> list[float]:
        """The days deals open before the run join it: time zero for a settled start's, and
        the pipeline's date (even without deals: the model's own open ones then leave)."""
        days = {day for day, *_ in self.inherited}
        if self.scenario.pipeline is not None:
            days.add(pipeline_day(self.scenario))
        return sorted(days)

    def events_scheduled(self) -> int:
        """Events of the run: those SimPy scheduled."""
        return self.env.scheduled

    def hand_over(self, now: float, tasks: list[Task]) -> None:
        """Booked at ``now``: new spells reach the SDR desk at their MQL times."""
        raise NotImplementedError

    def to_sales(self, task: Task, now: float) -> None:
        """An SQL is handed to sales at ``now``: it waits for an AE, then opens (:meth:`open`)."""
        raise NotImplementedError

    # -- nurture and scoring -------------------------------------------------------------
    def _nurture_clock(self, prospects: np.ndarray):
        """Each period: advance nurture, and book the period's MQLs and ``prospects``.

        The prospects come in order of arrival, so each period's are a slice.
        """
        horizon, created = self.scenario.horizon.length, self.leads.created[prospects]
        while self.env.now < horizon:
            self._tick_end = min(self.env.now + NURTURE_PERIOD, horizon)
            first, last = np.searchsorted(created, (self.env.now, self._tick_end))
            found = self.engine.advance(self._tick_end, self.threshold)
            self._found(found, self.env.now, prospects[first:last])
            yield self.env.timeout(self._tick_end - self.env.now)

    def _found(self, out: Outcomes, now: float, prospects: np.ndarray = NO_LEADS) -> None:
        """Book what a nurture advance found: opt-outs leak, all at once; MQLs go to the desk.

        So do the period's ``prospects``, after the MQLs: both are drawn in one batch.
        """
        self._unsubscribed(out)
        mqls, leads = len(out.mql), np.concatenate((out.mql, prospects))
        tasks = self._tasks(
            leads,
            np.concatenate((out.mql_at, self.leads.created[prospects])),
            np.concatenate((out.mql_score, np.zeros(len(prospects)))),
            np.arange(len(leads)) >= mqls,
        )
        self.hand_over(now, tasks[:mqls])
        self.hand_over(now, tasks[mqls:])

    def _unsubscribed(self, out: Outcomes) -> None:
        self.ledger.leak(out.unsubscribed, "unsubscribed", out.unsubscribed_at, "nurture")
        if self.logging:
            at = out.unsubscribed_at.tolist()
            for lead, t in zip(out.unsubscribed.tolist(), at, strict=True):
                self.ledger.log(t, lead, "unsubscribed")

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

    # -- the SDR desk's steps ------------------------------------------------------------
    def arrive(self, now: float, task: Task) -> float:
        """An MQL or prospect reaches the desk at ``now``: open its spell.

        Returns how long the desk puts it off, by habit or distrust (business time; 0 joins
        the queue now).
        """
        ledger, lead = self.ledger, task.lead
        ledger.move(lead, "sdr", now)
        if self.logging:
            ledger.log(now, lead, "prospected" if task.prospect else "MQL")
        span = self.calendar.span  # the business clock's first check, inlined
        if span[0] <= now <= span[1]:
            task.mql_open = span[2] + now - span[0]
        else:
            task.mql_open = self.calendar.business(now)
        task.spell = ledger.spells.append(lead, now, NAN, 0, OPEN, NAN, task.prospect)
        if task.prospect:
            return 0.0  # the SDRs' own work: no MQL to distrust
        trust = self.trust
        return put_off(trust.kept * trust.effort, self.max_delay, task.put_off)

    def attempt(self, task: Task, sdr: int, now: float) -> float:
        """An SDR starts an attempt: decide whether it reaches the buyer; return its work.

        The first touch decides whether the buyer is still in play, likelier the sooner it
        comes (:class:`ReachCurve`); each attempt then reaches a buyer in play at the buyer's own
        chance of picking up (``sdr.answer``). A prospect, with no MQL, is reached at the flat
        ``outbound_reach``. The first touch also fixes the attempts owed, at today's effort,
        and closes the MQL's response clock.
        """
        attempt, sdr_spec = task.attempt, self.sdr
        if task.prospect:
            chance = sdr_spec.outbound_reach
            if attempt == 0:
                task.spell[FIRST_TOUCH_AT], task.attempts = now, sdr_spec.attempts
        else:
            if attempt == 0:
                span = self.calendar.span  # the business clock's first check, inlined
                if span[0] <= now <= span[1]:
                    waited = span[2] + now - span[0] - task.mql_open
                else:
                    waited = self.calendar.business(now) - task.mql_open
                task.in_play = task.play < self.reach(waited)  # has the buyer moved on?
                task.spell[FIRST_TOUCH_AT] = now
                task.attempts = owed_attempts(sdr_spec.attempts, self.trust.effort, task.owed)
                self.period.touched += 1
                self.period.on_time += within_response(waited, self.sla_response)
            chance = task.answer if task.in_play else 0.0
        reached = task.reached = task.reach[attempt] < chance  # its pre-drawn uniform
        if self.logging:
            self.ledger.log(now, task.lead, "SDR attempt", sdr_name(sdr))
        return task.work[attempt] + (task.talk if reached else 0.0)

    def attempt_ended(self, task: Task, sdr: int, now: float) -> bool:
        """An attempt ends: close the spell with its outcome, or say a follow-up is owed."""
        attempt = task.attempt = task.attempt + 1
        task.spell[ATTEMPTS] = attempt
        if task.reached:
            self._reached(task, sdr, now)
        elif attempt < task.attempts:
            return True
        else:
            self._decide(task, "unreachable", now)
            self.recycle(task.lead, "unreachable", "sdr", now)
        return False

    def _reached(self, task: Task, sdr: int, now: float) -> None:
        """The buyer answered: disqualified (poor fit), or accepted and then qualified or not."""
        lead = task.lead
        outcome = qualification(
            self.sdr, self.fit[lead], self.buy_start[lead], self.buy_end[lead], now, task.qualify
        )
        self._decide(task, outcome, now)
        if self.logging:
            self._log_qualification(lead, outcome, now, sdr)
        if outcome == "disqualified":
            self.ledger.move(lead, "disqualified", now)
        elif outcome == "sql":
            self.to_sales(task, now)
        else:
            self.recycle(lead, "rejected", "sdr", now)

    def _log_qualification(self, lead: int, outcome: str, now: float, sdr: int) -> None:
        if outcome != "disqualified":
            self.ledger.log(now, lead, "SAL", sdr_name(sdr))
        self.ledger.log(now, lead, "SQL" if outcome == "sql" else outcome, sdr_name(sdr))

    def _decide(self, task: Task, outcome: str, now: float) -> None:
        """Close the spell. Marketing's MQLs also feed sales trust and the threshold review.

        Both listen to lead quality, not to the desk's own reach: trust to the share of
        buyers reached who qualified, the review to the share of accepted leads that did.
        """
        task.spell[OUTCOME], task.spell[OUTCOME_AT] = SPELL[outcome], now
        if not judged_by_sales(outcome, task.prospect):
            return
        self.trust.record(outcome == "sql")
        if outcome != "disqualified":
            self.period.accepted += 1
            self.period.qualified += outcome == "sql"

    def aged(self, task: Task) -> None:
        """A new spell waited past ``max_queue_age`` untouched: it leaks when it aged out."""
        at = task.mql_at + self.scenario.sdr.max_queue_age
        task.spell[OUTCOME], task.spell[OUTCOME_AT] = SPELL["never_worked"], at
        self.ledger.leak(task.lead, "never_worked", at, "sdr")
        if self.logging:
            self.ledger.log(at, task.lead, "never worked")
        if not task.prospect:
            self.period.touched += 1  # its response clock closed without a touch: late

    # -- recycling -----------------------------------------------------------------------
    def recycle(self, lead: int, outcome: str, stage: str, now: float) -> None:
        """Return the lead to nurture, or end its journey, as the recycle rules decide."""
        capped = self.ledger.recycles.item(lead) >= self.scenario.recycle.max_recycles
        decision = self.decisions[outcome, capped]
        if not decision.recycle:  # the journey ends here
            if decision.reason is None:
                self.ledger.move(lead, decision.state, now)
                return
            self.ledger.leak(lead, decision.reason, now, stage)
            if self.logging:
                self.ledger.log(now, lead, decision.reason.replace("_", " "))
            return
        self.ledger.recycles[lead] += 1
        self.ledger.move(lead, "nurture", now)
        if self.logging:
            self.ledger.log(now, lead, "recycled")
        back = now + decision.delay
        self.engine.enrol(lead, back)
        if back < self._tick_end:  # this period's advance has run: catch the lead up
            only = np.array([lead])
            self._found(self.engine.advance(self._tick_end, self.threshold, only=only), now)
