"""Monte Carlo experiments: policies x sweep points x replications, locally or on Dask."""

from funnelsim.experiments.orchestrate import (
    Precision,
    Results,
    compare,
    conduct,
    load_results,
    prepare,
    sweep,
)
from funnelsim.experiments.spec import KEY_METRICS, Experiment

__all__ = [
    "KEY_METRICS",
    "Experiment",
    "Precision",
    "Results",
    "compare",
    "conduct",
    "load_results",
    "prepare",
    "sweep",
]
