"""Finding the cheapest plan whose chance of reaching the target is at least the one asked.

The chance grows with every lever (more heads, more leads never make the target harder to
reach under common random numbers), so along one lever the cheapest feasible level is found
by bracketing and bisection. Several levers are searched in three stages:

1. a coarse design: each lever at its low, middle and high level (a full factorial up to three
   levers, a Latin hypercube beyond), at half the replications;
2. a local search from the cheapest feasible point of the design: each lever lowered as far as
   it goes with the others held, then trades (one lever lowered by a quarter of its level, the
   others raised as little as needed), kept when they cost less, until none does. Spend is
   close to linear in the levers (heads cost by the year, leads by the lead), so a plane fitted
   to the design's spends bounds each trade: a lever is raised only as far as the trade can
   still save;
3. a final check of the pick and its cheaper neighbours (each lever one step down) with more
   replications, allocated sequentially to the candidate whose feasibility is least certain,
   as OCBA for constrained selection allocates (Lee et al. 2012), until the probability of
   correct selection reaches 95% or the budget is spent.

The probability of correct selection is Bayesian: each candidate's chance has a Jeffreys
posterior, Beta(hits + 1/2, misses + 1/2); the pick is correct when it is feasible and every
cheaper candidate is not.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.stats import beta, qmc

from funnelsim.analysis.planning.evaluate import Estimate, Evaluator, Levels
from funnelsim.analysis.planning.levers import Lever

PCS_WANTED = 0.95
TRADE = 0.25
"""A trade lowers one lever by this share of its level (at least one step)."""
ROUNDS = 3
"""Rounds of the local search at most."""
FACTORIAL_UP_TO = 3
"""Levers a coarse full factorial covers; beyond, a Latin hypercube of 4 points per lever."""


@dataclass
class Search:
    """The search's probes, and the evaluator that runs them."""

    evaluator: Evaluator
    levers: tuple[Lever, ...]
    probability: float
    reps: int
    final_reps: int
    max_reps: int
    probes: list[tuple[str, Levels]] = field(default_factory=list)
    plane: np.ndarray | None = None  # spend = plane @ (1, levels...), fitted on the design

    def levels(self, ks: Sequence[int]) -> Levels:
        return tuple(lever.at(k) for lever, k in zip(self.levers, ks, strict=True))

    def probe(self, stage: str, ks: Sequence[int], reps: int | None = None) -> Estimate:
        levels = self.levels(ks)
        self.evaluator.run([levels], reps or self.reps)
        self.probes.append((stage, levels))
        return self.evaluator.estimate(levels)

    def feasible(self, stage: str, ks: Sequence[int]) -> bool:
        return self.probe(stage, ks).chance >= self.probability

    def smallest(self, stage: str, ks: Sequence[int], i: int, lo: int, hi: int) -> int | None:
        """The smallest index of lever ``i`` in ``[lo, hi]`` with the others at ``ks`` that is
        feasible, ``hi`` known or assumed to be; ``None`` if ``hi`` is not."""
        at = list(ks)

        def ok(k: int) -> bool:
            at[i] = k
            return self.feasible(stage, at)

        if not ok(hi):
            return None
        if ok(lo):
            return lo
        while hi - lo > 1:  # lo infeasible, hi feasible
            mid = (lo + hi) // 2
            lo, hi = (lo, mid) if ok(mid) else (mid, hi)
        return hi

    def cheapest(self) -> tuple[Levels, Estimate] | None:
        """The search's pick before the final check; ``None`` when even every lever at its
        high bound misses the chance asked."""
        top = [lever.levels - 1 for lever in self.levers]
        if len(self.levers) == 1:
            k = self.smallest("bisection", top, 0, 0, top[0])
            return (
                None if k is None else (self.levels([k]), self.evaluator.estimate(self.levels([k])))
            )
        coarse = self.coarse()
        feasible = [e for e in coarse if e.chance >= self.probability]
        if not feasible:
            return None
        best = min(feasible, key=lambda e: e.spend)
        ks = [lever.index(level) for lever, level in zip(self.levers, best.levels, strict=True)]
        ks = self.local(ks)
        return self.levels(ks), self.evaluator.estimate(self.levels(ks))

    def coarse(self) -> list[Estimate]:
        """The coarse design at half the replications, the all-high corner always in it."""
        d = len(self.levers)
        if d <= FACTORIAL_UP_TO:
            axes = [sorted({0, (lv.levels - 1) // 2, lv.levels - 1}) for lv in self.levers]
            grid = [list(ks) for ks in itertools.product(*axes)]
        else:
            unit = qmc.LatinHypercube(d, seed=self.evaluator.setting.seed).random(4 * d)
            grid = [
                [round(u * (lv.levels - 1)) for u, lv in zip(row, self.levers, strict=True)]
                for row in unit
            ]
            grid.append([lv.levels - 1 for lv in self.levers])
        plans = [self.levels(ks) for ks in grid]
        reps = max(self.reps // 2, 4)
        self.evaluator.run(plans, reps)
        self.probes += [("coarse design", levels) for levels in plans]
        found = [self.evaluator.estimate(levels) for levels in plans]
        design = np.column_stack([np.ones(len(plans)), np.array(plans)])
        self.plane = np.linalg.lstsq(design, [e.spend for e in found], rcond=None)[0]
        return found

    def dearest(self, ks: Sequence[int], j: int, spend: float) -> int:
        """The highest index of lever ``j`` (the others at ``ks``) whose plan the fitted plane
        says costs less than ``spend``; -1 when none does."""
        lever, plane = self.levers[j], self.plane
        at = np.array([1.0, *self.levels(ks)])
        at[1 + j] = lever.low
        slope = plane[1 + j] * lever.step
        room = spend - float(plane @ at)
        if room <= 0:
            return -1
        if slope <= 0:
            return lever.levels - 1
        return min(lever.levels - 1, math.ceil(room / slope) - 1)

    def local(self, ks: list[int]) -> list[int]:
        """Lower each lever as far as it goes, then trade, while the plan gets cheaper."""
        spend = self.probe("local search", ks).spend
        for _ in range(ROUNDS):
            improved = False
            for i in range(len(ks)):
                k = self.smallest("local search", ks, i, 0, ks[i])
                if k is not None and k < ks[i]:
                    ks = [*ks[:i], k, *ks[i + 1 :]]
                    spend = self.evaluator.estimate(self.levels(ks)).spend
            for i, j in itertools.permutations(range(len(ks)), 2):
                if ks[i] == 0:
                    continue
                down = [*ks]
                down[i] = max(0, ks[i] - max(1, round(TRADE * ks[i])))
                top = self.dearest(down, j, spend)
                if top <= ks[j]:
                    continue  # raising lever j at all costs what lowering i saves
                k = self.smallest("trade", down, j, ks[j] + 1, top)
                if k is None:
                    continue
                down[j] = k
                cost = self.evaluator.estimate(self.levels(down)).spend
                if cost < spend:
                    ks, spend, improved = down, cost, True
            if not improved:
                break
        return ks

    def final(self, pick: Levels) -> tuple[Levels, float, list[Estimate]]:
        """The final check: the pick, and the plans one step cheaper on each lever, run to
        ``final_reps``, then replications added where feasibility is least certain. Returns
        the pick after the check, its probability of correct selection and every candidate."""
        ks = [lever.index(level) for lever, level in zip(self.levers, pick, strict=True)]
        near = [pick]
        for i, k in enumerate(ks):
            if k > 0:
                near.append(self.levels([*ks[:i], k - 1, *ks[i + 1 :]]))
        self.evaluator.run(near, self.final_reps)
        self.probes += [("final check", levels) for levels in near]
        while True:
            found = sorted((self.evaluator.estimate(lv) for lv in near), key=lambda e: e.spend)
            chosen, pcs, doubt = selection(found, self.probability)
            if pcs >= PCS_WANTED or doubt is None or doubt.runs >= self.max_reps:
                return (chosen.levels if chosen else pick), pcs, found
            self.evaluator.run([doubt.levels], min(doubt.runs + self.final_reps, self.max_reps))


def feasible_odds(estimate: Estimate, probability: float) -> float:
    """The posterior chance that the plan's true chance is at least ``probability``."""
    misses = estimate.runs - estimate.hits
    return float(beta.sf(probability, estimate.hits + 0.5, misses + 0.5))


def selection(
    found: Sequence[Estimate], probability: float
) -> tuple[Estimate | None, float, Estimate | None]:
    """The cheapest candidate that reaches ``probability`` (``found`` is sorted by spend), the
    probability that it is the right pick, and the candidate whose feasibility is least certain
    among it and those cheaper (where more replications help most)."""
    odds = np.array([feasible_odds(e, probability) for e in found])
    picks = [k for k, e in enumerate(found) if e.chance >= probability]
    if not picks:
        return None, 0.0, None
    k = picks[0]
    pcs = float(odds[k] * np.prod(1 - odds[:k]))
    doubt = int(np.argmax(odds[: k + 1] * (1 - odds[: k + 1])))
    return found[k], pcs, found[doubt]
