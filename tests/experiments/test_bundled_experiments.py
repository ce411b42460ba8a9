"""Every bundled experiment plans: its scenario, policies and every point resolve."""

from __future__ import annotations

import pytest

from funnelsim.analysis.sensitivity import sensitivity_plan
from funnelsim.experiments import prepare
from funnelsim.experiments.spec import bundled_experiment

NAMES = [
    "aligned-vs-misaligned",
    "mql-threshold",
    "sales-bound",
    "sla-headcount",
    "stalled-recycle",
]


@pytest.mark.parametrize("name", NAMES)
def test_a_bundled_experiment_plans(name):
    plan = prepare(bundled_experiment(name))
    assert plan.points and plan.labels


def test_the_bundled_sensitivity_study_screens_ten_inputs_across_points():
    plan = sensitivity_plan(bundled_experiment("what-drives-alignment"))
    assert len(plan.factors) == 10
    assert len(plan.points) == 10 * (10 + 1)  # Morris: trajectories x (inputs + 1)
    assert plan.experiment.common_random_numbers == "across_points"
    assert plan.labels == ("misaligned", "aligned")


def test_the_sobol_stage_samples_the_five_inputs_that_matter():
    plan = sensitivity_plan(bundled_experiment("what-drives-alignment-sobol"))
    screened = sensitivity_plan(bundled_experiment("what-drives-alignment"))
    assert set(plan.factors) <= set(screened.factors) and len(plan.factors) == 5
    assert len(plan.points) == 128 * (5 + 2)  # Saltelli: samples x (inputs + 2)
    horizon = plan.scenarios[0][0]["horizon"]  # one measured year after the warm-up
    assert (horizon["length"], horizon["warmup"]) == ("65w", "13w")
