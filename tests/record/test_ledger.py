"""What the ledger keeps of each lead."""

from __future__ import annotations

import numpy as np

import funnelsim
from funnelsim.base.streams import Streams
from funnelsim.model.history import nurture_pool
from funnelsim.model.sources import generate_leads
from tests.helpers import small


def test_the_ledger_keeps_each_leads_buying_window_as_generated():
    scenario = small("aligned")
    ledger = funnelsim.simulate(scenario, seed=6).ledger
    pool, _ = nurture_pool(scenario, Streams(6))  # the history's leads come first
    leads = generate_leads(scenario, Streams(6))
    assert np.array_equal(ledger.buy_start, np.concatenate((pool.buy_start, leads.buy_start)))
    assert np.array_equal(ledger.buy_end, np.concatenate((pool.buy_end, leads.buy_end)))
    assert len(pool) > 0 and (ledger.buy_start < ledger.buy_end).all()
