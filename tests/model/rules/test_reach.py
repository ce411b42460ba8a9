"""Reaching the buyer: the lead-response decay, by hand."""

from __future__ import annotations

import pytest

from funnelsim.model.rules.reach import ReachCurve


def test_reach_curve_interpolates_in_log_delay():
    curve = ReachCurve.from_points([1.0, 100.0], [0.5, 0.1])
    assert curve(0.01) == 0.5 and curve(1000) == 0.1
    assert curve(10.0) == pytest.approx(0.3)  # halfway in log10


def test_the_chance_is_flat_before_the_first_point_and_after_the_last():
    curve = ReachCurve.from_points([0.01, 1.0], [0.8, 0.2])
    assert curve(0.0) == 0.8 and curve(0.001) == 0.8
    assert curve(0.1) == pytest.approx(0.5)  # halfway in log10 between 0.01 and 1
    assert curve(5.0) == 0.2
    assert ReachCurve.from_points([1.0], [0.4])(123.0) == 0.4  # one point: no decay
