"""funnelsim: a discrete-event simulator of the B2B lead-to-revenue funnel.

Load a scenario, simulate it, read the figures::

    import funnelsim
    scenario = funnelsim.load_scenario(policy="aligned")
    result = funnelsim.simulate(scenario, seed=1)
    result.summary["metrics"]["bookings"]

Compare policies over many replications, or sweep an experiment file::

    results = funnelsim.compare(policies=["misaligned", "aligned"], reps=20, seed=1)
    results.differences  # paired differences with 95% intervals
"""

from funnelsim.errors import FunnelsimError, ScenarioError
from funnelsim.experiments import Results, compare, load_results, sweep
from funnelsim.runner import RunResult, __version__, simulate
from funnelsim.scenario import Scenario, bundled_scenario, load_scenario

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
