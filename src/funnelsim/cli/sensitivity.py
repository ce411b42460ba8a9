"""``funnelsim sensitivity``: which inputs drive the answer (Morris, Sobol')."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from funnelsim.cli.console import reported
from funnelsim.cli.execution import Execution, execution_options
from funnelsim.cli.experiments import ExperimentArg, View, conduct_plan
from funnelsim.cli.options import ExperimentSeedOpt, RepsOpt, SetOpt
from funnelsim.errors import ScenarioError

if TYPE_CHECKING:
    from rich.console import RenderableType

    from funnelsim.results import Results


@execution_options
def sensitivity(
    experiment: ExperimentArg,
    reps: RepsOpt = None,
    seed: ExperimentSeedOpt = None,
    set_: SetOpt = None,
    *,
    execution: Execution,
) -> None:
    """Rank the inputs of an experiment file by their effect: Morris screening or Sobol'."""
    from funnelsim.analysis.sensitivity import sensitivity_plan
    from funnelsim.scenario import parse_overrides

    with reported(ScenarioError):
        overrides = parse_overrides(set_ or [])
        prepared = sensitivity_plan(experiment, reps=reps, seed=seed, overrides=overrides)
    view = View(_report, _document)
    conduct_plan(prepared, execution.folder(experiment.stem), execution, view=view)


def _report(results: Results) -> RenderableType:
    from funnelsim.analysis.sensitivity import analyse
    from funnelsim.views.tables.sensitivity import sensitivity_report

    return sensitivity_report(analyse(results))


def _document(results: Results) -> dict[str, Any]:
    from funnelsim.analysis.sensitivity import analyse

    return {"sensitivity": analyse(results).document()}
