"""Every scenario shipped with funnelsim loads, every policy in it validates, and it runs.

The runs are cut to a few weeks so that the whole module stays fast; what they check is that
the scenario is usable and that no lead goes missing, not what the figures are.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import funnelsim
from funnelsim.record.ledger import STATES
from funnelsim.scenario import validate_policies

SCENARIOS_DIR = funnelsim.bundled_scenario("reference").parent
BUNDLED = sorted(SCENARIOS_DIR.glob("*.yaml"))
SHORT = {"horizon.length": "5w", "horizon.warmup": "1w"}


def _policies(path: Path) -> list[str | None]:
    """The base scenario (None) and every policy it defines; the load test reports a failure."""
    try:
        return [None, *funnelsim.load_scenario(path).policies]
    except funnelsim.ScenarioError:
        return [None]


RUNS = [
    pytest.param(path, policy, id=f"{path.stem}-{policy or 'base'}")
    for path in BUNDLED
    for policy in _policies(path)
]


def test_the_scenarios_folder_holds_the_bundled_scenarios():
    names = {path.stem for path in BUNDLED}
    assert {"reference", "smb_velocity", "enterprise_outbound"} <= names


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_bundled_scenario_loads_and_is_found_by_name(path):
    scenario = funnelsim.load_scenario(path)
    assert scenario.name
    assert scenario.policy is None
    assert funnelsim.bundled_scenario(path.stem) == path


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_every_policy_of_a_bundled_scenario_validates(path):
    resolved = validate_policies(path)
    assert set(resolved) == set(funnelsim.load_scenario(path).policies)
    for name, scenario in resolved.items():
        assert scenario.policy == name


@pytest.mark.parametrize(
    "name", ["reference", "smb_velocity", "enterprise_outbound", "sales_bound"]
)
def test_business_scenarios_define_aligned_and_misaligned(name):
    policies = funnelsim.load_scenario(funnelsim.bundled_scenario(name)).policies
    assert {"aligned", "misaligned"} <= set(policies)


@pytest.mark.parametrize(("path", "policy"), RUNS)
def test_short_run_conserves_leads(path, policy):
    scenario = funnelsim.load_scenario(path, policy=policy, overrides=SHORT)
    result = funnelsim.simulate(scenario, seed=7)
    metrics = result.summary["metrics"]

    assert metrics["leads"] > 0
    assert sum(metrics[f"final_{state}"] for state in STATES) == metrics["leads"]
    assert len(result.ledger) == metrics["leads_simulated"]
    assert metrics["leads_simulated"] >= metrics["leads"]
