"""A steady-state start: the nurture pool a funnel that has run for years holds at time zero.

A funnel that starts empty fills for as long as its slowest delay: buying windows open months
after capture, so MQLs, SQLs and bookings would still be rising through the measured window.
A steady start opens the run on the leads captured over ``horizon.history`` before time zero
that are still in nurture at it, each as nurture left it (its interest, its touches, when it is
next touched). They are drawn on streams of their own, so the run's own leads are the same
whichever way it starts, and advanced through nurture alone, at the policy's first
threshold: the leads that became MQLs or unsubscribed before time zero have left the funnel
before the run begins. A run that settles (``horizon.settle``, :mod:`funnelsim.model.settled`)
starts its pilot here, and takes over the pool the pilot reaches, with what the desk and
sales hold; one that does not leaves those to its warm-up.
"""

from __future__ import annotations

import dataclasses
import functools
import math

import numpy as np

from funnelsim.base.streams import Streams
from funnelsim.model.nurture import Carried, NurtureEngine, subscribed
from funnelsim.model.sources import Era, Leads, generate_leads
from funnelsim.scenario.schema import Scenario

HISTORY_RANK = 1 << 31
"""The first rank of a history lead's key: the run's leads of a source rank from zero."""


def history_era(scenario: Scenario) -> Era:
    """The history's leads: captured before time zero, by the sources that nurture them."""
    days = float(math.ceil(scenario.horizon.history))
    return Era(-days, 0.0, "history/", HISTORY_RANK, nurtured_only=True, bursts=False)


def nurture_pool(scenario: Scenario, streams: Streams) -> tuple[Leads, Carried]:
    """The leads in nurture at time zero, and where each stands in it.

    None from an empty start, nor when every source skips nurture; nor when a pilot settles
    the funnel (``horizon.settle``): the pool it reaches is taken over then.
    """
    era = history_era(scenario)
    horizon = scenario.horizon
    if (
        horizon.start == "empty"
        or horizon.settle > 0
        or not any(not source.skips_nurture for source in scenario.sources.values())
    ):
        era = Era(0.0, 0.0)  # no time before the run: no leads
    # A lead that opts out before time zero is never in the pool: only its capture is drawn.
    keep = functools.partial(subscribed, scenario.nurture, streams, at=0.0)
    leads = generate_leads(scenario, streams, dataclasses.replace(era, keep=keep))
    engine = NurtureEngine(leads, scenario.nurture, scenario.scoring, streams)
    engine.enrol(np.arange(len(leads)), leads.created)
    engine.advance(0.0, scenario.scoring.mql_threshold)
    staying = np.flatnonzero(np.isfinite(engine.next_touch))
    return leads.take(staying), engine.carry(staying)
