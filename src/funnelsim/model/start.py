"""What the funnel holds at time zero, before the run's own leads.

From an empty start, nothing (but a pipeline's deals, taken over on its date). From a steady
one, the leads in nurture: the history's (:mod:`funnelsim.model.history`), or, when a pilot
settles the funnel (:mod:`funnelsim.model.settled`), the pilot's, with the deals open, the
threshold and the sales trust it reached.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from funnelsim.base.streams import Streams
from funnelsim.model.history import nurture_pool
from funnelsim.model.nurture import Carried, NurtureEngine
from funnelsim.model.pipeline import open_deals, pipeline_day
from funnelsim.model.settled import Deals, InNurture, in_nurture, open_at_zero, settled
from funnelsim.model.sources import Leads
from funnelsim.record.ledger import Ledger
from funnelsim.scenario.pipeline import OpenDeal
from funnelsim.scenario.schema import Scenario


@dataclass(frozen=True)
class TimeZero:
    """What the funnel holds at time zero, before the run's own leads."""

    leads: Leads  # the history's, those taken over in nurture, the deals' (settled, pipeline)
    history: Carried  # where the history's stand in nurture
    nurtured: InNurture  # taken over in nurture from a pilot
    deals: Deals  # open at time zero, from a pilot
    inherited: list[tuple[float, int, OpenDeal, float]]  # day, lead, spec, stage length
    threshold: float
    trust: tuple[bool, ...]

    def enrol(self, engine: NurtureEngine, ledger: Ledger) -> None:
        """Put the leads in nurture there; note the recycles of those taken over so far."""
        history = len(self.history.state.next_touch)
        engine.resume(np.arange(history), self.history)
        nurtured = np.arange(history, history + len(self.nurtured))
        engine.returned(nurtured, self.nurtured.since, self.nurtured.at, self.nurtured.noise)
        ledger.recycles[nurtured] = self.nurtured.recycles
        deals = np.arange(len(self.deals)) + history + len(self.nurtured)
        ledger.recycles[deals] = self.deals.recycles


def time_zero(scenario: Scenario, streams: Streams) -> TimeZero:
    """What the funnel of ``scenario`` holds at time zero."""
    taken = settled(scenario)
    history, where = nurture_pool(scenario, streams)  # none when settled: the pilot's then
    nurtured = in_nurture(scenario, streams, taken)
    day = pipeline_day(scenario)
    # A pipeline's deals take the place of the model's own on its date: those open then, and
    # not the settled funnel's, are the deals the run starts from.
    deals, specs = open_at_zero(scenario, streams, taken if scenario.pipeline is None else None)
    pipeline = open_deals(scenario, streams)
    given = scenario.pipeline.deals if scenario.pipeline is not None else []
    taken_over = [(0.0, deal, length) for deal, length in specs] + [
        (day, deal, length)
        for deal, length in zip(given, pipeline.stage_length.tolist(), strict=True)
    ]
    first = len(history) + len(nurtured)  # the deals' leads follow those in nurture
    return TimeZero(
        history.followed_by(nurtured.leads).followed_by(deals.leads).followed_by(pipeline.leads),
        where,
        nurtured,
        deals,
        [(at, first + k, deal, length) for k, (at, deal, length) in enumerate(taken_over)],
        scenario.scoring.mql_threshold if taken is None else taken.threshold,
        () if taken is None else taken.trust,
    )
