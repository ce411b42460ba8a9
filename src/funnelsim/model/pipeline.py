"""The deals a company holds open on a date, as leads and opportunities of the run.

On the pipeline's date (:func:`pipeline_day`), after the run has warmed up to it, the model's
own open deals leave the run and the company's take their place, on the same AEs' desks.
Each open deal (:class:`~funnelsim.scenario.pipeline.OpenDeal`) becomes a lead captured when
the deal opened, holding an opportunity in its stage from then. A CRM shows the
deal's stage and ages, not its buyer, so the buyer's fit and buying window are drawn given what
the CRM shows, by importance resampling (:func:`_latent`):

- candidates are the buyers behind the deals the scenario itself opens (its *donors*: a run
  of the same scenario without the pipeline, on a fixed seed, once per scenario and process),
  of the deal's segment and, where it has enough of them, its source,
  each placed at the open deal's opening: the scenario's own mechanics (how far into their
  buying window its buyers are when a deal opens) make the prior, not an assumption;
- each is weighed by the chance that a deal with that buyer passed the stages it passed and is
  still open in its stage after the time spent there: in market with the stage not yet done
  (and bound for one of its outcomes, not for going dark), or gone dark in it (by the stage's
  own odds, or as the window closed) recently enough that the rules have not closed it out.

So a deal long in its stage is likelier to be dark, and one far along likelier to fit, as they
are among the model's own open deals (``tests/model/test_pipeline.py`` checks it). A deal the
rules would have closed out already (dark or stalled for longer than ``abandon_after`` or
``stall_after``) resolves at time zero: a CRM keeps such deals open; the run does not.
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass

import numpy as np

from funnelsim.base.jsondoc import content_hash
from funnelsim.base.streams import Streams
from funnelsim.model.rules.opportunity import advance_odds
from funnelsim.model.sources import SOURCE_KEY_SHIFT, Leads
from funnelsim.scenario.pipeline import OpenDeal
from funnelsim.scenario.schema import Scenario, Segment

PIPELINE_RANK = 3 << 30
"""The first rank of an open deal's lead key: past the run's leads and the history's."""
CANDIDATES = 64
"""Buyers drawn per open deal, among which its own is resampled."""
MIN_DONORS = 20
"""A source with fewer donor deals in a segment borrows the segment's (sources differ in fit)."""
DONOR_SEED = 20_261_204
"""The fixed seed of the donor run: the same donors whatever the run's seed."""
DONOR_WARMUP, DONOR_LENGTH = 91.0, 455.0
"""The donor run: the deals opened over a year, after a quarter's warm-up."""


@dataclass(frozen=True)
class OpenDeals:
    """The open deals' leads, and how long each one's current stage lasts in all."""

    leads: Leads
    stage_length: np.ndarray  # days from entering the stage; infinite: gone dark in it


@dataclass(frozen=True)
class Buyers:
    """Buyers behind deals at their opening: fit, the window relative to the opening, and the
    source of their lead."""

    fit: np.ndarray
    start: np.ndarray  # buy_start - opened
    end: np.ndarray  # buy_end - opened
    source: np.ndarray

    def take(self, index: np.ndarray) -> Buyers:
        return Buyers(self.fit[index], self.start[index], self.end[index], self.source[index])

    def of_source(self, source: int) -> Buyers:
        """Those of ``source``, if there are :data:`MIN_DONORS`; else all of them."""
        mine = np.flatnonzero(self.source == source)
        return self.take(mine) if len(mine) >= MIN_DONORS else self


def pipeline_day(scenario: Scenario) -> float:
    """The day of the run on which the pipeline's deals are open (inf without a pipeline)."""
    if scenario.pipeline is None:
        return math.inf
    return float((scenario.pipeline.date - scenario.start_date).days)


def open_deals(scenario: Scenario, streams: Streams) -> OpenDeals:
    """One lead per open deal of ``scenario.pipeline``, in its order; times in run days."""
    deals = scenario.pipeline.deals if scenario.pipeline is not None else []
    sources, segments = list(scenario.sources), list(scenario.segments)
    crc = [zlib.crc32(d.source.encode()) for d in deals]
    key = (np.array(crc, dtype=np.uint64) << np.uint64(SOURCE_KEY_SHIFT)) + np.arange(
        PIPELINE_RANK, PIPELINE_RANK + len(deals), dtype=np.uint64
    )
    donors = donor_buyers(scenario) if deals else {}
    candidates = np.arange(CANDIDATES)[None, :]
    u = {n: streams.lead_uniforms(f"pipeline/{n}", key[:, None], candidates) for n in _DRAWS}
    u |= {n: streams.lead_uniforms(f"pipeline/{n}", key) for n in _CHOICES}
    latent = np.array(
        [
            _latent(scenario, deal, donors.get(deal.segment), {n: d[k] for n, d in u.items()})
            for k, deal in enumerate(deals)
        ]
    ).reshape(len(deals), 5)
    fit, interest, buy_start, buy_end, stage_length = latent.T
    day = pipeline_day(scenario) if deals else 0.0
    leads = Leads(
        key=key,
        created=day - np.array([d.age for d in deals], dtype=float),
        source=np.array([sources.index(d.source) for d in deals], dtype=np.int16),
        segment=np.array([segments.index(d.segment) for d in deals], dtype=np.int16),
        fit=fit,
        interest=interest,
        buy_start=day + buy_start,
        buy_end=day + buy_end,
        cost=np.zeros(len(deals)),  # spent before the pipeline's date: the company's past
    )
    return OpenDeals(leads, stage_length)


_DRAWS = ("donor", "fit", "window", "place")
"""Drawn per candidate: which donor; or, for a segment without donors, the fit, the window's
length and where in it the deal opened (the scenario's distributions)."""
_CHOICES = ("pick", "branch", "stage", "interest")
"""Drawn once per deal: which candidate, dark or not, the stage's length, interest."""


def donor_buyers(scenario: Scenario) -> dict[str, Buyers]:
    """The buyers behind the deals ``scenario`` opens, by segment, from one run of it without
    its pipeline (once per process for equal scenarios, whatever their horizon)."""
    horizon = scenario.horizon.model_copy(update={"warmup": DONOR_WARMUP, "length": DONOR_LENGTH})
    donor = scenario.model_copy(update={"pipeline": None, "horizon": horizon})
    key = content_hash(donor.model_dump(mode="json", by_alias=True))
    if key not in _DONORS:
        if len(_DONORS) >= 8:
            _DONORS.clear()
        _DONORS[key] = _donors(donor)
    return _DONORS[key]


_DONORS: dict[str, dict[str, Buyers]] = {}


def _donors(scenario: Scenario) -> dict[str, Buyers]:
    from funnelsim.model.fast import Funnel  # the model itself is the prior

    ledger = Funnel(scenario, Streams(DONOR_SEED)).run()
    opps = ledger.opp_frame()
    opened = opps[opps["opened_at"] >= DONOR_WARMUP]
    lead, at = opened["lead"].to_numpy(), opened["opened_at"].to_numpy()
    every = Buyers(
        ledger.fit[lead],
        ledger.buy_start[lead] - at,
        ledger.buy_end[lead] - at,
        ledger.source[lead],
    )
    segment = ledger.segment[lead]
    return {
        name: every.take(np.flatnonzero(segment == k))
        for k, name in enumerate(scenario.segments)
        if (segment == k).any()
    }


def _candidates(
    scenario: Scenario, deal: OpenDeal, donors: Buyers | None, u: dict[str, np.ndarray]
) -> tuple[Buyers, np.ndarray]:
    """Candidate buyers, placed at the deal's opening, and their prior weights."""
    if donors is not None:
        donors = donors.of_source(list(scenario.sources).index(deal.source))
        pick = np.minimum((u["donor"] * len(donors.fit)).astype(int), len(donors.fit) - 1)
        return donors.take(pick), np.ones(CANDIDATES)
    # No deal of this segment in the donor run: the scenario's distributions, a window
    # around the opening, likelier the longer it is.
    segment = scenario.segments[deal.segment]
    fit = scenario.sources[deal.source].fit.between(scenario.sdr.min_fit, math.inf, u["fit"])
    length = (segment.buying_window or scenario.nurture.buying_window.length).ppf(u["window"])
    start = -u["place"] * length
    return Buyers(fit, start, start + length), length


def _latent(
    scenario: Scenario, deal: OpenDeal, donors: Buyers | None, u: dict[str, np.ndarray]
) -> tuple:
    """The buyer behind an open deal and its stage's length: ``(fit, interest, buy_start,
    buy_end, stage_length)``, times in days from the pipeline's date."""
    opened = -deal.age
    buyers, weight = _candidates(scenario, deal, donors, u)
    buy_start, buy_end = opened + buyers.start, opened + buyers.end
    live, dark = np.zeros(CANDIDATES), np.zeros(CANDIDATES)
    for c in range(CANDIDATES):
        weight[c], live[c], dark[c] = open_odds(
            scenario, deal, buyers.fit[c], buy_start[c], buy_end[c], weight[c]
        )
    interest = float(scenario.sources[deal.source].interest.ppf(u["interest"]))
    total = weight.sum()
    if not total > 0.0:  # closed out by the rules already: dark since it entered the stage
        return buyers.fit[0], interest, buy_start[0], buy_end[0], math.inf
    c = int(np.searchsorted(np.cumsum(weight) / total, u["pick"], side="right"))
    c = min(c, CANDIDATES - 1)
    length = stage_length(scenario, deal, buy_end[c], live[c], dark[c], u["branch"], u["stage"])
    return buyers.fit[c], interest, buy_start[c], buy_end[c], length


def open_odds(
    scenario: Scenario,
    deal: OpenDeal,
    fit: float,
    buy_start: float,
    buy_end: float,
    weight: float = 1.0,
) -> tuple[float, float, float]:
    """How likely a deal with this buyer (its window in days from the deal's date) is where
    the deal stands: ``weight`` times the odds of the stages it passed, and the chances that
    it is still open in its stage, live (bound for an outcome) or gone dark.

    In market with the stage not yet done, or dark and not closed out by the rules.
    """
    segment, sales = scenario.segments[deal.segment], scenario.sales
    stages = segment.stages
    first = stage_index(segment, deal.stage)
    duration = stages[first].duration
    opened, entered, spent = -deal.age, -deal.stage_age, deal.stage_age
    stall_recycles = scenario.recycle.stalled.enabled
    stall_ok = not stall_recycles or spent < sales.stall_after
    # A dark deal is closed out when it stalls, where stalled deals go back, else abandoned.
    dark_ok = spent < (sales.stall_after if stall_recycles else sales.abandon_after)
    in_market = buy_start <= opened and buy_end > entered
    if first > 0 and not in_market:  # the stages passed needed the buyer in market
        return 0.0, 0.0, 0.0
    for stage in stages[:first]:
        weight *= advance_odds(stage, segment.fit_effect, fit)[0]
    # The stage ends in an outcome (not going dark) before the window closes, after the
    # time spent; or the deal went dark in it, by its own odds or with the window.
    ends = sum(advance_odds(stages[first], segment.fit_effect, fit))
    within = duration.cdf(buy_end - entered) if in_market else 0.0
    live = ends * max(within - duration.cdf(spent), 0.0) if stall_ok else 0.0
    dark = 1.0 - ends * within if dark_ok else 0.0
    return weight * (live + dark), live, dark


def stage_length(
    scenario: Scenario,
    deal: OpenDeal,
    buy_end: float,
    live: float,
    dark: float,
    u_branch: float,
    u_stage: float,
) -> float:
    """How long the deal's stage lasts in all (from entering it), given its buyer's window
    closes at ``buy_end`` (days from the deal's date): live with chance ``live / (live +
    dark)``, then drawn past the time already spent; else dark (``inf``: it never ends)."""
    if not u_branch * (live + dark) < live:
        return math.inf
    stage = scenario.segments[deal.segment].stages[
        stage_index(scenario.segments[deal.segment], deal.stage)
    ]
    left = buy_end + deal.stage_age  # the window's close, from entering the stage
    return float(stage.duration.between(deal.stage_age, left, u_stage))


def stage_index(segment: Segment, name: str) -> int:
    """Where the stage ``name`` comes in the segment's stages."""
    return next(k for k, s in enumerate(segment.stages) if s.name == name)
