"""Sales trust: effort, the delay it sets, the attempts it owes, what it listens to."""

from __future__ import annotations

import pytest

from funnelsim.model.rules.trust import (
    SalesTrust,
    judged_by_sales,
    owed_attempts,
    trust_delay,
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


@pytest.mark.parametrize(("cadence", "effort", "owed"), [(5, 0.5, 3), (3, 0.5, 2), (6, 1.0, 6),
                                                         (6, 0.3, 2), (2, 0.1, 1)])  # fmt: skip
def test_attempts_owed_round_halves_up_and_never_fall_to_zero(cadence, effort, owed):
    assert owed_attempts(cadence, effort) == owed


def test_a_new_mql_is_held_back_for_the_effort_missing_and_a_prospect_never():
    assert trust_delay(1.0, 2.0, prospect=False) == 0.0
    assert trust_delay(0.25, 2.0, prospect=False) == 1.5
    assert trust_delay(0.25, 2.0, prospect=True) == 0.0


@pytest.mark.parametrize(
    ("outcome", "prospect", "judged"),
    [("sql", False, True), ("rejected", False, True), ("disqualified", False, True),
     ("unreachable", False, False), ("sql", True, False)],
)  # fmt: skip
def test_trust_listens_to_marketings_mqls_whose_buyer_was_reached(outcome, prospect, judged):
    assert judged_by_sales(outcome, prospect) == judged
