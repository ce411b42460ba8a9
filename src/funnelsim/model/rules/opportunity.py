"""An opportunity's fate: its path through the segment's stages, and how it resolves.

The whole path is sampled when it opens (stage durations and outcomes), because nothing that
happens meanwhile changes it. A stage advances only while the buyer is in market; if the
buying window closes before a stage completes, the deal goes dark at the start of that stage.
Stall detection sees a deal with no progress for ``stall_after``: a dark one, or one in a slow
stage.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from funnelsim.scenario.schema import Sales, Segment, Stage


@dataclass(frozen=True)
class Path:
    """How an opportunity would play out if left alone."""

    outcome: str  # won, lost, no_decision or dark
    ends_at: float  # close time; for a dark deal, its last progress
    stalls_at: float  # first moment with stall_after of no progress (inf if never)
    stages: list[tuple[str, float]]  # stages completed, with when


def advance_odds(stage: Stage, fit_effect: float, fit: float) -> tuple[float, float, float]:
    """Stage outcome chances for this lead: fit moves the log-odds of advancing."""
    p = stage.advance
    if 0.0 < p < 1.0 and fit_effect:
        p = 1.0 / (1.0 + math.exp(-(math.log(p / (1 - p)) + fit_effect * (fit - 0.5))))
    rest = 1.0 - stage.advance  # lost, no decision and dark keep their proportions
    scale = (1.0 - p) / rest if rest > 0 else 0.0
    return p, stage.lost * scale, stage.no_decision * scale


def opportunity_path(
    segment: Segment,
    sales: Sales,
    opened: float,
    fit: float,
    buy_start: float,
    buy_end: float,
    u_duration: Sequence[float],
    u_outcome: Sequence[float],
    first: int = 0,
    first_length: float | None = None,
) -> Path:
    """Sample an opportunity's path from its uniforms (one of each per stage).

    Only the stages the deal reaches are sampled: most deals end before their last stage.
    A deal open before the run (:mod:`funnelsim.model.pipeline`) starts at stage ``first``,
    entered at ``opened``, which lasts ``first_length``, drawn with the buyer's state.
    """
    t, stalls_at, done = opened, math.inf, []
    stages = segment.stages
    last = len(stages) - 1
    for k in range(first, last + 1):
        stage = stages[k]
        if k == first and first_length is not None:
            end = t + first_length
        else:
            end = t + float(stage.duration.ppf(u_duration[k]))
        if not (buy_start <= t and end < buy_end):
            return Path("dark", t, min(stalls_at, t + sales.stall_after), done)
        if end - t > sales.stall_after:
            stalls_at = min(stalls_at, t + sales.stall_after)
        advance, lost, no_decision = advance_odds(stage, segment.fit_effect, fit)
        u = u_outcome[k]
        if u < advance:
            done.append((stage.name, end))
            if k == last:
                return Path("won", end, stalls_at, done)
            t = end
        elif u < advance + lost:
            return Path("lost", end, stalls_at, done)
        elif u < advance + lost + no_decision:
            return Path("no_decision", end, stalls_at, done)
        else:
            return Path("dark", t, min(stalls_at, t + sales.stall_after), done)
    raise AssertionError("unreachable: the last stage always returns")  # pragma: no cover


def deal_value(segment: Segment, u_duration: Sequence[float]) -> float:
    """The deal's value, from the uniform drawn after the stage durations'."""
    return float(segment.deal_size.ppf(u_duration[len(segment.stages)]))


def resolution(path: Path, sales: Sales, stall_recycles: bool) -> tuple[float, str]:
    """When the opportunity leaves the pipeline, and how.

    Stalled, when stalled deals are recycled and it stalls before it closes; abandoned, when
    it went dark, ``abandon_after`` its last progress; else its path's close.
    """
    closes = path.ends_at if path.outcome != "dark" else math.inf
    if stall_recycles and path.stalls_at < closes:
        return path.stalls_at, "stalled"
    if path.outcome == "dark":
        return path.ends_at + sales.abandon_after, "abandoned"
    return path.ends_at, path.outcome


def passed_stages(stages: list[tuple[str, float]], now: float) -> list[tuple[str, float]]:
    """The stages of a path completed by ``now``, when the deal resolves (a stalled one's
    path goes on past it)."""
    return [(name, t) for name, t in stages if t <= now]
