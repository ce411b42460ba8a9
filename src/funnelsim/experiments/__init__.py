"""Monte Carlo experiments: policies x sweep points x replications, locally or on Dask."""

from funnelsim.experiments.design import Plan, plan
from funnelsim.experiments.orchestrate import (
    Precision,
    Results,
    compare,
    conduct,
    load_results,
    prepare,
    sweep,
)
from funnelsim.experiments.spec import KEY_METRICS, Experiment, parse_experiment

__all__ = [
    "KEY_METRICS",
    "Experiment",
    "Plan",
    "Precision",
    "Results",
    "compare",
    "conduct",
    "load_results",
    "parse_experiment",
    "plan",
    "prepare",
    "sweep",
]
