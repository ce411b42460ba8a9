"""funnelsim: a discrete-event simulator of the B2B lead-to-revenue funnel.

Load a scenario, simulate it, read the figures::

    import funnelsim
    scenario = funnelsim.load_scenario(policy="aligned")
    result = funnelsim.simulate(scenario, seed=1)
    result.summary["metrics"]["bookings_per_year"]

Compare policies over many replications, or sweep an experiment file::

    results = funnelsim.compare(policies=["misaligned", "aligned"], reps=20, seed=1)
    results.differences  # paired differences with 95% intervals

The names below are imported when first used, so reading a results folder
(``funnelsim.results``) or drawing its figures never loads the simulator.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # for type checkers and editors; at run time, __getattr__ below
    from funnelsim.errors import FunnelsimError, ScenarioError
    from funnelsim.experiments import compare, sweep
    from funnelsim.results import Results, load_results
    from funnelsim.runner import RunResult, __version__, simulate
    from funnelsim.scenario import Scenario, bundled_scenario, load_scenario

_HOMES = {
    "FunnelsimError": "funnelsim.errors",
    "ScenarioError": "funnelsim.errors",
    "Results": "funnelsim.results",
    "load_results": "funnelsim.results",
    "RunResult": "funnelsim.runner",
    "__version__": "funnelsim.runner",
    "simulate": "funnelsim.runner",
    "compare": "funnelsim.experiments",
    "sweep": "funnelsim.experiments",
    "Scenario": "funnelsim.scenario",
    "bundled_scenario": "funnelsim.scenario",
    "load_scenario": "funnelsim.scenario",
}

__all__ = [
    "FunnelsimError",
    "Results",
    "RunResult",
    "Scenario",
    "ScenarioError",
    "__version__",
    "bundled_scenario",
    "compare",
    "load_results",
    "load_scenario",
    "simulate",
    "sweep",
]


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'funnelsim' has no attribute {name!r}")
    value = getattr(importlib.import_module(_HOMES[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
