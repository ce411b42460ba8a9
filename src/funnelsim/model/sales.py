"""Sales: opportunities move through segment stages; AEs hold a capped number open.

An opportunity's whole path is sampled when it opens (stage durations and outcomes), because
nothing that happens meanwhile changes it: the model then spends one SimPy event on it, when
it resolves. Its uniforms are drawn earlier, with the SDR spell that may lead to it
(:func:`deal_counters`), a batch of spells at a time. A stage advances only while the buyer is in
market; if the buying window closes before a stage completes, the deal goes dark at the start
of that stage. Stall detection sees a deal with no progress for ``stall_after``: a dark one,
or one in a slow stage.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from funnelsim.scenario.schema import Sales, Segment, Stage

OPPORTUNITY_DRAWS = 64
"""Counters per opportunity: durations and value from 0, outcomes from 32 (30 stages at most)."""


@dataclass(frozen=True)
class Path:
    """How an opportunity would play out if left alone."""

    outcome: str  # won, lost, no_decision or dark
    ends_at: float  # close time; for a dark deal, its last progress
    stalls_at: float  # first moment with stall_after of no progress (inf if never)
    stages: list[tuple[str, float]]  # stages completed, with when


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


def _advance_odds(stage: Stage, fit_effect: float, fit: float) -> tuple[float, float, float]:
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
) -> Path:
    """Sample an opportunity's path from its uniforms (one of each per stage).

    Only the stages the deal reaches are sampled: most deals end before their last stage.
    """
    t, stalls_at, done = opened, math.inf, []
    last = len(segment.stages) - 1
    for k, stage in enumerate(segment.stages):
        end = t + float(stage.duration.ppf(u_duration[k]))
        if not (buy_start <= t and end < buy_end):
            return Path("dark", t, min(stalls_at, t + sales.stall_after), done)
        if end - t > sales.stall_after:
            stalls_at = min(stalls_at, t + sales.stall_after)
        advance, lost, no_decision = _advance_odds(stage, segment.fit_effect, fit)
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


class AePool:
    """AEs with a cap on open opportunities each; SQLs wait in order when all are full."""

    def __init__(self, sales: Sales):
        self.open = [0] * sales.ae_count
        self.cap = sales.max_open_per_ae
        # Rows of the ledger's opportunities, with their uniforms (a row of deal_counters').
        self.waiting: deque[tuple[list, np.ndarray]] = deque()

    def assign(self) -> int | None:
        """The least-loaded AE with room, or None when every AE is at the cap."""
        load = self.open
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
