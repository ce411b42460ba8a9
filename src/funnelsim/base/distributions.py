"""Distributions as data, parametrised the way people state them.

A scenario writes ``{lognormal: {median: 30d, p90: 90d}}`` rather than ``mu`` and ``sigma``.
Every spec turns into a vectorised inverse CDF (``ppf``): sampling is ``ppf(uniforms)``,
which keeps draws monotone in their uniforms, so common random numbers line up across
policies, and costs one NumPy/SciPy ufunc call per batch. The CDF (``cdf``) gives draws
conditional on a range (:meth:`Distribution.between`): how long the stage of a deal already
weeks in it lasts.
"""

from __future__ import annotations

import math
from functools import cached_property
from typing import Annotated, Generic, TypeVar

import numpy as np
from pydantic import Field, model_serializer, model_validator
from scipy import special

from funnelsim.base.strict import Frozen

V = TypeVar("V")
_Z90 = float(special.ndtri(0.9))


def _finite(name: str, value: float, squared: bool = False) -> None:
    """Refuse parameters whose derived figure (a range, a ratio) overflows to infinity."""
    if not math.isfinite(value * value if squared else value):
        raise ValueError(f"expected parameters whose {name} is a finite number, got {value}")


class Constant(Frozen, Generic[V]):
    value: V

    def ppf(self, u: np.ndarray) -> np.ndarray:
        return np.full(np.shape(u), float(self.value))

    def cdf(self, x: float) -> float:
        return float(x >= self.value)

    def mean(self) -> float:
        return float(self.value)


class Uniform(Frozen, Generic[V]):
    min: V
    max: V

    @model_validator(mode="after")
    def _ordered(self):
        if not self.min <= self.max:
            raise ValueError(f"expected min <= max, got min={self.min}, max={self.max}")
        _finite("max - min", self.max - self.min)
        return self

    def ppf(self, u: np.ndarray) -> np.ndarray:
        return self.min + (self.max - self.min) * np.asarray(u)

    def cdf(self, x: float) -> float:
        if self.max == self.min:
            return float(x >= self.min)
        return min(max((x - self.min) / (self.max - self.min), 0.0), 1.0)

    def mean(self) -> float:
        return (self.min + self.max) / 2


class Triangular(Frozen, Generic[V]):
    min: V
    mode: V
    max: V

    @model_validator(mode="after")
    def _ordered(self):
        if not (self.min <= self.mode <= self.max and self.min < self.max):
            raise ValueError(
                f"expected min <= mode <= max with min < max, "
                f"got {self.min}, {self.mode}, {self.max}"
            )
        _finite("max - min", self.max - self.min)
        return self

    def ppf(self, u: np.ndarray) -> np.ndarray:
        u = np.asarray(u)
        a, c, b = self.min, self.mode, self.max
        split = (c - a) / (b - a)
        left = a + np.sqrt(u * (b - a) * (c - a))
        right = b - np.sqrt((1 - u) * (b - a) * (b - c))
        return np.where(u < split, left, right)

    def cdf(self, x: float) -> float:
        a, c, b = self.min, self.mode, self.max
        if x <= a:
            return 0.0
        if x >= b:
            return 1.0
        if x <= c:
            return (x - a) ** 2 / ((b - a) * (c - a))
        return 1.0 - (b - x) ** 2 / ((b - a) * (b - c))

    def mean(self) -> float:
        return (self.min + self.mode + self.max) / 3


class Exponential(Frozen, Generic[V]):
    mean_: V = Field(alias="mean")

    @model_validator(mode="after")
    def _positive(self):
        if not self.mean_ > 0:
            raise ValueError(f"expected mean > 0, got {self.mean_}")
        return self

    def ppf(self, u: np.ndarray) -> np.ndarray:
        return -self.mean_ * np.log1p(-np.asarray(u))

    def cdf(self, x: float) -> float:
        return float(-np.expm1(-x / self.mean_)) if x > 0 else 0.0

    def mean(self) -> float:
        return float(self.mean_)


class Lognormal(Frozen, Generic[V]):
    median: V
    p90: V

    @model_validator(mode="after")
    def _ordered(self):
        if not 0 < self.median < self.p90:
            raise ValueError(f"expected 0 < median < p90, got median={self.median}, p90={self.p90}")
        _finite("p90 / median", self.p90 / self.median)
        return self

    @cached_property
    def sigma(self) -> float:
        """The log-scale spread; computed once, since ``ppf`` runs per stage of a deal."""
        return float(np.log(self.p90 / self.median) / _Z90)

    def ppf(self, u: np.ndarray) -> np.ndarray:
        return self.median * np.exp(self.sigma * special.ndtri(np.asarray(u)))

    def cdf(self, x: float) -> float:
        return float(special.ndtr(np.log(x / self.median) / self.sigma)) if x > 0 else 0.0

    def mean(self) -> float:
        return float(self.median * np.exp(self.sigma**2 / 2))


class Gamma(Frozen, Generic[V]):
    mean_: V = Field(alias="mean")
    sd: V

    @model_validator(mode="after")
    def _positive(self):
        if not (self.mean_ > 0 and self.sd > 0):
            raise ValueError(f"expected mean > 0 and sd > 0, got mean={self.mean_}, sd={self.sd}")
        _finite("mean / sd", self.mean_ / self.sd, squared=True)
        _finite("sd", self.sd, squared=True)  # the scale is sd**2 / mean
        return self

    def ppf(self, u: np.ndarray) -> np.ndarray:
        shape = (self.mean_ / self.sd) ** 2
        return special.gammaincinv(shape, np.asarray(u)) * (self.sd**2 / self.mean_)

    def cdf(self, x: float) -> float:
        shape = (self.mean_ / self.sd) ** 2
        return float(special.gammainc(shape, x * self.mean_ / self.sd**2)) if x > 0 else 0.0

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.gamma((self.mean_ / self.sd) ** 2, self.sd**2 / self.mean_, size=n)

    def mean(self) -> float:
        return float(self.mean_)


class Beta(Frozen, Generic[V]):
    """A probability-like quantity in [0, 1] by its mean and spread (standard deviation)."""

    mean_: float = Field(alias="mean", gt=0, lt=1)
    spread: float = Field(gt=0)

    @model_validator(mode="after")
    def _feasible(self):
        limit = (self.mean_ * (1 - self.mean_)) ** 0.5
        if not self.spread < limit:
            raise ValueError(
                f"expected spread < sqrt(mean*(1-mean)) = {limit:.3f} for mean {self.mean_}, "
                f"got {self.spread}"
            )
        return self

    def _ab(self) -> tuple[float, float]:
        k = self.mean_ * (1 - self.mean_) / self.spread**2 - 1
        return self.mean_ * k, (1 - self.mean_) * k

    def ppf(self, u: np.ndarray) -> np.ndarray:
        a, b = self._ab()
        return special.betaincinv(a, b, np.asarray(u))

    def cdf(self, x: float) -> float:
        return float(special.betainc(*self._ab(), min(max(x, 0.0), 1.0)))

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.beta(*self._ab(), size=n)  # many times faster than inverting the CDF

    def mean(self) -> float:
        return self.mean_


class Empirical(Frozen, Generic[V]):
    values: list[V] = Field(min_length=1)
    weights: list[float] | None = None

    @model_validator(mode="after")
    def _matching(self):
        if self.weights is not None:
            if len(self.weights) != len(self.values):
                raise ValueError(
                    f"expected as many weights as values ({len(self.values)}), "
                    f"got {len(self.weights)}"
                )
            if min(self.weights) < 0 or sum(self.weights) <= 0:
                raise ValueError("expected non-negative weights with a positive sum")
        return self

    def _cdf(self) -> np.ndarray:
        w = np.ones(len(self.values)) if self.weights is None else np.asarray(self.weights)
        return np.cumsum(w) / w.sum()

    def ppf(self, u: np.ndarray) -> np.ndarray:
        cdf = self._cdf()
        idx = np.minimum(np.searchsorted(cdf, np.asarray(u), side="right"), len(cdf) - 1)
        return np.asarray(self.values, dtype=float)[idx]

    def cdf(self, x: float) -> float:
        w = np.ones(len(self.values)) if self.weights is None else np.asarray(self.weights)
        return float(w[np.asarray(self.values, dtype=float) <= x].sum() / w.sum())

    def between(self, low: float, high: float, u: np.ndarray) -> np.ndarray:
        """Draws among the values in (low, high], in proportion to their weights (the values
        need not be sorted, so the general rule through ``cdf`` does not apply)."""
        values = np.asarray(self.values, dtype=float)
        w = np.ones(len(values)) if self.weights is None else np.asarray(self.weights, float)
        inside = (values > low) & (values <= high) & (w > 0)
        if not inside.any():
            return np.full(np.shape(u), float(low))
        cdf = np.cumsum(w[inside]) / w[inside].sum()
        pick = np.minimum(np.searchsorted(cdf, u, side="right"), len(cdf) - 1)
        return values[inside][pick]

    def mean(self) -> float:
        cdf = self._cdf()
        return float(np.dot(np.diff(np.concatenate([[0.0], cdf])), self.values))


_KINDS = (
    "constant",
    "uniform",
    "triangular",
    "exponential",
    "lognormal",
    "gamma",
    "beta",
    "empirical",
)
FAMILIES = frozenset(_KINDS)


class Distribution(Frozen, Generic[V]):
    """Exactly one of the named families, e.g. ``{exponential: {mean: 2h}}``."""

    constant: Constant[V] | None = None
    uniform: Uniform[V] | None = None
    triangular: Triangular[V] | None = None
    exponential: Exponential[V] | None = None
    lognormal: Lognormal[V] | None = None
    gamma: Gamma[V] | None = None
    beta: Beta[V] | None = None
    empirical: Empirical[V] | None = None

    @model_serializer(mode="wrap")
    def _only_the_family(self, handler):
        """Write ``{lognormal: {...}}``, not every family with the others null."""
        return {k: v for k, v in handler(self).items() if v is not None}

    @model_validator(mode="after")
    def _exactly_one(self):
        given = [k for k in _KINDS if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(
                f"expected exactly one distribution family ({', '.join(_KINDS)}), "
                f"got {given or 'none'}"
            )
        return self

    @cached_property
    def family(self) -> Constant | Uniform | Triangular | Exponential | Lognormal | Gamma | Beta:
        """The one family given; looked up once, since samplers ask for it in the hot path."""
        return next(getattr(self, k) for k in _KINDS if getattr(self, k) is not None)

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """Quantiles at ``u``: the sampler, fed with uniforms from a named stream."""
        return self.family.ppf(u)

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` draws from a sequential stream; the family's fastest exact sampler."""
        family = self.family
        if hasattr(family, "sample"):
            return family.sample(rng, n)
        return family.ppf(rng.random(n))

    def cdf(self, x: float) -> float:
        """The probability of a draw at most ``x``."""
        return self.family.cdf(x)

    def between(self, low: float, high: float, u: np.ndarray) -> np.ndarray:
        """Draws conditional on lying in (``low``, ``high``], from the uniforms ``u``: the
        whole length of a spell already ``low`` long, say. ``low`` itself where the
        distribution has no mass there."""
        family = self.family
        if hasattr(family, "between"):
            return family.between(low, high, u)
        below, above = family.cdf(low), family.cdf(high)
        if not above > below:
            return np.full(np.shape(u), float(low))
        # Quantiles of the mass inside, kept short of 1, whose quantile may be infinite.
        q = np.minimum(below + np.asarray(u) * (above - below), math.nextafter(1.0, 0.0))
        return np.clip(family.ppf(q), low, high)

    def mean(self) -> float:
        return self.family.mean()


Probability = Annotated[float, Field(ge=0, le=1)]


def non_negative(dist: Distribution) -> Distribution:
    """``dist``, if it can only draw values >= 0 (durations, money)."""
    family = dist.family
    low = getattr(family, "min", getattr(family, "value", None))
    if low is not None and low < 0:
        raise ValueError("expected a distribution of non-negative values")
    if getattr(family, "values", None) is not None and min(family.values) < 0:
        raise ValueError("expected a distribution of non-negative values")
    return dist


def on_unit_interval(dist: Distribution) -> Distribution:
    """``dist``, if it can only draw values in [0, 1] (fit, interest)."""
    family = dist.family
    bounds = [getattr(family, k, None) for k in ("min", "max", "value")]
    bounds += list(getattr(family, "values", None) or [])
    if any(b is not None and not 0 <= b <= 1 for b in bounds) or dist.exponential or dist.gamma:
        raise ValueError("expected a distribution on [0, 1] (beta, uniform, triangular, ...)")
    if dist.lognormal is not None:
        raise ValueError("expected a distribution on [0, 1]; lognormal is unbounded")
    return dist
