"""``funnelsim robustness``: does the comparison survive the scenario's judgment calls?"""

from __future__ import annotations

from typing import Annotated

import typer

from funnelsim.cli.console import reported
from funnelsim.cli.execution import Execution, execution_options
from funnelsim.cli.experiments import PoliciesOpt, View, conduct_plan
from funnelsim.cli.options import ExperimentSeedOpt, ScenarioArg, SetOpt

SettingsOpt = Annotated[
    int,
    typer.Option(
        min=2, max=1000, help="Settings of the judgment parameters, drawn across their ranges."
    ),
]
SettingRepsOpt = Annotated[
    int, typer.Option("--reps", min=1, help="Replications per policy at each setting.")
]


@execution_options
def robustness(
    scenario: ScenarioArg = None,
    policy: PoliciesOpt = None,
    settings: SettingsOpt = 20,
    reps: SettingRepsOpt = 4,
    seed: ExperimentSeedOpt = 0,
    set_: SetOpt = None,
    *,
    execution: Execution,
) -> None:
    """Compare two policies across the plausible range of every judgment parameter.

    Keep the results in a comparison's folder as FOLDER/robustness, and its report shows them.
    """
    from funnelsim.analysis.robustness import robustness_plan
    from funnelsim.results.robustness import robustness as read
    from funnelsim.scenario import parse_overrides
    from funnelsim.views.tables.robustness import robustness_report

    with reported():
        overrides = parse_overrides(set_ or [])
        policies = policy or ["misaligned", "aligned"]
        prepared = robustness_plan(
            scenario, policies, settings=settings, reps=reps, seed=seed or 0, overrides=overrides
        )
    name = "robustness-" + "-".join(policies)
    view = View.of(read, robustness_report, "robustness")
    conduct_plan(prepared, execution.folder(name), execution, view=view)
