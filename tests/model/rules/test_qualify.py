"""Qualification of a reached buyer, by hand."""

from __future__ import annotations

from funnelsim.model.rules.qualify import qualification
from funnelsim.scenario.schema import Qualification
from tests.helpers import small

SDR = small().sdr.model_copy(
    update={"min_fit": 0.4, "qualify": Qualification(in_market=0.6, not_in_market=0.1)}
)


def test_an_account_outside_the_profile_is_disqualified_whatever_its_draw():
    assert qualification(SDR, 0.39, 0.0, 10.0, 5.0, 0.0) == "disqualified"


def test_a_buyer_in_market_qualifies_under_the_in_market_chance():
    assert qualification(SDR, 0.4, 0.0, 10.0, 5.0, 0.59) == "sql"
    assert qualification(SDR, 0.4, 0.0, 10.0, 5.0, 0.61) == "rejected"


def test_outside_the_buying_window_the_lower_chance_applies_and_the_end_is_open():
    assert qualification(SDR, 0.9, 6.0, 10.0, 5.0, 0.2) == "rejected"  # not yet in market
    assert qualification(SDR, 0.9, 0.0, 10.0, 10.0, 0.2) == "rejected"  # window just closed
    assert qualification(SDR, 0.9, 0.0, 10.0, 10.0, 0.09) == "sql"
