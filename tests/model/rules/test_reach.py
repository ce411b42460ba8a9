"""Reaching the buyer: the lead-response decay, by hand."""

from __future__ import annotations

import pytest

from funnelsim.model.rules.reach import ReachCurve, reaches


def test_reach_curve_interpolates_in_log_delay():
    curve = ReachCurve.from_points([1.0, 100.0], [0.5, 0.1])
    assert curve(0.01) == 0.5 and curve(1000) == 0.1
    assert curve(10.0) == pytest.approx(0.3)  # halfway in log10


def test_an_attempt_reaches_when_its_uniform_is_under_the_chance_after_its_wait():
    curve = ReachCurve.from_points([1.0, 100.0], [0.5, 0.1])
    assert reaches(curve, 0.9, 10.0, 0.29)  # chance 0.3 after 10 days
    assert not reaches(curve, 0.9, 10.0, 0.31)
    assert not reaches(curve, 0.9, 1000.0, 0.2)  # flat at 0.1 beyond the last point


def test_a_prospect_has_no_decay_only_the_outbound_reach():
    curve = ReachCurve.from_points([1.0], [0.5])
    assert reaches(curve, 0.2, None, 0.19)
    assert not reaches(curve, 0.2, None, 0.21)  # the curve's 0.5 is not its chance
