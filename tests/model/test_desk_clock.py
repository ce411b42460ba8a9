"""The SDR desk keeps its own clock, ahead of SimPy's, yet nothing reaches it out of time."""

from __future__ import annotations

import numpy as np

import funnelsim
from tests.helpers import small

AES, CAP = 6, 8


def _open_count(opened: np.ndarray, resolved: np.ndarray) -> np.ndarray:
    """Open opportunities after each opening and resolution; at one instant, resolutions first."""
    times = np.concatenate((opened, resolved))
    steps = np.concatenate((np.ones(len(opened)), -np.ones(len(resolved))))
    return np.cumsum(steps[np.lexsort((steps, times))])


def test_an_ae_is_freed_when_its_deal_resolves_never_before():
    """SQLs come from the desk's own events; resolutions are SimPy events booked from them.

    A resolution that fired early would let the desk open a deal while the AE is still full.
    """
    scenario = small(**{"sales.ae_count": AES, "sales.max_open_per_ae": CAP})
    opps = funnelsim.simulate(scenario, seed=3).ledger.opp_frame()
    for _, own in opps[opps["ae"] >= 0].groupby("ae"):
        load = _open_count(own["opened_at"].to_numpy(), own["resolved_at"].dropna().to_numpy())
        assert load.min() >= 0 and load.max() == CAP  # each AE fills up, and never beyond
    waited = opps[opps["opened_at"] > opps["queued_at"]]
    assert len(waited) > 20  # the cap binds: SQLs queue for an AE
    # Each opens at the instant a deal resolves, in the order the SQLs queued.
    assert set(waited["opened_at"]) <= set(opps["resolved_at"].dropna())
    assert waited.sort_values("queued_at")["opened_at"].is_monotonic_increasing
    assert opps["opened_at"].isna().sum() > 0  # some are still waiting at the end
