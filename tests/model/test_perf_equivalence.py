"""The batched shortcuts of the hot path give the numbers the one-at-a-time versions give."""

from __future__ import annotations

import numpy as np

import funnelsim
from funnelsim.base.streams import Streams
from funnelsim.model.fast import Funnel
from funnelsim.model.sales import OPPORTUNITY_DRAWS, deal_counters, deal_uniforms
from funnelsim.record.ledger import SPELL
from tests.helpers import small


def test_streams_drawn_together_match_each_stream_drawn_alone():
    streams, keys = Streams(5), np.array([3, 17, 2**40 + 9], dtype=np.uint64)
    counters = {
        "sdr/reach": np.array([[0, 1, 2], [256, 257, 258], [512, 513, 514]]),
        "sdr/talk": np.array([[0], [1], [2]]),
    }
    together = streams.lead_uniforms_of_streams(keys, counters)
    for name, counter in counters.items():
        alone = streams.lead_uniforms(name, keys[:, None], counter)
        assert np.array_equal(together[name], alone)


def test_a_deals_uniforms_are_those_drawn_when_it_opens():
    streams, key, stages = Streams(2), 12345, 4
    row = streams.lead_uniforms_of_streams(
        np.array([key], dtype=np.uint64), {"opportunity": deal_counters(np.array([2]), stages)}
    )["opportunity"][0]
    u_duration, u_outcome = deal_uniforms(row, stages)
    first = 2 * OPPORTUNITY_DRAWS
    durations = list(range(first, first + stages + 1))  # each stage's, then the value's
    outcomes = [first + OPPORTUNITY_DRAWS // 2 + k for k in range(stages)]
    assert u_duration == streams.lead_uniforms_of("opportunity", key, durations)
    assert u_outcome == streams.lead_uniforms_of("opportunity", key, outcomes)


def test_first_stamps_are_each_leads_first_visit():
    ledger = funnelsim.simulate(small("aligned"), seed=4).ledger
    spells = ledger.spell_frame()
    first_mql = spells.groupby("lead")["mql_at"].min()
    assert np.array_equal(ledger.mql_at[first_mql.index], first_mql.to_numpy())
    assert np.isnan(np.delete(ledger.mql_at, first_mql.index)).all()
    sql = spells[spells["outcome"] == SPELL["sql"]].groupby("lead")["outcome_at"].min()
    assert np.array_equal(ledger.sql_at[sql.index], sql.to_numpy())


def test_the_funnel_keeps_under_thirty_attributes():
    """CPython 3.11 shares an instance's keys with its class only below 30 attributes; from
    30 on, every ``self.attribute`` and ``self.method()`` of the model loses its cache."""
    funnel = Funnel(funnelsim.load_scenario("reference"), Streams(0))
    assert len(vars(funnel)) < 30, sorted(vars(funnel))
    assert len(vars(funnel.desk)) < 30, sorted(vars(funnel.desk))
