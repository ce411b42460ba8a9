"""Small scenarios for fast tests, and the queueing formulas they are checked against."""

from __future__ import annotations

import math

import funnelsim


def small(policy: str | None = None, **overrides):
    """The reference scenario cut to a short horizon, for fast tests."""
    base = {"horizon.length": "30w", "horizon.warmup": "4w"}
    return funnelsim.load_scenario(policy=policy, overrides=base | overrides)


def erlang_c(c: int, offered: float) -> float:
    """Probability that an arrival waits in M/M/c with ``offered`` = lambda / mu (Erlangs)."""
    top = offered**c / math.factorial(c) * c / (c - offered)
    return top / (sum(offered**k / math.factorial(k) for k in range(c)) + top)
