"""Small scenarios for fast tests, built from the bundled reference by overrides."""

from __future__ import annotations

import funnelsim


def small(policy: str | None = None, **overrides):
    """The reference scenario cut to a short horizon, for fast tests."""
    base = {"horizon.length": "30w", "horizon.warmup": "4w"}
    return funnelsim.load_scenario(policy=policy, overrides=base | overrides)
