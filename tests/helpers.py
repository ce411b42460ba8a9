"""Small scenarios for fast tests, and the queueing formulas they are checked against."""

from __future__ import annotations

import math

import pytest

import funnelsim
from funnelsim.errors import Problem

SHORT = {"horizon.length": "12w", "horizon.warmup": "2w", "horizon.settle": "0w"}
"""A horizon short enough for experiment tests: ten measured weeks, from the history's nurture
pool without a pilot (a settled start's year of pilot would dwarf the run; tests of the
settled start itself are in tests/model/test_settled.py)."""
SHORT_ARGS = [arg for key, value in SHORT.items() for arg in ("--set", f"{key}={value}")]
"""The same horizon as the command line's ``--set`` options."""


def small(policy: str | None = None, **overrides):
    """The reference scenario cut to a short horizon, for fast tests: from the history's
    nurture pool, without a pilot to settle the rest (its year would dwarf the run)."""
    base = {"horizon.length": "30w", "horizon.warmup": "4w", "horizon.settle": "0w"}
    return funnelsim.load_scenario(policy=policy, overrides=base | overrides)


def erlang_c(c: int, offered: float) -> float:
    """Probability that an arrival waits in M/M/c with ``offered`` = lambda / mu (Erlangs)."""
    top = offered**c / math.factorial(c) * c / (c - offered)
    return top / (sum(offered**k / math.factorial(k) for k in range(c)) + top)


def problems(path=None, **kwargs) -> list[Problem]:
    """The problems :func:`funnelsim.load_scenario` reports (it must report some)."""
    with pytest.raises(funnelsim.ScenarioError) as info:
        funnelsim.load_scenario(path, **kwargs)
    assert info.value.problems, "a ScenarioError without problems"
    return info.value.problems
