"""Distribution specs: parametrised as people say them, exact against SciPy's families."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import ValidationError
from scipy import stats

from funnelsim.base.distributions import Distribution
from funnelsim.scenario.schema import Duration

U = np.linspace(0.001, 0.999, 99)


def dist(spec, kind=float):
    return Distribution[kind].model_validate(spec)


@pytest.mark.parametrize(
    ("spec", "frozen"),
    [
        ({"uniform": {"min": 2, "max": 5}}, stats.uniform(2, 3)),
        ({"triangular": {"min": 1, "mode": 2, "max": 6}}, stats.triang(0.2, loc=1, scale=5)),
        ({"exponential": {"mean": 4}}, stats.expon(scale=4)),
        ({"gamma": {"mean": 6, "sd": 3}}, stats.gamma(4, scale=1.5)),
        ({"beta": {"mean": 0.3, "spread": 0.1}}, stats.beta(6, 14)),
    ],
)
def test_quantiles_match_scipy(spec, frozen):
    np.testing.assert_allclose(dist(spec).ppf(U), frozen.ppf(U), rtol=1e-9)
    assert dist(spec).mean() == pytest.approx(frozen.mean())


def test_lognormal_by_median_and_p90():
    d = dist({"lognormal": {"median": 30, "p90": 90}})
    assert d.ppf(np.array([0.5, 0.9])) == pytest.approx([30, 90])
    sigma = np.log(3) / stats.norm.ppf(0.9)
    np.testing.assert_allclose(d.ppf(U), stats.lognorm(sigma, scale=30).ppf(U), rtol=1e-9)


def test_durations_carry_units():
    d = dist({"lognormal": {"median": "1d", "p90": "2w"}}, Duration)
    assert d.ppf(np.array([0.5, 0.9])) == pytest.approx([1.0, 14.0])


def test_constant_and_empirical():
    assert (dist({"constant": {"value": 3}}).ppf(U) == 3).all()
    e = dist({"empirical": {"values": [1, 2, 10], "weights": [1, 1, 2]}})
    assert e.ppf(np.array([0.1, 0.3, 0.6, 0.99])).tolist() == [1, 2, 10, 10]
    assert e.mean() == pytest.approx(5.75)


def test_sampling_by_inverse_transform_has_the_analytic_moments():
    u = np.random.default_rng(0).random(200_000)
    g = dist({"gamma": {"mean": 6, "sd": 3}}).ppf(u)
    assert g.mean() == pytest.approx(6, rel=0.01)
    assert g.std() == pytest.approx(3, rel=0.01)


@pytest.mark.parametrize(
    ("spec", "match"),
    [
        ({}, "exactly one"),
        ({"uniform": {"min": 1, "max": 2}, "constant": {"value": 1}}, "exactly one"),
        ({"lognormal": {"median": 5, "p90": 2}}, "median < p90"),
        ({"beta": {"mean": 0.5, "spread": 0.6}}, "spread"),
        ({"triangular": {"min": 3, "mode": 1, "max": 4}}, "min <= mode"),
        ({"empirical": {"values": [1, 2], "weights": [1]}}, "as many weights"),
        ({"exponential": {"mean": -1}}, "mean > 0"),
        ({"normal": {"mean": 1}}, "Extra inputs"),
    ],
)
def test_bad_specs_are_refused(spec, match):
    with pytest.raises(ValidationError, match=match):
        dist(spec)
