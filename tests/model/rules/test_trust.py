"""Sales trust: effort, the put-off it sets, the attempts it owes, what it listens to."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from funnelsim.model.rules.trust import (
    SalesTrust,
    judged_by_sales,
    owed_attempts,
    put_off,
)
from funnelsim.scenario.schema import Trust


def test_trust_effort_ramps_between_its_bounds():
    trust = SalesTrust(Trust(window=4, full_at=0.6, zero_at=0.2, min_effort=0.3), enforced=False)
    for qualified in (True, False, False, False):
        trust.record(qualified)
    assert trust.effort == pytest.approx(0.3 + 0.7 * (0.25 - 0.2) / 0.4)
    for _ in range(4):
        trust.record(True)
    assert trust.effort == 1.0  # the window forgets old disappointments
    strict = SalesTrust(Trust(window=2), enforced=True)
    strict.record(False)
    assert strict.effort == 1.0


@pytest.mark.parametrize(
    ("cadence", "effort", "u", "owed"),
    [(5, 0.5, 0.49, 2), (5, 0.5, 0.5, 3), (6, 1.0, 0.99, 6), (6, 0.3, 0.1, 1), (6, 0.3, 0.25, 2),
     (2, 0.1, 0.0, 1), (2, 0.1, 0.99, 1)],
)  # fmt: skip
def test_attempts_owed_carry_the_fraction_with_its_chance_and_never_fall_to_zero(
    cadence, effort, u, owed
):
    assert owed_attempts(cadence, effort, u) == owed


def test_attempts_owed_average_the_cadence_times_effort():
    u = np.random.default_rng(3).random(100_000)
    owed = np.array([owed_attempts(2, 0.7, x) for x in u])
    assert set(owed) == {1, 2}
    assert owed.mean() == pytest.approx(1.4, abs=0.01)  # standard error 0.0015


def test_a_trusting_desk_queues_every_mql_at_once():
    for u in (0.0, 0.3, 0.999):
        assert put_off(1.0, 2.0, u) == 0.0


def test_a_distrustful_desk_puts_off_the_effort_missing_for_an_exponential_time():
    # effort 0.75: a quarter of MQLs are put off; u below 0.25 is one of them, and u / 0.25
    # is the uniform its exponential wait is drawn from: -2 ln(u / 0.25) business days.
    assert put_off(0.75, 2.0, 0.25) == 0.0 and put_off(0.75, 2.0, 0.9) == 0.0
    assert put_off(0.75, 2.0, 0.125) == pytest.approx(2.0 * math.log(2.0))
    assert put_off(0.75, 2.0, 0.25 * math.exp(-3.0)) == pytest.approx(6.0)
    assert math.isfinite(put_off(0.75, 2.0, 0.0))  # the smallest uniform still waits a time


def test_put_off_times_have_the_stated_share_and_mean():
    u = np.random.default_rng(7).random(200_000)
    waits = np.array([put_off(0.6, 1.5, x) for x in u])
    held = waits > 0
    # 200,000 draws: the share's standard error is 0.0011 and the mean's about 0.005.
    assert held.mean() == pytest.approx(0.4, abs=0.005)
    assert waits[held].mean() == pytest.approx(1.5, rel=0.02)
    assert stats.kstest(waits[held], "expon", args=(0, 1.5)).pvalue > 0.01


@pytest.mark.parametrize(
    ("outcome", "prospect", "judged"),
    [("sql", False, True), ("rejected", False, True), ("disqualified", False, True),
     ("unreachable", False, False), ("sql", True, False)],
)  # fmt: skip
def test_trust_listens_to_marketings_mqls_whose_buyer_was_reached(outcome, prospect, judged):
    assert judged_by_sales(outcome, prospect) == judged
