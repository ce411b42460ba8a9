"""Scenario files: the schema and the loader."""

from funnelsim.base.mapping import dotted
from funnelsim.scenario.loading import (
    bundled_scenario,
    load_scenario,
    parse_overrides,
    resolve,
    validate_policies,
)
from funnelsim.scenario.schema import Scenario

__all__ = [
    "Scenario",
    "bundled_scenario",
    "dotted",
    "load_scenario",
    "parse_overrides",
    "resolve",
    "validate_policies",
]
