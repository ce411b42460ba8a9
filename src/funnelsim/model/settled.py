"""What a funnel that has run for years holds at time zero: a settled start.

The steady start's history (:mod:`funnelsim.model.history`) gives the leads in nurture never
yet worked. A funnel that has run for years also holds leads the desk or sales sent back to
nurture, deals open, a threshold its closed-loop review has moved, and a desk whose trust in
marketing has formed. Those come out of the desk and sales, so no arithmetic draws them: a
*pilot* does. It is one run of the same scenario and policy on a fixed seed (once per scenario
and process), from the history's nurture pool, for ``horizon.settle``; where it stands then
(its time ``T``) is taken over by every run as its time zero:

- the threshold: the pilot's, averaged over the last year before ``T`` (it wanders with the
  reviews), also the threshold the history is advanced at;
- sales trust: the pilot's record of its last judged MQLs at ``T``;
- the open deals: each opportunity open at ``T``, with its buyer, stage and ages; it is taken
  over at time zero as a pipeline's deal is (:meth:`SalesSteps.inherit`), its stage's length
  drawn given its buyer and the time it has spent there (:func:`pipeline.open_odds`), the
  rest of its path afresh;
- the leads in nurture: each lead of the pilot in nurture at ``T`` (never yet an MQL, or
  back after a recycle), and each lead the desk held at ``T`` that it sends back later, as it
  stood then: its fit, buying window, interest and recycles so far, its scoring error, and
  when it is next touched. (What the desk holds at ``T`` is not taken over: it turns over in
  days.)

A run takes each lead in nurture and open deal a Poisson(1) number of times (a bootstrap, on its
own streams) under keys of its own, so replications differ in which leads come back and what
becomes of them: between touches nurture is memoryless (engagement and opt-out are geometric),
so re-enrolling a lead at its next touch with fresh draws leaves its law as it was.
"""

from __future__ import annotations

import datetime as dt
import gc
from dataclasses import dataclass, replace

import numpy as np

from funnelsim.base.jsondoc import content_hash
from funnelsim.base.streams import Streams, derived_keys
from funnelsim.model.pipeline import open_odds, stage_length
from funnelsim.model.sources import SOURCE_KEY_SHIFT, Leads
from funnelsim.scenario.horizon import Horizon
from funnelsim.scenario.pipeline import OpenDeal
from funnelsim.scenario.schema import Scenario
from funnelsim.scenario.staffing import Staffing

SETTLED_RANK = 5 << 29
"""The first rank of the key of a lead taken over in nurture: past the history's ranks,
before a pipeline's deals'."""
DEAL_RANK = SETTLED_RANK + (1 << 28)
"""The first rank of the key of an open deal's lead."""
PILOT_SEED = 20_261_203
"""The pilot's fixed seed: the same settled state whatever the run's seed."""
CADENCE_ALLOWANCE = 28.0
"""Days allowed, past the queue's working age, for a held lead's cadence to end."""
KEPT = 32
"""Pilots a process keeps (a few MB each): a worker that meets the same scenarios again, as a
sweep's and a test run's do, settles each once."""
THRESHOLD_YEAR = 364.0
"""Days before ``T`` over which the pilot's threshold is averaged."""
_POISSON_CDF = np.cumsum([np.exp(-1.0) / np.prod(np.arange(1, k + 1)) for k in range(20)])


@dataclass(frozen=True)
class InNurture:
    """Leads in nurture (or coming back to it), as they stood; times in days from time zero."""

    leads: Leads  # interest as of ``since``
    since: np.ndarray  # when interest was last updated (a told touch)
    at: np.ndarray  # the first touch in the run
    recycles: np.ndarray  # recycles so far, against the cap
    noise: np.ndarray  # the scoring error, the lead's own: its stay in nurture depended on it

    def __len__(self) -> int:
        return len(self.at)

    def take(self, index: np.ndarray) -> InNurture:
        return InNurture(
            self.leads.take(index),
            *(column[index] for column in (self.since, self.at, self.recycles, self.noise)),
        )


@dataclass(frozen=True)
class Deals:
    """Deals open at time zero: their leads, and where each stands (days before zero)."""

    leads: Leads
    specs: list[OpenDeal]  # each one's source, segment, stage and ages
    live: np.ndarray  # the chance its buyer is where it stands, bound for an outcome
    dark: np.ndarray  # ... or gone dark (:func:`pipeline.open_odds`)
    recycles: np.ndarray

    def __len__(self) -> int:
        return len(self.specs)

    def take(self, index: np.ndarray) -> Deals:
        return Deals(
            self.leads.take(index),
            [self.specs[k] for k in index.tolist()],
            *(column[index] for column in (self.live, self.dark, self.recycles)),
        )

    @classmethod
    def of(cls, scenario: Scenario, leads: Leads, stage: list[str], age, stage_age, recycles):
        """The deals of these leads in these stages, ages in days before zero."""
        sources, segments = list(scenario.sources), list(scenario.segments)
        specs, live, dark = [], [], []
        for k, name in enumerate(stage):
            deal = OpenDeal.model_construct(
                id=None,
                source=sources[leads.source[k]],
                segment=segments[leads.segment[k]],
                stage=name,
                age=float(age[k]),
                in_stage=float(stage_age[k]),
                value=None,
                ae=None,
            )
            start, end, fit = (float(c[k]) for c in (leads.buy_start, leads.buy_end, leads.fit))
            _, bound, gone = open_odds(scenario, deal, fit, start, end)
            specs.append(deal)
            live.append(bound)
            dark.append(gone)
        return cls(leads, specs, np.array(live), np.array(dark), recycles)


@dataclass(frozen=True)
class Settled:
    """Where the pilot stood at ``T``: what a run takes over as its time zero."""

    threshold: float
    trust: tuple[bool, ...]  # the last judged MQLs, oldest first: qualified or not
    nurtured: InNurture
    deals: Deals


def settled(scenario: Scenario) -> Settled | None:
    """What a run of ``scenario`` takes over from its pilot (``None``: nothing, from an empty
    start or with ``horizon.settle: 0w``); the pilot runs once per process for equal
    scenarios, whatever their horizon length, warm-up and pipeline."""
    horizon = scenario.horizon
    settle = settled_days(horizon)
    if not settle:
        return None
    pilot = scenario.model_copy(
        update={
            "start_date": scenario.start_date - dt.timedelta(days=settle),  # same season at T
            "pipeline": None,  # the past: the teams and volumes of time zero, whatever the plan
            "sources": {
                name: source.model_copy(update={"rate_changes": []})
                if source.rate_changes
                else source
                for name, source in scenario.sources.items()
            },
            "sdr": scenario.sdr.model_copy(update={"staffing": Staffing()}),
            "sales": scenario.sales.model_copy(update={"staffing": Staffing()}),
            "horizon": horizon.model_copy(
                update={"warmup": 0.0, "length": settle + pending(scenario), "settle": 0.0}
            ),
        }
    )
    key = content_hash(pilot.model_dump(mode="json", by_alias=True))
    if key not in _SETTLED:
        from funnelsim.model.pilot import Pilot  # the model itself settles the funnel

        if len(_SETTLED) >= KEPT:
            _SETTLED.clear()
        _SETTLED[key] = Pilot(pilot, Streams(PILOT_SEED), settle).settle()
        gc.collect()  # the pilot's processes and events hold each other: free them for the run
    return _SETTLED[key]


_SETTLED: dict[str, Settled] = {}


def settled_days(horizon: Horizon) -> float:
    """How long the pilot runs before the run takes it over: ``settle`` in whole weeks (a
    nurture period's boundary), and 0 from an empty start or without a pilot."""
    if horizon.start == "empty" or horizon.settle <= 0:
        return 0.0
    return float(np.ceil(horizon.settle / 7.0) * 7.0)


def pending(scenario: Scenario) -> float:
    """Days the pilot runs past ``T`` for the leads the desk held then to come back: worked
    or aged out of the queue, then their recycle delay. (One the desk held that became a deal
    and comes back after losing it, months on, is left out: a handful.)"""
    rules = scenario.recycle
    delays = [r.delay for r in (rules.rejected, rules.unreachable) if r.enabled]
    return scenario.sdr.max_queue_age + CADENCE_ALLOWANCE + max(delays, default=0.0)


def in_nurture(scenario: Scenario, streams: Streams, state: Settled | None) -> InNurture:
    """This run's leads in nurture: each of the pilot's a Poisson(1) number of times."""
    if state is None:
        return _NONE
    index, copy = _copies(streams, "settled/copies", state.nurtured.leads)
    ours = state.nurtured.take(index)
    return replace(ours, leads=_keyed(ours.leads, copy, SETTLED_RANK))


def open_at_zero(
    scenario: Scenario, streams: Streams, state: Settled | None
) -> tuple[Deals, list[tuple[OpenDeal, float]]]:
    """This run's open deals at time zero, each of the pilot's a Poisson(1) number of times;
    with each one's spec and how long its stage lasts in all."""
    if state is None:
        return _NO_DEALS, []
    index, copy = _copies(streams, "settled/deals", state.deals.leads)
    ours = state.deals.take(index)
    ours = replace(ours, leads=_keyed(ours.leads, copy, DEAL_RANK))
    branch = streams.lead_uniforms("settled/branch", ours.leads.key).tolist()
    within = streams.lead_uniforms("settled/stage", ours.leads.key).tolist()
    columns = (ours.specs, ours.leads.buy_end.tolist(), ours.live.tolist(), ours.dark.tolist())
    specs = [
        (deal, stage_length(scenario, deal, end, live, dark, branch[k], within[k]))
        for k, (deal, end, live, dark) in enumerate(zip(*columns, strict=True))
    ]
    return ours, specs


def _copies(streams: Streams, name: str, leads: Leads) -> tuple[np.ndarray, np.ndarray]:
    """Each lead's index, repeated a Poisson(1) number of times; and which copy each is."""
    u = streams.lead_uniforms(name, leads.key)
    counts = np.searchsorted(_POISSON_CDF, u, side="right")
    index = np.repeat(np.arange(len(leads)), counts)
    return index, np.arange(len(index)) - np.repeat(np.cumsum(counts) - counts, counts)


def _keyed(leads: Leads, copy: np.ndarray, first_rank: int) -> Leads:
    """The leads under keys of this run's, made from the pilot's key and the copy: the same
    for runs whose pilots share the lead (policies and design points compared under common
    random numbers), whatever else their pilots hold. The rank (the key's low half) falls in
    ``[first_rank, first_rank + 2**28)``, past the history's and the run's own."""
    mixed = derived_keys(leads.key, copy)
    rank = np.uint64(first_rank) + (mixed & np.uint64((1 << 28) - 1))
    return replace(leads, key=(mixed & ~np.uint64((1 << SOURCE_KEY_SHIFT) - 1)) | rank)


_NO_LEADS = Leads(
    *(np.empty(0, dtype=t) for t in (np.uint64, float, np.int16, np.int16, *[float] * 5))
)
_NONE = InNurture(_NO_LEADS, np.empty(0), np.empty(0), np.empty(0, dtype=np.int16), np.empty(0))
_NO_DEALS = Deals(_NO_LEADS, [], np.empty(0), np.empty(0), np.empty(0, dtype=np.int16))
