"""funnelsim: a discrete-event simulator of the B2B lead-to-revenue funnel.

Load a scenario, simulate it, read the figures::

    import funnelsim
    scenario = funnelsim.load_scenario(policy="aligned")
    result = funnelsim.simulate(scenario, seed=1)
    result.summary["metrics"]["bookings"]
"""

from funnelsim.errors import FunnelsimError, ScenarioError
from funnelsim.runner import RunResult, __version__, simulate
from funnelsim.scenario import Scenario, bundled_scenario, load_scenario

__all__ = [
    "FunnelsimError",
    "RunResult",
    "Scenario",
    "ScenarioError",
    "__version__",
    "bundled_scenario",
    "load_scenario",
    "simulate",
]
