"""Sampled designs: where in the factors' intervals an experiment's points fall.

Every design samples the unit cube, one column per factor, and each factor maps its column
onto its interval (:meth:`~funnelsim.base.intervals.Interval.at`). A Latin hypercube spreads
points for a sweep (scipy.stats.qmc); Morris trajectories and Sobol' (Saltelli) samples are
SALib's, laid out for the sensitivity indices SALib computes from them
(:mod:`funnelsim.analysis.sensitivity`).
"""

from __future__ import annotations

import numpy as np
from pydantic import Field, model_validator
from scipy.stats import qmc

from funnelsim.base.strict import Frozen

MAX_POINTS = 10_000
"""The most scenarios an experiment may resolve (sweep points x policies): each is resolved
and checked before anything runs, about a minute for the most."""


class LatinHypercube(Frozen):
    """``points`` samples over the factors' intervals (scipy.stats.qmc), seeded for repeats."""

    points: int = Field(ge=1, le=MAX_POINTS)
    seed: int | None = Field(default=None, ge=0)

    def unit(self, factors: int, seed: int) -> np.ndarray:
        rng = np.random.default_rng(np.random.SeedSequence(seed))
        return qmc.LatinHypercube(d=factors, rng=rng).random(self.points)

    def count(self, factors: int) -> int:
        return self.points


class Morris(Frozen):
    """Morris elementary effects: ``trajectories`` one-at-a-time paths over a ``levels`` grid."""

    trajectories: int = Field(ge=2, le=1000)
    levels: int = Field(default=4, ge=2, le=20)
    seed: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _even(self) -> Morris:
        if self.levels % 2:
            raise ValueError(f"expected an even number of levels, got {self.levels}")
        return self

    def unit(self, factors: int, seed: int) -> np.ndarray:
        from SALib.sample import morris

        return morris.sample(unit_problem(factors), self.trajectories, self.levels, seed=seed)

    def count(self, factors: int) -> int:
        return self.trajectories * (factors + 1)


class Sobol(Frozen):
    """Sobol' indices from Saltelli's scheme: ``samples`` base points (a power of two)."""

    samples: int = Field(ge=2, le=MAX_POINTS)
    seed: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _power_of_two(self) -> Sobol:
        if self.samples & (self.samples - 1):
            raise ValueError(
                f"expected a power of two (8, 16, 32, ...) for a balanced Sobol' sequence, "
                f"got {self.samples}"
            )
        return self

    def unit(self, factors: int, seed: int) -> np.ndarray:
        from SALib.sample import sobol

        problem = unit_problem(factors)
        return sobol.sample(problem, self.samples, calc_second_order=False, seed=seed)

    def count(self, factors: int) -> int:
        return self.samples * (factors + 2)


class Design(Frozen):
    """One sampled design: a Latin hypercube, Morris trajectories or a Sobol' sample."""

    latin_hypercube: LatinHypercube | None = None
    morris: Morris | None = None
    sobol: Sobol | None = None

    @model_validator(mode="after")
    def _one(self) -> Design:
        if sum(d is not None for d in (self.latin_hypercube, self.morris, self.sobol)) != 1:
            raise ValueError("expected exactly one of latin_hypercube, morris or sobol")
        return self

    @property
    def sample(self) -> LatinHypercube | Morris | Sobol:
        return self.latin_hypercube or self.morris or self.sobol  # type: ignore[return-value]


def unit_problem(factors: int) -> dict:
    """SALib's description of ``factors`` inputs on the unit interval each."""
    return {
        "num_vars": factors,
        "names": [f"x{k}" for k in range(factors)],
        "bounds": [[0, 1]] * factors,
    }
