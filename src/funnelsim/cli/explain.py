"""``funnelsim explain``: which lever carries the difference between two policies."""

from __future__ import annotations

from typing import Annotated

import typer

from funnelsim.cli.console import reported
from funnelsim.cli.execution import Execution, execution_options
from funnelsim.cli.experiments import PoliciesOpt, View, conduct_plan
from funnelsim.cli.options import ExperimentSeedOpt, RepsOpt, ScenarioArg, SetOpt

BY = ("lever", "key")
"""How keys become levers: grouped into the levers a revenue team argues about, or one each."""


def _by(value: str) -> str:
    if value not in BY:
        raise typer.BadParameter(f"expected 'lever' or 'key', got {value!r}")
    return value


ByOpt = Annotated[
    str,
    typer.Option(
        callback=_by,
        help="Group the keys in which the policies differ into levers (threshold, review, sla, "
        "cadence, followups, recycling, headcount), or take each key as a lever of its own: "
        "lever or key.",
    ),
]
OrdersOpt = Annotated[
    int | None,
    typer.Option(
        min=2,
        help="Estimate the Shapley values from this many sampled orders of the levers "
        "(by default: exact up to 6 levers, else 8 orders).",
    ),
]


@execution_options
def explain(
    scenario: ScenarioArg = None,
    policy: PoliciesOpt = None,
    by: ByOpt = "lever",
    orders: OrdersOpt = None,
    reps: RepsOpt = 10,
    seed: ExperimentSeedOpt = 0,
    set_: SetOpt = None,
    *,
    execution: Execution,
) -> None:
    """Split the difference between two policies into each lever's share (Shapley values)."""
    from funnelsim.analysis.explain import explanation_plan
    from funnelsim.results.explanation import explain as read
    from funnelsim.scenario import parse_overrides
    from funnelsim.views.tables.explain import explanation_report

    with reported():
        overrides = parse_overrides(set_ or [])
        policies = policy or ["misaligned", "aligned"]
        prepared = explanation_plan(
            scenario, policies, reps, seed, by=by, overrides=overrides, orders=orders
        )
    name = "explain-" + "-".join(policies)
    view = View.of(read, explanation_report, "explanation")
    conduct_plan(prepared, execution.folder(name), execution, view=view)
