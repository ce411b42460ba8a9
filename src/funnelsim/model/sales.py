"""Sales capacity and an opportunity's draws: AEs hold a capped number of deals open.

An opportunity's path is a rule (:mod:`funnelsim.model.rules.opportunity`) sampled when it
opens from uniforms drawn earlier, with the SDR spell that may lead to it
(:func:`deal_counters`), a batch of spells at a time.
"""

from __future__ import annotations

from collections import deque

import numpy as np

from funnelsim.scenario.schema import Sales

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
