"""The pilot: a run of the fast model that notes where it stands at its time ``T``, and the
leads the desk and sales, holding them then, send back to nurture later
(:mod:`funnelsim.model.settled` says what a run takes over from it)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from funnelsim.base.streams import Streams
from funnelsim.model.fast import Funnel
from funnelsim.model.nurture import ENROLLED, INTEREST, UPDATED_AT, first_touch
from funnelsim.model.sales import LEAD, OPENED_AT, OPP_OUTCOME
from funnelsim.model.settled import THRESHOLD_YEAR, Deals, InNurture, Settled
from funnelsim.model.sources import Leads
from funnelsim.record.ledger import OPP, STATE
from funnelsim.scenario.schema import Scenario

HELD = [STATE[name] for name in ("nurture", "sdr", "ae_queue")]
"""States of a lead the desk (or an AE's queue) may hold: MQLs found and not yet applied by
the desk are still in ``nurture``, though out of the nurture engine."""


@dataclass
class _Notes:
    """What the pilot notes at ``T`` and after it."""

    at: float
    held: set[int] = field(default_factory=set)  # with the desk or in an AE's queue at T
    back: list[tuple[int, float, int, float, float]] = field(default_factory=list)
    nurtured: np.ndarray | None = None  # in nurture at T
    rows: np.ndarray | None = None  # ... their nurture state then, and their recycles
    recycles: np.ndarray | None = None
    trust: tuple[bool, ...] = ()
    threshold: float = 0.0
    paths: list[tuple[list, list]] = field(default_factory=list)  # every deal opened, its path
    deals: Deals | None = None  # open at T


class Pilot(Funnel):
    """The fast model, noting at ``at`` what :class:`Settled` holds."""

    def __init__(self, scenario: Scenario, streams: Streams, at: float):
        super().__init__(scenario, streams)
        self.notes = _Notes(at)
        # Started after the nurture clock, but its timeout is booked at time zero: at ``at``
        # it runs before the clock's tick, with every touch before ``at`` told.
        self.env.process(self._note())

    def settle(self) -> Settled:
        """Run the pilot; what it noted, in days from ``T``."""
        self.run()
        notes, at = self.notes, self.notes.at
        rows, lead = notes.rows, notes.nurtured
        every = self.scenario.nurture.touch_every
        enrolled = rows[:, ENROLLED]  # after T for a lead whose recycle delay runs on
        first = enrolled + first_touch(enrolled, at, every) * every
        back = np.array(notes.back, dtype=float).reshape(-1, 5)
        lead = np.concatenate([lead, back[:, 0].astype(np.int64)])
        interest = np.concatenate([rows[:, INTEREST], back[:, 3]])
        leads = replace(self._before(lead), interest=interest)
        since = np.concatenate([rows[:, UPDATED_AT], back[:, 4]])
        nurtured = InNurture(
            leads,
            since - at,
            np.concatenate([first, back[:, 1]]) - at,
            np.concatenate([notes.recycles, back[:, 2]]).astype(np.int16),
            np.broadcast_to(self.engine.noise, len(self.leads))[lead].astype(float),
        )
        return Settled(notes.threshold, notes.trust, nurtured, notes.deals)

    def _note(self):
        notes = self.notes
        yield self.env.timeout(notes.at)
        ledger, nurtured = self.ledger, np.isfinite(self.engine.next_touch)
        notes.nurtured = np.flatnonzero(nurtured & (ledger.created < notes.at))
        notes.rows = self.engine.state.rows[notes.nurtured]
        notes.recycles = ledger.recycles[notes.nurtured]
        held = np.isin(ledger.state, HELD) & ~nurtured & (ledger.created < notes.at)
        notes.held = set(np.flatnonzero(held).tolist())
        notes.trust = tuple(self.trust.recent)
        notes.threshold = _mean_threshold(self.thresholds, notes.at)
        notes.deals = self._open_deals()
        notes.paths = []

    def _open_deals(self) -> Deals:
        """The deals open at ``T``: where each stands, days before it."""
        at, open_ = self.notes.at, OPP["open"]
        lead, age, stage_age, stage = [], [], [], []
        for row, stages in self.notes.paths:
            if row[OPP_OUTCOME] != open_:
                continue
            passed = [end for _, end in stages if end <= at]
            segment = self.segments[self.leads.segment[row[LEAD]]]
            lead.append(row[LEAD])
            age.append(at - row[OPENED_AT])
            stage_age.append(at - (passed[-1] if passed else row[OPENED_AT]))
            stage.append(segment.stages[min(len(passed), len(segment.stages) - 1)].name)
        lead = np.array(lead, dtype=np.int64)
        before = self._before(lead)
        recycles = self.ledger.recycles[lead]
        return Deals.of(self.scenario, before, stage, age, stage_age, recycles)

    def _before(self, lead: np.ndarray) -> Leads:
        """These leads, their times in days from ``T``, what was spent on them in the past."""
        at, leads = self.notes.at, self.leads.take(lead)
        return replace(
            leads,
            created=leads.created - at,
            buy_start=leads.buy_start - at,
            buy_end=leads.buy_end - at,
            cost=np.zeros(len(lead)),
        )

    def open(self, row: list, deal: np.ndarray, ae: int, now: float) -> tuple:
        when, outcome, stages = super().open(row, deal, ae, now)
        if now < self.notes.at:
            self.notes.paths.append((row, stages))
        return when, outcome, stages

    def recycle(self, lead: int, outcome: str, stage: str, now: float) -> None:
        held = self.notes.held
        if lead in held:
            held.discard(lead)
            capped = self.ledger.recycles.item(lead) >= self.scenario.recycle.max_recycles
            decision = self.decisions[outcome, capped]
            if decision.recycle:
                row = self.engine.state.rows[lead]
                recycles = self.ledger.recycles.item(lead) + 1
                entry = (lead, now + decision.delay, recycles, row[INTEREST], row[UPDATED_AT])
                self.notes.back.append(entry)
        super().recycle(lead, outcome, stage, now)


def _mean_threshold(thresholds: list[tuple[float, float]], at: float) -> float:
    """The threshold in force over the year before ``at``, weighed by time."""
    times = np.array([t for t, _ in thresholds] + [at])
    levels = np.array([v for _, v in thresholds])
    since = max(at - THRESHOLD_YEAR, 0.0)
    spans = np.diff(np.clip(times, since, at))
    return float(levels @ spans / spans.sum()) if spans.sum() > 0 else float(levels[-1])
