"""Shared fixtures."""

from __future__ import annotations

import pytest

import funnelsim
from tests.helpers import small


@pytest.fixture(scope="session")
def reference():
    return funnelsim.load_scenario()


@pytest.fixture(scope="session")
def small_run():
    return funnelsim.simulate(small("aligned"), seed=3, events=True)
