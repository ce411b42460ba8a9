"""Sales: AEs hold a capped number of deals open; the steps of an SQL handed to them.

An AE accepts or declines an SQL, and a buyer left waiting for an AE gives up after their
patience (:mod:`funnelsim.model.rules.handoff`). An opportunity's path is a rule
(:mod:`funnelsim.model.rules.opportunity`) sampled when it opens from uniforms drawn earlier,
with the SDR spell that may lead to it (:func:`deal_counters`), a batch of spells at a time.
"""

from __future__ import annotations

import math
from collections import deque

import numpy as np

from funnelsim.model.pipeline import stage_index
from funnelsim.model.roster import Roster, ramped_cap
from funnelsim.model.rules.handoff import accepted, patience_ends
from funnelsim.model.rules.opportunity import (
    advance_odds,
    deal_value,
    opportunity_path,
    passed_stages,
    resolution,
)
from funnelsim.model.sdr import Task
from funnelsim.record.ledger import OPP, OPP_AT
from funnelsim.scenario.pipeline import OpenDeal
from funnelsim.scenario.schema import Sales

NAN = float("nan")
LEAD, OPENED_AT, AE, VALUE = (OPP_AT[name] for name in ("lead", "opened_at", "ae", "value"))
RESOLVED_AT, OPP_OUTCOME, STAGES_PASSED, QUEUED_AT = (
    OPP_AT[name] for name in ("resolved_at", "outcome", "stages_passed", "queued_at")
)

OPPORTUNITY_DRAWS = 64
"""Counters per opportunity: durations and value from 0, outcomes from 32 (30 stages at most)."""


def deal_counters(opportunity: np.ndarray, stages: int) -> np.ndarray:
    """Counters of the ``opportunity`` stream for one opportunity of each lead, in rows.

    ``opportunity`` numbers each lead's opportunity; ``stages`` is the most any segment has.
    A row holds a stage duration's counter per stage and the deal value's, then a stage
    outcome's per stage: :func:`deal_uniforms` splits the uniforms drawn with them.
    """
    first = opportunity[:, None] * OPPORTUNITY_DRAWS
    return np.concatenate(
        (first + np.arange(stages + 1), first + OPPORTUNITY_DRAWS // 2 + np.arange(stages)), axis=1
    )


def deal_uniforms(row: np.ndarray, stages: int) -> tuple[list[float], list[float]]:
    """A row drawn with :func:`deal_counters`: the durations' and value's, the outcomes'."""
    u = row.tolist()
    return u[: stages + 1], u[stages + 1 :]


REPLACED = -1
"""The outcome of a model's own deal that a pipeline's took the place of: never recorded."""


class AePool:
    """AEs with a cap on open opportunities each; SQLs wait in order when all are full.

    It knows each AE's open deals (:meth:`track`), so that a pipeline's deals can take the
    place of the model's own on its date (:meth:`hand_over`).
    """

    def __init__(self, sales: Sales, roster: Roster | None = None):
        heads = sales.ae_count if roster is None else len(roster)
        self.open = [0] * heads
        self.cap = sales.max_open_per_ae
        self.deals: list[dict[int, tuple]] = [{} for _ in range(heads)]
        # SQLs in line: their rows of the ledger's opportunities, their uniforms (a row of
        # deal_counters') and when their buyers give up waiting.
        self.waiting: deque[tuple[list, np.ndarray, float]] = deque()
        # With a staffing plan, each AE's own cap: 0 before joining and after leaving, less
        # than the cap while ramping. (A fixed team shares the one cap.)
        self.roster = roster
        self.caps = None if roster is None else [self.cap_at(ae, 0.0) for ae in range(heads)]

    def cap_at(self, ae: int, now: float) -> int:
        """The deals ``ae`` can hold at ``now``: none off the team, a share while ramping."""
        roster = self.roster
        if roster is None:
            return self.cap
        if not roster.joins[ae] <= now < roster.leaves[ae]:
            return 0
        return ramped_cap(roster.productivity(ae, now), self.cap)

    def refresh(self, ae: int, now: float) -> None:
        """``ae`` joined or ramped up a step at ``now``: their cap as it stands then."""
        self.caps[ae] = self.cap_at(ae, now)

    def assign(self) -> int | None:
        """The least-loaded AE with room (the first of them), or None when every AE is full."""
        load = self.open
        if self.caps is not None:
            room = [ae for ae, cap in enumerate(self.caps) if load[ae] < cap]
            if not room:
                return None
            ae = min(room, key=load.__getitem__)
            load[ae] += 1
            return ae
        if not load:
            return None
        fewest = min(load)
        if fewest >= self.cap:
            return None
        ae = load.index(fewest)  # the first of the least loaded
        load[ae] += 1
        return ae

    def release(self, ae: int) -> None:
        self.open[ae] -= 1

    def hold(self, ae: int | None) -> int:
        """Give an AE a deal open before the run, cap or not: ``ae`` if the team has it, else
        the first of the least loaded (-1 when there are no AEs: nobody holds it)."""
        load, team = self.open, self._team()
        if not team:
            return -1
        if ae is None or ae not in team:
            ae = min(team, key=load.__getitem__)
        load[ae] += 1
        return ae

    def _team(self) -> range | list[int]:
        """The AEs on the team now."""
        if self.caps is None:
            return range(len(self.open))
        return [ae for ae, cap in enumerate(self.caps) if cap > 0]

    def over_cap(self, ae: int) -> bool:
        """Whether ``ae`` holds more deals than the cap (inherited ones only can do that)."""
        return ae >= 0 and self.open[ae] > (self.cap if self.caps is None else self.caps[ae])

    def leave(self, ae: int) -> list[list]:
        """``ae`` leaves the team: the rows of the deals they held, for others to take."""
        assert self.caps is not None
        self.caps[ae], self.open[ae] = 0, 0
        rows = [row for row, _ in self.deals[ae].values()]
        self.deals[ae].clear()
        return rows

    def track(self, ae: int, row: list, slot=None) -> None:
        """``ae`` holds the deal of ``row`` (with its slot, in the reference model)."""
        self.deals[ae][id(row)] = (row, slot)

    def untrack(self, ae: int, row: list) -> None:
        self.deals[ae].pop(id(row), None)

    def hand_over(self) -> list:
        """Every open deal leaves its AE, marked replaced; returns their slots (any held)."""
        slots = []
        for ae, held in enumerate(self.deals):
            for row, slot in held.values():
                row[OPP_OUTCOME] = REPLACED
                self.open[ae] -= 1
                if slot is not None:
                    slots.append(slot)
            held.clear()
        return slots


def ae_name(k: int) -> str:
    """Who an AE is in the event log."""
    return f"ae-{k}"


class SalesSteps:
    """The steps of an SQL in sales, shared by both models; part of
    :class:`~funnelsim.model.funnel.Stages`, whose leads, ledger and recycling they use.

    Each model supplies the queueing: when an AE takes an SQL, and when its deal resolves.
    """

    def sql_row(self, task: Task, now: float) -> list:
        """The SQL's row of the ledger's opportunities, waiting for an AE from ``now``."""
        return self.ledger.opps.append(
            task.lead, task.mql_at, now, NAN, NAN, OPP["open"], NAN, -1, 0
        )

    def declined(self, task: Task, row: list, now: float) -> bool:
        """Whether the AEs decline the SQL at ``now``; a declined lead is a rejected one."""
        if accepted(self.scenario.sales.acceptance, task.accept):
            return False
        row[RESOLVED_AT], row[OPP_OUTCOME] = now, OPP["declined"]
        if self.logging:
            self.ledger.log(now, task.lead, "declined by sales")
        self.recycle(task.lead, "rejected", "sales", now)
        return True

    def patience_ends(self, task: Task, row: list) -> float:
        """When the SQL's buyer gives up waiting for an AE (infinity: never)."""
        segment = self.segments[self.leads.segment[task.lead]]
        return patience_ends(segment, row[QUEUED_AT], task.patience)

    def gave_up(self, row: list, at: float) -> None:
        """The buyer walked away at ``at``, still waiting for an AE: the lead leaks."""
        lead = row[LEAD]
        row[RESOLVED_AT], row[OPP_OUTCOME] = at, OPP["no_sales_capacity"]
        self.ledger.leak(lead, "no_sales_capacity", at, "sales")
        if self.logging:
            self.ledger.log(at, lead, "no sales capacity")

    def open(self, row: list, deal: np.ndarray, ae: int, now: float) -> tuple:
        """An AE opens the opportunity: sample its path from its uniforms (``deal``).

        Returns ``(when, outcome, stages)``: when and how it will resolve, and the stages of
        its path, for :meth:`resolve`.
        """
        lead = row[LEAD]
        segment = self.segments[self.leads.segment[lead]]
        self.opps_of[lead] += 1
        u_duration, u_outcome = deal_uniforms(deal, self.stages)
        path = opportunity_path(
            *(segment, self.scenario.sales, now, self.fit[lead]),
            *(self.buy_start[lead], self.buy_end[lead], u_duration, u_outcome),
        )
        row[OPENED_AT], row[AE] = now, ae
        row[VALUE] = deal_value(segment, u_duration)
        self._staged(lead, now, 0, path.stages)
        if self.logging:
            self.ledger.log(now, lead, "opportunity opened", ae_name(ae))
        stall_recycles = self.scenario.recycle.stalled.enabled
        return (*resolution(path, self.scenario.sales, stall_recycles), path.stages)

    def deal_draws(self, leads: np.ndarray) -> np.ndarray:
        """The uniforms of the next opportunity of each of these leads (each once), in rows."""
        counters = deal_counters(self.opps_of[leads], self.stages)
        self.opps_of[leads] += 1
        return self.streams.lead_uniforms("opportunity", self.leads.key[leads, None], counters)

    def inherit(
        self, day: float, lead: int, deal: OpenDeal, stage_length: float, ae: int, u: np.ndarray
    ) -> tuple:
        """A deal open on ``day`` (of the pipeline, :mod:`funnelsim.model.pipeline`, or of a
        settled start, :mod:`funnelsim.model.settled`), held by ``ae`` from then, with its
        opportunity's uniforms ``u`` (:meth:`deal_draws`).

        Returns its row of the ledger's opportunities and, as :meth:`open` does, when and how
        it will resolve (not before the pipeline's date) and the stages of its path.
        """
        segment = self.segments[self.leads.segment[lead]]
        first = stage_index(segment, deal.stage)
        opened, entered = day - deal.age, day - deal.stage_age
        u_duration, u_outcome = deal_uniforms(u, self.stages)
        if math.isfinite(stage_length):  # in play in its stage: it ends in an outcome, not dark
            odds = advance_odds(segment.stages[first], segment.fit_effect, self.fit[lead])
            u_outcome[first] *= sum(odds)
        path = opportunity_path(
            *(segment, self.scenario.sales, entered, self.fit[lead]),
            *(self.buy_start[lead], self.buy_end[lead], u_duration, u_outcome),
            first=first,
            first_length=stage_length,
        )
        value = deal_value(segment, u_duration) if deal.value is None else deal.value
        row = self.ledger.opps.append(lead, NAN, opened, opened, NAN, OPP["open"], value, ae, first)
        self._staged(lead, opened, first, path.stages)
        if self.logging:
            self.ledger.log(day, lead, "opportunity taken over", ae_name(ae))
        stall_recycles = self.scenario.recycle.stalled.enabled
        when, outcome = resolution(path, self.scenario.sales, stall_recycles)
        return row, max(when, day), outcome, path.stages

    def _staged(self, lead: int, opened: float, first: int, stages: list) -> None:
        """Record the stages of an opportunity's path, from its ``first``; it is now open."""
        for stage, (_, ends_at) in enumerate(stages, start=first):
            self.ledger.stages.append(lead, opened, stage, ends_at)
        self.ledger.move(lead, "opportunity", opened)

    def resolve(self, now: float, row: list, outcome: str, stages: list) -> None:
        """The opportunity leaves the pipeline at ``now``: won, lost, stalled, ...

        The caller frees its AE.
        """
        lead = row[LEAD]
        passed = passed_stages(stages, now)
        row[RESOLVED_AT], row[OPP_OUTCOME] = now, OPP[outcome]
        row[STAGES_PASSED] += len(passed)  # a deal open before the run passed some already
        if self.logging:
            self._log_resolution(lead, row[AE], passed, outcome, now)
        if outcome in ("won", "no_decision"):
            self.ledger.move(lead, outcome, now)
        elif outcome == "abandoned":
            self.ledger.leak(lead, "stalled_abandoned", now, "sales")
        else:  # lost or stalled
            self.recycle(lead, outcome, "sales", now)

    def _log_resolution(self, lead: int, ae: int, passed: list, outcome: str, now: float):
        for name, t in passed:
            self.ledger.log(t, lead, f"stage {name} passed", ae_name(ae))
        self.ledger.log(now, lead, outcome.replace("_", " "), ae_name(ae))
