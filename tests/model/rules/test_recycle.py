"""Recycle rules, by hand."""

from __future__ import annotations

import pytest

from funnelsim.model.rules import recycle
from funnelsim.model.rules.recycle import decide
from funnelsim.scenario.schema import Recycle
from tests.helpers import small


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


def test_looked_up_recycle_decisions_are_the_ones_decided():
    rules = small("aligned").recycle
    table = recycle.decisions(rules)
    for (outcome, capped), decision in table.items():
        for before in range(rules.max_recycles + 3):
            if (before >= rules.max_recycles) == capped:
                assert recycle.decide(rules, outcome, before) == decision
