"""Lead sources: when leads arrive and what each lead is like.

Arrivals are a Poisson process whose rate is piecewise constant by day (weekly rate x the
month's seasonality x any campaign bursts), drawn for the whole horizon at once: no SimPy
event is spent on a lead that nurture never promotes. Every attribute of a lead is drawn
from streams keyed by (source, rank within source), so a policy that changes one source
leaves every other source's leads exactly as they were (common random numbers).
"""

from __future__ import annotations

import datetime as dt
import zlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from funnelsim.base.streams import Streams
from funnelsim.scenario.schema import Scenario, Source

SOURCE_KEY_SHIFT = 32
"""Lead keys are ``crc32(source name) << 32 | rank``: stable when sources are added or moved."""


def daily_rates(source: Source, start_date: dt.date, days: int) -> np.ndarray:
    """Expected arrivals on each simulated day."""
    rate = np.full(days, source.rate_per_week / 7.0)
    if source.seasonality is not None:
        months = (np.datetime64(start_date, "D") + np.arange(days)).astype("datetime64[M]")
        month_index = (months.astype(int) % 12).astype(int)  # 0 = January
        rate *= np.asarray(source.seasonality)[month_index]
    day = np.arange(days, dtype=float)
    for burst in source.bursts:
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


def generate_leads(scenario: Scenario, streams: Streams) -> Leads:
    """Draw every lead of the horizon, all sources merged in time order."""
    parts = [
        _source_leads(scenario, streams, s, name, source)
        for s, (name, source) in enumerate(scenario.sources.items())
    ]
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


def _source_leads(
    scenario: Scenario, streams: Streams, s: int, name: str, source: Source
) -> tuple[np.ndarray, ...]:
    """One source's leads, as the columns of :class:`Leads` in its field order."""
    until = scenario.horizon.length
    rates = daily_rates(source, scenario.start_date, int(np.ceil(until)))
    created = arrival_times(rates, streams.generator(f"arrivals/{name}"), until)
    n = created.size
    key = (np.uint64(zlib.crc32(name.encode())) << np.uint64(SOURCE_KEY_SHIFT)) + np.arange(
        n, dtype=np.uint64
    )

    def draw(stream: str) -> np.ndarray:
        return streams.lead_uniforms(f"lead/{stream}", key)

    segment = _segments(scenario, source, draw("segment"))
    start, end = _buying_window(scenario, created, segment, draw, source.in_market)
    return (
        key,
        created,
        np.full(n, s),
        segment,
        source.fit.sample(streams.generator(f"lead/{name}/fit"), n),
        source.interest.sample(streams.generator(f"lead/{name}/interest"), n),
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
