"""The fast model against the reference model: the same ledger, on every bundled scenario.

The reference (:mod:`funnelsim.model.reference`) runs the funnel as plain SimPy processes on
the same rules and the same pre-drawn numbers. Where the two may part is named here, so it is
known what an inequality would mean: at one instant, the fast desk handles work arriving, then
a follow-up coming due, then an attempt ending, and SimPy handles events of one instant in the
order they were booked; an MQL aging out of the queue counts in the threshold review when the
fast desk reaches it, in the reference when it ages. None of these ties occurs in these runs,
so the ledgers must be equal to the last bit.
"""

from __future__ import annotations

import numpy as np
import pytest

from funnelsim.base.streams import Streams
from funnelsim.model.fast import Funnel
from funnelsim.model.reference import ReferenceFunnel
from funnelsim.record.ledger import OPP, Ledger
from funnelsim.scenario.loading import bundled_scenario, load_scenario, validate_policies
from tests.helpers import SHORT

LEAD_COLUMNS = (
    *("state", "reason", "leak_stage", "recycles"),
    *("mql_at", "sal_at", "sql_at", "opp_at", "won_at"),
)
CASES = [
    (name, policy)
    for name in ("reference", "smb_velocity", "enterprise_outbound", "sales_bound", "mmc")
    for policy in (None, *validate_policies(bundled_scenario(name)))
]


def both(name: str, policy: str | None, seed: int) -> tuple[Ledger, Ledger]:
    scenario = load_scenario(bundled_scenario(name), policy=policy, overrides=SHORT)
    fast = Funnel(scenario, Streams(seed)).run()
    return fast, ReferenceFunnel(scenario, Streams(seed)).run()


@pytest.mark.parametrize(("name", "policy"), CASES)
def test_the_reference_model_writes_the_fast_models_ledger(name, policy):
    fast, reference = both(name, policy, seed=3)
    for column in LEAD_COLUMNS:
        assert np.array_equal(getattr(fast, column), getattr(reference, column), equal_nan=True), (
            column
        )
    assert fast.spell_frame().equals(reference.spell_frame())
    assert fast.opp_frame().equals(reference.opp_frame())
    assert len(fast.spell_frame()) > 0
    assert name == "mmc" or (fast.opp_frame()["outcome"] != OPP["open"]).any()  # mmc: no sales
    # The same attempts, though not listed in the same order.
    busy = [np.unique(ledger.sdr_busy, axis=0) for ledger in (fast, reference)]
    assert np.array_equal(*busy)


def test_the_models_agree_where_aes_decline_and_buyers_give_up_waiting():
    """Scarce AEs and short patience: the reference's reneging (``slot | timeout``) and the
    fast model's buyers stamped as gone when the line reaches them write the same ledger."""
    scarce = {"sales.ae_count": 1, "sales.max_open_per_ae": 3, "sdr.headcount": 6}
    scenario = load_scenario(
        bundled_scenario("reference"), policy="aligned", overrides={**SHORT, **scarce}
    )
    fast, reference = (model(scenario, Streams(5)).run() for model in (Funnel, ReferenceFunnel))
    opps = fast.opp_frame()
    assert opps["outcome"].eq(OPP["no_sales_capacity"]).sum() > 10
    assert opps["outcome"].eq(OPP["declined"]).sum() > 10
    assert opps.equals(reference.opp_frame())
    for column in LEAD_COLUMNS:
        assert np.array_equal(getattr(fast, column), getattr(reference, column), equal_nan=True)
