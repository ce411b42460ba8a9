"""Monte Carlo experiments: policies x sweep points x replications, locally or on Dask."""

from funnelsim.experiments.design import Plan, plan
from funnelsim.experiments.orchestrate import (
    Precision,
    compare,
    conduct,
    prepare,
    sweep,
)
from funnelsim.experiments.spec import KEY_METRICS, Experiment, parse_experiment

__all__ = [
    "KEY_METRICS",
    "Experiment",
    "Plan",
    "Precision",
    "compare",
    "conduct",
    "parse_experiment",
    "plan",
    "prepare",
    "sweep",
]
