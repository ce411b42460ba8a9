"""The fast model: the funnel's steps (:mod:`funnelsim.model.funnel`) on the fast desk.

Events are spent where capacity or policy interacts: the SDR desk's own (work arriving,
attempts ending, openings; see :class:`~funnelsim.model.sdr.SdrDesk`), an opportunity
resolving (on the :class:`~funnelsim.model.clock.Agenda`), the nurture and review clocks.
Everything else (arrivals, nurture touches, opportunity paths) is sampled. The reference model
(:mod:`funnelsim.model.reference`) runs the same steps as plain SimPy processes and gives the
same ledger: read it first.
"""

from __future__ import annotations

import math

import numpy as np

from funnelsim.base.streams import Streams
from funnelsim.model.clock import Agenda
from funnelsim.model.funnel import Stages
from funnelsim.model.pipeline import pipeline_day
from funnelsim.model.roster import Roster, Teams
from funnelsim.model.sales import AE, OPP_OUTCOME, REPLACED, AePool
from funnelsim.model.sdr import SdrDesk, Task
from funnelsim.record.ledger import Ledger
from funnelsim.scenario.schema import Scenario


class Funnel(Stages):
    """One replication's model: build it, :meth:`run` it, read its :attr:`ledger`."""

    def __init__(self, scenario: Scenario, streams: Streams, record_events: bool = False):
        super().__init__(scenario, streams, record_events)
        teams = Teams.drawn(scenario, streams)  # who is on the desk and the AE team, when
        self.desk = SdrDesk(
            *(self.env, scenario.sdr, self.calendar),
            *(self.attempt, self.attempt_ended, self.aged, teams.sdr),
        )
        self.ae = AePool(scenario.sales, teams.ae)
        self.agenda = Agenda(self.env)
        for day in self.take_over_days():
            self.agenda.at(0.0, day, self._take_over)
        if teams.ae is not None:
            self._staff_sales(teams.ae)
        self.start()

    @property
    def teams(self) -> Teams:
        """The run's teams over time, as the desk and the AEs follow them."""
        return Teams(self.desk.roster, self.ae.roster)

    def events_scheduled(self) -> int:
        """Events of the run: those SimPy scheduled and those the desk handled on its own
        clock."""
        return self.env.scheduled + self.desk.events

    def run(self) -> Ledger:
        horizon = self.scenario.horizon.length
        self.env.run(until=horizon)
        self.desk.close(horizon)
        self._close_sales(horizon)
        self.ledger.sdr_busy = np.array(self.desk.busy, dtype=float).reshape(-1, 2)
        self.ledger.close()
        return self.ledger

    # -- the SDR desk --------------------------------------------------------------------
    def hand_over(self, now: float, tasks: list[Task]) -> None:
        self.desk.hand_over(now, tasks, self._handed_to_sdr)

    def _handed_to_sdr(self, now: float, task: Task) -> None:
        """An MQL or prospect reaches the desk at ``now`` (applied by the desk, maybe later)."""
        delay = self.arrive(now, task)
        if delay > 0:
            self.desk.hold(task, now, self.calendar.add(now, delay))
        else:
            self.desk.push_new(task)

    # -- sales ---------------------------------------------------------------------------
    def to_sales(self, task: Task, now: float) -> None:
        row = self.sql_row(task, now)
        if self.declined(task, row, now):
            return
        ae = self.ae.assign()
        if ae is None:
            self.ledger.move(task.lead, "ae_queue", now)
            self.ae.waiting.append((row, task.deal, self.patience_ends(task, row)))
        else:
            self._open(row, task.deal, ae, now)

    def _open(self, row: list, deal: np.ndarray, ae: int, now: float) -> None:
        when, outcome, stages = self.open(row, deal, ae, now)
        self.ae.track(ae, row)
        self.agenda.at(now, when, self._resolve, row, outcome, stages)

    def _resolve(self, now: float, row: list, outcome: str, stages: list) -> None:
        if row[OPP_OUTCOME] == REPLACED:
            return  # a pipeline's deal took its place
        self.resolve(now, row, outcome, stages)
        if row[AE] >= 0:  # a pipeline's deal in a run without AEs has nobody to free
            self.ae.untrack(row[AE], row)
            self.ae.release(row[AE])
            self._next_sql(now)

    def _take_over(self, now: float) -> None:
        """Deals open before the run join it (on the pipeline's date, in place of the model's
        own open ones), on their AEs, cap or not; then the SQLs in line take whatever room is
        left."""
        if now == pipeline_day(self.scenario):
            self.ae.hand_over()
        for lead, deal, length, u in self.taken_over(now):
            ae = self.ae.hold(deal.ae)
            row, when, outcome, stages = self.inherit(now, lead, deal, length, ae, u)
            if ae >= 0:
                self.ae.track(ae, row)
            self.agenda.at(now, when, self._resolve, row, outcome, stages)
        while self.ae.waiting and self._next_sql(now):
            pass

    def _next_sql(self, now: float) -> bool:
        """An AE freed a deal at ``now``: the first SQL in line whose buyer still waits opens,
        if that AE, or another, has room (one over the cap with deals open before the run
        may not).

        A buyer whose patience ran out is stamped as gone when it ran out, once the line
        reaches them: no event is spent watching them (at the same instant, they leave first).
        Returns whether one opened.
        """
        waiting = self.ae.waiting
        while waiting and waiting[0][2] <= now:
            row, _, patience_ends = waiting.popleft()
            self.gave_up(row, patience_ends)
        if waiting and (ae := self.ae.assign()) is not None:
            row, deal, _ = waiting.popleft()
            self._open(row, deal, ae, now)
            return True
        return False

    def _staff_sales(self, roster: Roster) -> None:
        """Each AE joining, ramping up a step, or leaving, on the agenda."""
        for ae in range(len(roster)):
            joins, leaves = float(roster.joins[ae]), float(roster.leaves[ae])
            for t in ([joins] if joins > 0.0 else []) + roster.ramp_steps(ae):
                self.agenda.at(0.0, t, self._ae_room, ae)
            if math.isfinite(leaves):
                self.agenda.at(0.0, leaves, self._ae_leaves, ae)

    def _ae_room(self, now: float, ae: int) -> None:
        """``ae`` joins or ramps up: room for more deals, which the SQLs in line take."""
        self.ae.refresh(ae, now)
        while self.ae.waiting and self._next_sql(now):
            pass

    def _ae_leaves(self, now: float, ae: int) -> None:
        """``ae`` leaves: the team takes over their open deals, cap or not."""
        for row in self.ae.leave(ae):
            row[AE] = self.ae.hold(None)
            if row[AE] >= 0:
                self.ae.track(row[AE], row)

    def _close_sales(self, horizon: float) -> None:
        """At the end of a run, the buyers in line whose patience ran out before it gave up."""
        for row, _, patience_ends in self.ae.waiting:
            if patience_ends < horizon:
                self.gave_up(row, patience_ends)
