"""Shared fixtures: small scenarios built from the reference by overrides."""

from __future__ import annotations

import pytest

import funnelsim


@pytest.fixture(scope="session")
def reference():
    return funnelsim.load_scenario()


def small(policy: str | None = None, **overrides):
    """The reference scenario cut to a short horizon, for fast tests."""
    base = {"horizon.length": "30w", "horizon.warmup": "4w"}
    return funnelsim.load_scenario(policy=policy, overrides=base | overrides)


@pytest.fixture(scope="session")
def small_run():
    return funnelsim.simulate(small("aligned"), seed=3, events=True)
