"""A settled start: what a funnel that has run for years holds at time zero, from a pilot.

The pilot runs once per scenario and process on a fixed seed; each run takes over its leads in
nurture and its open deals a Poisson(1) number of times, under keys made from the pilot's, so
that runs are reproducible whatever ran before them and policies share what they can.
"""

from __future__ import annotations

import numpy as np
import pytest

import funnelsim
from funnelsim.base.streams import Streams
from funnelsim.model import settled as settling
from funnelsim.model.history import HISTORY_RANK
from funnelsim.model.pilot import _mean_threshold
from funnelsim.model.settled import DEAL_RANK, SETTLED_RANK, in_nurture, open_at_zero, settled
from funnelsim.model.start import time_zero

SHORT = {"horizon.length": "30w", "horizon.warmup": "4w", "horizon.settle": "26w"}


def scenario(policy: str | None = None, **overrides):
    return funnelsim.load_scenario(policy=policy, overrides=SHORT | overrides)


@pytest.fixture(scope="module")
def base():
    return scenario()


def test_a_run_is_the_same_whether_its_pilot_ran_in_this_process_or_not(base):
    first = funnelsim.simulate(base, seed=3).ledger
    settling._SETTLED.clear()
    again = funnelsim.simulate(base, seed=3).ledger
    for column in ("created", "fit", "buy_start", "state", "recycles"):
        np.testing.assert_array_equal(getattr(first, column), getattr(again, column))
    np.testing.assert_array_equal(first.opp_frame().to_numpy(), again.opp_frame().to_numpy())


def test_the_pilot_does_not_depend_on_the_run_s_length_or_warm_up(base):
    longer = base.model_copy(
        update={"horizon": base.horizon.model_copy(update={"length": 400.0, "warmup": 60.0})}
    )
    assert settled(longer) is settled(base)
    assert settled(scenario(**{"horizon.settle": "0w"})) is None
    assert settled(scenario(**{"horizon.start": "empty"})) is None


def test_each_lead_and_deal_of_the_pilot_is_taken_over_once_on_average(base):
    state = settled(base)
    seeds = range(8)
    nurtured = [len(in_nurture(base, Streams(s), state)) for s in seeds]
    deals = [len(open_at_zero(base, Streams(s), state)[0]) for s in seeds]
    # Poisson(1) copies of n items: n on average, variance n per run.
    for counts, n in ((nurtured, len(state.nurtured)), (deals, len(state.deals))):
        assert n > 20
        assert abs(np.mean(counts) - n) < 4 * np.sqrt(n / len(seeds)), (np.mean(counts), n)


def test_taken_over_leads_have_keys_of_their_own_past_the_run_s(base):
    zero = time_zero(base, Streams(5))
    rank = zero.leads.key & np.uint64(0xFFFFFFFF)
    assert len(np.unique(zero.leads.key)) == len(zero.leads)
    assert (rank >= HISTORY_RANK).all()  # never the run's own: they are not enrolled again
    nurtured = rank[: len(zero.nurtured)]
    assert ((nurtured >= SETTLED_RANK) & (nurtured < DEAL_RANK)).all()
    dealt = rank[len(zero.nurtured) :]
    assert ((dealt >= DEAL_RANK) & (dealt < DEAL_RANK + (1 << 28))).all()
    assert (zero.leads.created < 0).all() and (zero.nurtured.at >= 0).all()


def test_a_lead_both_pilots_hold_keeps_its_key_under_either_policy():
    """Common random numbers: the same pilot lead, copied the same number of times, gets the
    same keys, whatever else each policy's pilot holds."""
    keys = {}
    for policy in ("misaligned", "aligned"):
        state = settled(scenario(policy))
        pilot_keys = state.nurtured.leads.key
        ours = in_nurture(scenario(policy), Streams(2), state)
        index, copy = settling._copies(Streams(2), "settled/copies", state.nurtured.leads)
        pairs = zip(pilot_keys[index].tolist(), copy.tolist(), strict=True)
        keys[policy] = dict(zip(pairs, ours.leads.key.tolist(), strict=True))
    shared = keys["misaligned"].keys() & keys["aligned"].keys()
    assert len(shared) > 1000
    assert all(keys["misaligned"][k] == keys["aligned"][k] for k in shared)


def test_deals_open_at_zero_resolve_in_the_run_and_never_before_it(base):
    result = funnelsim.simulate(base, seed=4)
    opps = result.ledger.opp_frame()
    taken = opps[opps["opened_at"] < 0]
    assert len(taken) > 20
    assert (taken["queued_at"] == taken["opened_at"]).all() and taken["mql_at"].isna().all()
    resolved = taken["resolved_at"].dropna()
    assert (resolved >= 0).all()
    # Some close within a week, some are still open a month on: their stages were drawn
    # past the time already spent, not from scratch.
    assert (resolved < 7).any() and (resolved > 30).any()


def test_recycles_before_time_zero_count_against_the_cap():
    aligned = scenario("aligned")
    state = settled(aligned)
    cap = aligned.recycle.max_recycles
    assert state.nurtured.recycles.max() == cap  # some come back with none left
    ledger = funnelsim.simulate(aligned, seed=1).ledger
    assert ledger.recycles.max() <= cap


def test_the_threshold_taken_over_is_the_time_weighted_mean_of_the_last_year():
    # 60 for the first 200 days, then 50 from day 200 to 300, then 56: over days 0-364.
    changes = [(0.0, 60.0), (200.0, 50.0), (300.0, 56.0)]
    expected = (60 * 200 + 50 * 100 + 56 * 64) / 364
    assert _mean_threshold(changes, 364.0) == pytest.approx(expected)
    assert _mean_threshold(changes, 400.0) == pytest.approx((60 * 164 + 50 * 100 + 56 * 100) / 364)
    assert _mean_threshold(changes, 728.0) == pytest.approx(56.0)


def test_a_run_says_how_long_its_pilot_settled_the_funnel():
    short = funnelsim.load_scenario(overrides={"horizon.length": "20w", "horizon.warmup": "4w"})
    start = funnelsim.simulate(short, seed=1).summary["funnel_start"]
    # The pilot's history ends where the pilot starts: 52 weeks before the run's start date.
    assert start == {
        "state": "steady",
        "history_weeks": 156.0,
        "history_from": "2022-01-10",
        "settled_weeks": 52.0,
    }
