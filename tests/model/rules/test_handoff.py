"""Handing an SQL to sales: an AE's acceptance and a buyer's patience, by hand."""

from __future__ import annotations

import math

import funnelsim
from funnelsim.model.rules.handoff import accepted, patience_ends


def test_an_sql_is_accepted_when_its_uniform_falls_under_the_acceptance():
    assert accepted(0.8, 0.7999)
    assert not accepted(0.8, 0.8)
    assert not accepted(0.0, 0.0)  # an acceptance of 0 declines every SQL
    assert accepted(1.0, 0.999999)  # and of 1 accepts every one


def test_a_buyer_without_a_patience_waits_for_ever():
    segment = funnelsim.load_scenario("mmc").segments["all"]
    assert segment.sales_patience is None
    assert patience_ends(segment, 10.0, 0.5) == math.inf


def test_a_buyers_patience_is_its_quantile_after_the_sql_queued():
    overrides = {"segments.smb.sales_patience": {"uniform": {"min": "2d", "max": "6d"}}}
    segment = funnelsim.load_scenario("reference", overrides=overrides).segments["smb"]
    assert patience_ends(segment, 10.0, 0.25) == 13.0  # 2 + 0.25 * (6 - 2) days after day 10
