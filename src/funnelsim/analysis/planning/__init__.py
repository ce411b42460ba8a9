"""Planning backward from a target (``funnelsim plan``)."""

from funnelsim.analysis.planning.planner import plan_target

__all__ = ["plan_target"]
