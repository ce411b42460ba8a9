"""Finding the cheapest plan whose chance of reaching the target is at least the one asked.

The chance grows with every lever (more heads, more leads never make the target harder to
reach under common random numbers), so along one lever the cheapest feasible level is found
by bracketing and bisection. Several levers are searched in three stages:

1. a coarse design: each lever at its low, middle and high level (a full factorial up to three
   levers, a Latin hypercube beyond), at half the replications;
2. a local search from the cheapest feasible point of the design (climbing a step on every
   lever while it misses at the full replications): each lever lowered as far as it goes with
   the others held, then trades (one lever lowered by a quarter of its steps, the
   others raised as little as needed), kept when they cost less, until none does. Spend is
   close to linear in the levers (heads cost by the year, leads by the lead), so a plane fitted
   to the design's spends bounds each trade: a lever is raised only as far as the trade can
   still save;
3. a final check of the pick and its cheaper neighbours (each lever one step down) with more
   replications, allocated sequentially to the candidate whose feasibility is least certain,
   in the spirit of OCBA for constrained selection (Lee et al. 2012), until the probability of
   correct selection reaches 95% or the budget is spent; if none of them reaches the chance
   asked at these replications, the check moves a step up on every lever.

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
"""A trade lowers one lever by this share of its steps above its low bound (at least one)."""
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
    objective: str = "spend"  # the Estimate field a cheaper plan has less of
    plane: np.ndarray | None = None  # cost = plane @ (1, levels...), fitted on the design

    def cost(self, estimate: Estimate) -> float:
        return getattr(estimate, self.objective)

    def levels(self, ks: Sequence[int]) -> Levels:
        return tuple(lever.at(k) for lever, k in zip(self.levers, ks, strict=True))

    @property
    def top(self) -> list[int]:
        return [lever.levels - 1 for lever in self.levers]

    def probe(self, stage: str, ks: Sequence[int], reps: int | None = None) -> Estimate:
        """The plan at grid indices ``ks`` over its first ``reps`` replications (run if
        need be): every decision of the search reads these, never more."""
        levels, reps = self.levels(ks), reps or self.reps
        self.evaluator.run([levels], reps)
        self.probes.append((stage, levels))
        return self.evaluator.estimate(levels, reps=reps)

    def feasible(self, stage: str, ks: Sequence[int], reps: int | None = None) -> bool:
        return self.probe(stage, ks, reps).chance >= self.probability

    def smallest(self, stage: str, ks: Sequence[int], i: int, lo: int, hi: int) -> int | None:
        """The smallest index of lever ``i`` in ``[lo, hi]`` with the others at ``ks`` that is
        feasible; ``None`` if ``hi`` is not."""
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

    def climb(self, stage: str, ks: Sequence[int], reps: int) -> list[int] | None:
        """``ks`` if feasible over ``reps`` replications, else the first plan that is on the
        way to every lever's high bound, one step on each lever at a time; ``None`` if even
        the high bounds miss."""
        ks = list(ks)
        while not self.feasible(stage, ks, reps):
            if ks == self.top:
                return None
            ks = self.up(ks)
        return ks

    def up(self, ks: Sequence[int]) -> list[int]:
        """One step up on every lever not at its high bound."""
        return [min(k + 1, top) for k, top in zip(ks, self.top, strict=True)]

    def cheapest(self) -> Levels | None:
        """The search's pick before the final check; ``None`` when even every lever at its
        high bound misses the chance asked."""
        if len(self.levers) == 1:
            k = self.smallest("bisection", self.top, 0, 0, self.top[0])
            return None if k is None else self.levels([k])
        coarse = self.coarse()
        feasible = [e for e in coarse if e.chance >= self.probability]
        if not feasible:
            return None
        best = min(feasible, key=self.cost)
        start = [lever.index(level) for lever, level in zip(self.levers, best.levels, strict=True)]
        ks = self.climb("local search", start, self.reps)  # the design ran half as many
        return None if ks is None else self.levels(self.local(ks))

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
            grid.append(self.top)
        plans = [self.levels(ks) for ks in grid]
        reps = max(self.reps // 2, 4)
        self.evaluator.run(plans, reps)
        self.probes += [("coarse design", levels) for levels in plans]
        found = [self.evaluator.estimate(levels, reps=reps) for levels in plans]
        design = np.column_stack([np.ones(len(plans)), np.array(plans)])
        self.plane = np.linalg.lstsq(design, [self.cost(e) for e in found], rcond=None)[0]
        return found

    def dearest(self, current: Sequence[int], down: Sequence[int], j: int) -> int:
        """The highest index of lever ``j`` (the others as in ``down``) at which the plane
        fitted to the design's spends says the plan still costs less than ``current``; -1
        when none does."""
        lever, plane = self.levers[j], self.plane
        at = np.array([1.0, *self.levels(down)])
        at[1 + j] = lever.low
        room = float(plane @ np.array([1.0, *self.levels(current)]) - plane @ at)
        slope = plane[1 + j] * lever.step
        if room <= 0:
            return -1
        if slope <= 0:
            return lever.levels - 1
        return min(lever.levels - 1, math.ceil(room / slope) - 1)

    def local(self, ks: list[int]) -> list[int]:
        """Lower each lever as far as it goes, then trade, while the plan gets cheaper."""
        for _ in range(ROUNDS):
            improved = False
            for i in range(len(ks)):
                k = self.smallest("local search", ks, i, 0, ks[i])
                if k is not None and k < ks[i]:
                    ks = [*ks[:i], k, *ks[i + 1 :]]
            spend = self.cost(self.probe("local search", ks))
            for i, j in itertools.permutations(range(len(ks)), 2):
                if ks[i] == 0:
                    continue
                down = [*ks]
                down[i] = max(0, ks[i] - max(1, round(TRADE * ks[i])))
                top = self.dearest(ks, down, j)
                if top <= ks[j]:
                    continue  # raising lever j at all costs what lowering i saves
                k = self.smallest("trade", down, j, ks[j] + 1, top)
                if k is None:
                    continue
                down[j] = k
                cost = self.cost(self.probe("trade", down))
                if cost < spend:
                    ks, spend, improved = down, cost, True
            if not improved:
                break
        return ks

    def final(self, pick: Levels) -> tuple[Levels | None, float, list[Estimate]]:
        """The final check: the pick and the plans one step cheaper on each lever, run to
        ``final_reps``, then replications added where feasibility is least certain. If none
        of them reaches the chance asked, the check moves a step up on every lever and
        starts again. Returns the pick after the check (``None``: nothing up to the high
        bounds reaches it), its probability of correct selection and every candidate."""
        ks = [lever.index(level) for lever, level in zip(self.levers, pick, strict=True)]
        near = [self.levels(ks)]
        near += [self.levels([*ks[:i], k - 1, *ks[i + 1 :]]) for i, k in enumerate(ks) if k > 0]
        given = dict.fromkeys(near, self.final_reps)  # what the check asked of each
        self.evaluator.run(near, self.final_reps)
        self.probes += [("final check", levels) for levels in near]
        while True:
            found = sorted(
                (self.evaluator.estimate(lv, reps=n) for lv, n in given.items()),
                key=self.cost,
            )
            chosen, pcs, doubt = selection(found, self.probability, self.max_reps)
            if chosen is None:
                if ks == self.top:
                    return None, 0.0, found
                return self.final(self.levels(self.up(ks)))
            if pcs >= PCS_WANTED or doubt is None:
                return chosen.levels, pcs, found
            given[doubt.levels] = min(doubt.runs + self.final_reps, self.max_reps)
            self.evaluator.run([doubt.levels], given[doubt.levels])


def feasible_odds(estimate: Estimate, probability: float) -> float:
    """The posterior chance that the plan's true chance is at least ``probability``."""
    misses = estimate.runs - estimate.hits
    return float(beta.sf(probability, estimate.hits + 0.5, misses + 0.5))


def selection(
    found: Sequence[Estimate], probability: float, most: int
) -> tuple[Estimate | None, float, Estimate | None]:
    """The cheapest candidate that reaches ``probability`` (``found`` is sorted by spend), the
    probability that it is the right pick, and, among it and those cheaper with fewer than
    ``most`` replications, the one whose feasibility is least certain (where more
    replications help most; ``None`` when every one has had ``most``)."""
    odds = np.array([feasible_odds(e, probability) for e in found])
    picks = [k for k, e in enumerate(found) if e.chance >= probability]
    if not picks:
        return None, 0.0, None
    k = picks[0]
    pcs = float(odds[k] * np.prod(1 - odds[:k]))
    doubt = odds[: k + 1] * (1 - odds[: k + 1])
    doubt[[e.runs >= most for e in found[: k + 1]]] = -1.0
    least = int(np.argmax(doubt))
    return found[k], pcs, (found[least] if doubt[least] >= 0 else None)
