"""Lead sources: when leads arrive and what each lead is like.

Arrivals are a Poisson process whose rate is piecewise constant by day (weekly rate x the
month's seasonality x any campaign bursts), drawn for the whole horizon at once: no SimPy
event is spent on a lead that nurture never promotes. Every attribute of a lead is drawn
from streams keyed by (source, rank within source), so a policy that changes one source
leaves every other source's leads exactly as they were (common random numbers).

Leads are captured in an :class:`Era`: the run itself, or the history before it that a
steady-state start draws (:mod:`funnelsim.model.history`) on streams of its own, so the run's
leads are the same whichever way it starts.
"""

from __future__ import annotations

import datetime as dt
import zlib
from collections.abc import Callable
from dataclasses import dataclass, fields

import numpy as np

from funnelsim.base.streams import Streams
from funnelsim.scenario.fields import day_of
from funnelsim.scenario.schema import Scenario, Source

SOURCE_KEY_SHIFT = 32
"""Lead keys are ``crc32(source name) << 32 | rank``: stable when sources are added or moved."""


@dataclass(frozen=True)
class Era:
    """When leads are captured, and the streams and lead keys that draw them."""

    since: float  # simulated days; whole days, so that each day is a calendar date
    until: float
    prefix: str = ""  # of the names of the streams drawn in order (arrivals, fit, interest)
    first_rank: int = 0  # of the lead keys: the history's never meet the run's
    nurtured_only: bool = False  # prospects skip nurture: a steady start has none waiting
    bursts: bool = True  # campaign bursts and rate changes are dated in the run's own time
    # Which leads (by key and capture time) to draw further; the rest are never seen.
    keep: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None


def run_era(scenario: Scenario) -> Era:
    """The run's own leads: captured from time zero to the end of the horizon."""
    return Era(0.0, scenario.horizon.length)


def daily_rates(
    source: Source, start_date: dt.date, days: int, bursts: bool = True, run_start=None
) -> np.ndarray:
    """Expected arrivals on each simulated day from ``start_date``; with ``bursts``, the
    campaigns and rate changes of a run starting on ``run_start`` (``start_date`` if not
    given) too."""
    rate = np.full(days, source.rate_per_week / 7.0)
    if bursts and source.rate_changes:
        origin = run_start or start_date
        run_day = (start_date - origin).days + np.arange(days)
        for at, weekly in sorted(
            (day_of(c.at, origin), c.rate_per_week) for c in source.rate_changes
        ):
            rate[run_day >= at] = weekly / 7.0
    if source.seasonality is not None:
        months = (np.datetime64(start_date, "D") + np.arange(days)).astype("datetime64[M]")
        month_index = (months.astype(int) % 12).astype(int)  # 0 = January
        rate *= np.asarray(source.seasonality)[month_index]
    day = np.arange(days, dtype=float)
    for burst in source.bursts if bursts else ():
        # The share of each day the burst covers, so that a six-hour burst counts too.
        inside = np.clip(
            np.minimum(day + 1, burst.start + burst.length) - np.maximum(day, burst.start), 0, 1
        )
        rate *= 1.0 + (burst.factor - 1.0) * inside
    return rate


def arrival_times(rates: np.ndarray, rng: np.random.Generator, until: float) -> np.ndarray:
    """Sorted arrival times of a Poisson process with the given rate on each day."""
    counts = rng.poisson(rates)
    day = np.repeat(np.arange(len(rates), dtype=float), counts)
    times = np.sort(day + rng.random(day.size))
    return times[times < until]


@dataclass(frozen=True)
class Leads:
    """Every lead of a run, in order of arrival; the columns the model needs from capture."""

    key: np.ndarray  # stable per-lead key for per-lead random draws
    created: np.ndarray
    source: np.ndarray
    segment: np.ndarray
    fit: np.ndarray
    interest: np.ndarray
    buy_start: np.ndarray  # latent buying window
    buy_end: np.ndarray
    cost: np.ndarray

    def __len__(self) -> int:
        return len(self.created)

    def columns(self) -> tuple[np.ndarray, ...]:
        """The columns, in field order (``dataclasses.astuple`` would copy them)."""
        return tuple(getattr(self, f.name) for f in fields(self))

    def followed_by(self, later: Leads) -> Leads:
        """These leads, then ``later`` ones, all captured after the last of these."""
        return Leads(*map(np.concatenate, zip(self.columns(), later.columns(), strict=True)))

    def take(self, index: np.ndarray) -> Leads:
        """These leads, in the order of ``index``."""
        return Leads(*(column[index] for column in self.columns()))


def joined(parts: list[tuple[np.ndarray, ...]]) -> Leads:
    """Leads of several parts (their columns in field order), merged in time order."""
    columns = [np.concatenate(col) for col in zip(*parts, strict=True)]
    order = np.argsort(columns[1], kind="stable")
    key, created, source, segment, fit, interest, start, end, cost = (c[order] for c in columns)
    return Leads(
        key=key,
        created=created,
        source=source.astype(np.int16),
        segment=segment.astype(np.int16),
        fit=fit,
        interest=interest,
        buy_start=start,
        buy_end=end,
        cost=cost,
    )


def generate_leads(scenario: Scenario, streams: Streams, era: Era | None = None) -> Leads:
    """Draw every lead of an era (the run's, by default), all sources merged in time order."""
    era = era or run_era(scenario)
    return joined(
        [
            _source_leads(scenario, streams, s, name, source, era)
            for s, (name, source) in enumerate(scenario.sources.items())
            if not (era.nurtured_only and source.skips_nurture)
        ]
    )


def _source_leads(
    scenario: Scenario, streams: Streams, s: int, name: str, source: Source, era: Era
) -> tuple[np.ndarray, ...]:
    """One source's leads, as the columns of :class:`Leads` in its field order."""
    until = era.until - era.since
    first_day = scenario.start_date + dt.timedelta(days=era.since)
    rates = daily_rates(source, first_day, int(np.ceil(until)), era.bursts, scenario.start_date)
    arrivals = streams.generator(f"{era.prefix}arrivals/{name}")
    created = era.since + arrival_times(rates, arrivals, until)
    key = (np.uint64(zlib.crc32(name.encode())) << np.uint64(SOURCE_KEY_SHIFT)) + np.arange(
        era.first_rank, era.first_rank + created.size, dtype=np.uint64
    )
    if era.keep is not None:
        kept = era.keep(key, created)
        key, created = key[kept], created[kept]
    n = created.size

    def draw(stream: str) -> np.ndarray:
        return streams.lead_uniforms(f"lead/{stream}", key)

    segment = _segments(scenario, source, draw("segment"))
    start, end = _buying_window(scenario, created, segment, draw, source.in_market)
    return (
        key,
        created,
        np.full(n, s),
        segment,
        source.fit.sample(streams.generator(f"{era.prefix}lead/{name}/fit"), n),
        source.interest.sample(streams.generator(f"{era.prefix}lead/{name}/interest"), n),
        start,
        end,
        np.full(n, source.cost_per_lead),
    )


def _segments(scenario: Scenario, source: Source, u: np.ndarray) -> np.ndarray:
    """Each lead's segment, by inverse CDF over the source's segment mix."""
    segments = list(scenario.segments)
    shares = np.cumsum([source.segment_mix.get(seg, 0.0) for seg in segments])
    return np.minimum(np.searchsorted(shares / shares[-1], u, side="right"), len(segments) - 1)


def _buying_window(
    scenario: Scenario,
    created: np.ndarray,
    segment: np.ndarray,
    draw: Callable[[str], np.ndarray],
    in_market_share: float,
) -> tuple[np.ndarray, np.ndarray]:
    """When each lead's latent buying window opens and closes: at capture for a lead already
    in market, later for the rest; its length by segment (or the nurture default)."""
    window = scenario.nurture.buying_window
    in_market = draw("in_market") < in_market_share
    u_length = draw("window_length")
    length = np.empty(created.size)
    for k, seg in enumerate(scenario.segments.values()):
        spec = seg.buying_window or window.length
        length[segment == k] = spec.ppf(u_length[segment == k])
    start = np.where(in_market, created, created + window.start.ppf(draw("window_start")))
    return start, start + length
