"""Weekly series add up to the run's figures over the measured window."""

from __future__ import annotations

import pytest

import funnelsim
from tests.helpers import small


@pytest.mark.parametrize("policy", ["misaligned", "aligned"])
def test_weekly_sla_counts_give_the_runs_sla_compliance(policy):
    result = funnelsim.simulate(small(policy), seed=2)
    window = result.weekly[~result.weekly["warmup"]]
    compliance = window["sla_on_time"].sum() / window["sla_judged"].sum()
    assert compliance == pytest.approx(result.summary["metrics"]["sla_compliance"], rel=1e-12)
    assert window["sla_judged"].sum() == result.summary["metrics"]["mqls_judged_for_sla"]
    assert (result.weekly["sla_on_time"] <= result.weekly["sla_judged"]).all()
    assert (result.weekly["sla_judged"] <= result.weekly["mqls"]).all()


def test_weekly_bookings_add_up_to_the_runs_bookings():
    result = funnelsim.simulate(small("aligned"), seed=4)
    window = result.weekly[~result.weekly["warmup"]]
    metrics = result.summary["metrics"]
    assert window["bookings"].sum() == pytest.approx(metrics["bookings"], rel=1e-12)
    assert window["deals_won"].sum() == metrics["deals_won"]
