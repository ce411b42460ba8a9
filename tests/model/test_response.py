"""How the desk responds to marketing's MQLs: never-touched leads, reach by attempt.

The response behaviour is anchored to two field studies (docs/calibration.md): the HBR audit
of 2,241 firms, where 23% never answered a web lead, and the dialing studies' contact by
attempt. These tests check the mechanisms behind them on cases worked out by hand.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import special

import funnelsim
from funnelsim.analysis.calibration import contact_by_attempt
from funnelsim.record.ledger import SPELL
from tests.helpers import small


def _marketing_spells(scenario, seed=1):
    spells = funnelsim.simulate(scenario, seed=seed).ledger.spell_frame()
    return spells[~spells["prospect"].to_numpy()]


def _never_share(scenario) -> float:
    spells = _marketing_spells(scenario)
    done = spells[spells["outcome"] != SPELL["open"]]
    return float((done["outcome"] == SPELL["never_worked"]).mean())


@pytest.mark.parametrize("policy", [None, "aligned"])
def test_no_mql_goes_untouched_when_nothing_puts_it_off(policy):
    # Trust held full (min_effort 1) and no habit of putting leads off: every MQL the desk
    # receives it works, here or under the aligned policy's enforced SLA.
    overrides = {"sdr.trust.min_effort": 1.0, "sdr.put_off": 0.0}
    assert _never_share(small(policy, **overrides)) == 0.0


def test_an_enforced_sla_puts_nothing_off_whatever_the_habit():
    assert _never_share(small("aligned", **{"sdr.put_off": 0.9})) == 0.0


def test_mqls_put_off_past_the_working_age_are_never_touched():
    # Trust held full; the desk puts 40% off for 5 business days on average (exponential) and
    # gives up on an MQL 6 calendar days old. The calendar works 8 hours on weekdays, so 6
    # calendar days hold 4 to 5 working days by the weekday of arrival: of those put off,
    # exp(-4.3 / 5) = 42% or so go past it, about 17% of all MQLs.
    overrides = {"sdr.trust.min_effort": 1.0, "sdr.put_off": 0.4, "sdr.max_queue_age": "6d"}
    never = _never_share(small(None, **overrides))
    assert 0.4 * math.exp(-5 / 5) < never < 0.4 * math.exp(-4 / 5)
    # a shorter habit leaves fewer past the age
    shorter = overrides | {"sdr.trust.max_delay": "2d"}
    assert _never_share(small(None, **shorter)) < 0.4 * math.exp(-4 / 2)


def _dialing(answer: dict, attempts: int = 12):
    """A desk that keeps every buyer in play and dials each MQL ``attempts`` times."""
    return small(
        "aligned",
        **{
            "sdr.reach": {"1m": 1.0},
            "sdr.answer": answer,
            "sdr.attempts": attempts,
            "sdr.headcount": 40,  # ample: no queue, so nothing but the attempts matters
            "scoring.closed_loop.enabled": False,
        },
    )


def test_contact_by_attempt_of_a_buyer_who_picks_up_half_the_time():
    # Every buyer answers an attempt with chance 1/2: of those reached within 12 attempts, the
    # share reached by attempt k is (1 - 2^-k) / (1 - 2^-12): 0.500, 0.750, 0.985.
    spells = _marketing_spells(_dialing({"constant": {"value": 0.5}}))
    reached = int(
        np.isin(spells["outcome"], [SPELL[o] for o in ("sql", "rejected", "disqualified")]).sum()
    )
    shares = contact_by_attempt(spells)
    for k, share in shares.items():
        expected = (1 - 0.5**k) / (1 - 0.5**12)
        se = math.sqrt(expected * (1 - expected) / reached)
        assert share == pytest.approx(expected, abs=4 * se + 1e-9), (k, reached)


def test_contact_by_attempt_of_buyers_who_differ_follows_the_beta_mixture():
    # Each buyer's chance is Beta(a, b) with mean 0.45 and spread 0.17 (the reference's):
    # P(reached by k) = 1 - B(a, b + k) / B(a, b), so the curve bends as the dialing studies'.
    mean, spread = 0.45, 0.17
    n = mean * (1 - mean) / spread**2 - 1
    a, b = mean * n, (1 - mean) * n
    spells = _marketing_spells(_dialing({"beta": {"mean": mean, "spread": spread}}))
    shares = contact_by_attempt(spells)

    def by(k):
        return 1 - math.exp(special.betaln(a, b + k) - special.betaln(a, b))

    for k, share in shares.items():
        assert share == pytest.approx(by(k) / by(12), abs=0.02), k
    assert shares[1] < 0.5 < shares[2] < 0.8 < shares[6]  # half on the first, most by the sixth
