"""Does the answer survive the judgment calls? The plan of ``funnelsim robustness``.

A scenario's ``judgment`` section names the parameters no published figure sets, each with a
plausible range (:mod:`funnelsim.scenario.judgment`). This plan compares two policies again at
settings drawn across all those ranges at once (a Latin hypercube), a few replications each
under common random numbers, so the paired difference is read at every setting. A judgment
parameter that either policy sets is a lever of the comparison, not a judgment call about the
world: it stays as the policies set it. So does one given with ``--set``: the user's value.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from funnelsim.analysis.explain import two_policies
from funnelsim.base.mapping import dotted
from funnelsim.errors import UsageError
from funnelsim.experiments.design import ARGUMENTS, Plan, plan, scenario_path
from funnelsim.experiments.spec import checked_experiment
from funnelsim.record.registry import KEY_METRICS
from funnelsim.scenario import resolve

SETTINGS, REPLICATIONS = 20, 4
"""By default: twenty settings of the judgment parameters, four replications each."""


def robustness_plan(
    scenario: str | Path | None,
    policies: Sequence[str],
    *,
    settings: int = SETTINGS,
    reps: int = REPLICATIONS,
    seed: int = 0,
    overrides: Mapping[str, Any] | None = None,
    metrics: Sequence[str] = KEY_METRICS,
) -> Plan:
    """Two policies compared at ``settings`` draws of the scenario's judgment parameters."""
    two_policies(policies)
    name = str(scenario) if scenario is not None else "reference"
    sets = dict(overrides or {})
    judged, levers = _judged(scenario_path(name, None), policies, sets)
    fixed = set(judged) & set(sets)  # the user's own value: kept, not sampled
    factors = {
        key: {"min": j.min, "max": j.max, "integer": j.integer}
        for key, j in judged.items()
        if key not in levers and key not in fixed
    }
    if not factors:
        raise UsageError(
            f"{name}: the scenario states no judgment parameter the policies leave alone; "
            "add a judgment section (docs/scenarios.md)"
        )
    data = {
        "scenario": name,
        "policies": list(policies),
        "set": sets,
        "factors": factors,
        "design": {"latin_hypercube": {"points": settings}},
        "replications": reps,
        "seed": seed,
        "metrics": list(metrics),
    }
    experiment, found = checked_experiment(data, ARGUMENTS)
    analysis = {
        "kind": "robustness",
        "why": {key: judged[key].why for key in factors},
        "left_to_the_policies": sorted(set(judged) & levers),
        "fixed_by_set": sorted(fixed),
    }
    return dataclasses.replace(plan(experiment, ARGUMENTS, found=found), analysis=analysis)


def _judged(path: Path, policies: Sequence[str], sets: dict[str, Any]) -> tuple[dict, set[str]]:
    """The scenario's judgment parameters, and the keys either policy sets otherwise."""
    base = resolve(path, None, sets)[1]
    own = dotted(base.model_dump(mode="json", by_alias=True))
    levers = set()
    for policy in policies:
        data = dotted(resolve(path, policy, sets)[1].model_dump(mode="json", by_alias=True))
        levers |= {key for key, value in data.items() if own.get(key) != value}
    return dict(base.judgment), levers
