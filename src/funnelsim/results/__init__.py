"""Results as readers see them: an experiment's tables, a stress test's verdict."""

from funnelsim.results.experiment import Results, load_results
from funnelsim.results.sla import SlaResults, load_sla

__all__ = ["Results", "SlaResults", "load_results", "load_sla"]
