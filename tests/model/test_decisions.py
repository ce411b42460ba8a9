"""The model's decisions as pure functions, against hand-computed cases."""

from __future__ import annotations

import math

import numpy as np
import pytest

from funnelsim.model.recycle import decide
from funnelsim.model.sales import opportunity_path
from funnelsim.model.scoring import ReviewPeriod, lead_score, reviewed_threshold
from funnelsim.model.sdr import ReachCurve, SalesTrust, owed_attempts
from funnelsim.scenario.schema import ClosedLoop, Recycle, Sales, Scoring, Segment, Trust


def test_reach_curve_interpolates_in_log_delay():
    curve = ReachCurve.from_points([1.0, 100.0], [0.5, 0.1])
    assert curve(0.01) == 0.5 and curve(1000) == 0.1
    assert curve(10.0) == pytest.approx(0.3)  # halfway in log10


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


def test_closed_loop_moves_the_threshold_toward_its_targets():
    capacity = ClosedLoop(enabled=True, target_sla_compliance=0.8, gain=20, min_threshold=40,
                          max_threshold=70)  # fmt: skip
    late = ReviewPeriod(touched=100, on_time=50, accepted=40, qualified=4)
    assert reviewed_threshold(capacity, 50, late) == pytest.approx(56)  # 20 * (0.8 - 0.5)
    early = ReviewPeriod(touched=100, on_time=100)
    assert reviewed_threshold(capacity, 50, early) == pytest.approx(46)
    assert reviewed_threshold(capacity, 69, late) == 70  # clipped to the agreed range
    assert reviewed_threshold(capacity, 50, ReviewPeriod()) == 50  # no evidence, no change
    both = capacity.model_copy(update={"target_sql_rate": 0.3})
    assert reviewed_threshold(both, 50, late) == pytest.approx(50 + 20 * (0.3 + 0.2))
    quality = ClosedLoop(enabled=True, target_sla_compliance=None, target_sql_rate=0.3, gain=10)
    assert reviewed_threshold(quality, 50, late) == pytest.approx(52)  # 10 * (0.3 - 0.1)


def test_score_weights_fit_and_interest():
    scoring = Scoring(fit_weight=60, interest_weight=40, noise_sd=0, mql_threshold=50)
    assert lead_score(scoring, np.array([0.5]), np.array([1.0]), np.array([0.3]))[0] == 70
    noisy = Scoring(noise_sd=10, mql_threshold=50)
    assert lead_score(noisy, np.array([0.0]), np.array([0.0]), np.array([0.5]))[0] == 0
    assert lead_score(noisy, np.array([0.0]), np.array([0.0]), np.array([0.8413447]))[0] == (
        pytest.approx(10, abs=1e-4)
    )


@pytest.mark.parametrize(
    ("outcome", "enabled", "before", "expected"),
    [
        ("rejected", False, 0, ("leaked", "rejected_dropped")),
        ("unreachable", False, 0, ("leaked", "cadence_exhausted")),
        ("lost", False, 0, ("lost", None)),
        ("lost", True, 2, ("nurture", None)),
        ("rejected", True, 3, ("leaked", "recycle_cap")),
        ("lost", True, 3, ("lost", None)),  # a decided deal stays decided at the cap
    ],
)
def test_recycle_rules(outcome, enabled, before, expected):
    rules = Recycle.model_validate(
        {outcome: {"enabled": enabled, "delay": "10d"}, "max_recycles": 3}
    )
    decision = decide(rules, outcome, before)
    assert (decision.state, decision.reason) == expected
    assert decision.recycle == (expected[0] == "nurture")
    assert decision.delay == (10.0 if decision.recycle else 0.0)


SEGMENT = Segment.model_validate(
    {
        "deal_size": {"constant": {"value": 1}},
        "stages": [
            {"name": "a", "duration": {"constant": {"value": "10d"}}, "advance": 0.5, "lost": 0.3},
            {"name": "b", "duration": {"constant": {"value": "40d"}}, "advance": 0.5,
             "no_decision": 0.2},
        ],
    }
)  # fmt: skip
SALES = Sales(ae_count=1, max_open_per_ae=1, stall_after="30d", abandon_after="90d")


def path(u_outcome, buy_end=1e9, fit=0.5):
    return opportunity_path(SEGMENT, SALES, 100.0, fit, 0.0, buy_end, np.full(2, 0.5), u_outcome)


def test_opportunity_paths_by_hand():
    won = path([0.1, 0.1])
    assert (won.outcome, won.ends_at) == ("won", 150.0)
    assert won.stalls_at == 140.0  # stage b lasts 40 days, past the 30-day stall clock
    assert won.stages == [("a", 110.0), ("b", 150.0)]
    assert path([0.6, 0.1]).outcome == "lost"  # 0.5 <= u < 0.8
    assert path([0.9, 0.1]).outcome == "dark"  # the 20% left go dark
    nd = path([0.1, 0.6])
    assert (nd.outcome, nd.ends_at) == ("no_decision", 150.0)
    dark = path([0.1, 0.9])
    assert (dark.outcome, dark.ends_at, dark.stalls_at) == ("dark", 110.0, 140.0)


def test_a_closing_buying_window_darkens_the_deal():
    closes = path([0.1, 0.1], buy_end=130.0)  # the buyer leaves during stage b
    assert (closes.outcome, closes.ends_at) == ("dark", 110.0)


def test_fit_moves_the_odds_of_advancing():
    segment = SEGMENT.model_copy(update={"fit_effect": 2.0})
    # At fit 1 the log-odds of advancing stage a rise by 2 * 0.5 = 1: p = 1 / (1 + e^-1).
    p = 1 / (1 + math.exp(-1))
    u_just_above = [p - 1e-6, 0.0]
    high = opportunity_path(segment, SALES, 0.0, 1.0, 0.0, 1e9, np.full(2, 0.5), u_just_above)
    low = opportunity_path(segment, SALES, 0.0, 0.5, 0.0, 1e9, np.full(2, 0.5), u_just_above)
    assert high.outcome == "won" and low.outcome != "won"


@pytest.mark.parametrize(("cadence", "effort", "owed"), [(5, 0.5, 3), (3, 0.5, 2), (6, 1.0, 6),
                                                         (6, 0.3, 2), (2, 0.1, 1)])  # fmt: skip
def test_attempts_owed_round_halves_up_and_never_fall_to_zero(cadence, effort, owed):
    assert owed_attempts(cadence, effort) == owed
