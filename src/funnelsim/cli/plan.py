"""``funnelsim plan``: what it takes to reach a target with a stated chance."""

from __future__ import annotations

from typing import Annotated

import typer

from funnelsim.cli.console import print_json, reported, terminal
from funnelsim.cli.execution import Execution, execution_options
from funnelsim.cli.options import PolicyOpt, ScenarioArg, SetOpt

TargetOpt = Annotated[
    str,
    typer.Option(help="METRIC=AMOUNT to reach, such as bookings=40M or deals_won=400."),
]
PeriodOpt = Annotated[
    str,
    typer.Option(
        help="When: a year (2027), a quarter (2027Q1), a month (2027-03) or FIRST..LAST dates."
    ),
]
LeverOpt = Annotated[
    list[str],
    typer.Option(
        help="What the plan may change (repeat): sdr, ae or leads.SOURCE, each with optional "
        "=LOW:HIGH[:STEP] (heads; leads a week)."
    ),
]
ProbabilityOpt = Annotated[
    float, typer.Option(help="The chance of reaching the target the plan must have.")
]
PlanRepsOpt = Annotated[
    int, typer.Option(min=4, help="Replications of each plan the search tries.")
]
FinalRepsOpt = Annotated[
    int | None, typer.Option(min=4, help="Replications of the final check (default: 2 x --reps).")
]
ObjectiveOpt = Annotated[
    str,
    typer.Option(
        help="What the cheapest plan has least of: spend (from the scenario's start to the "
        "period's end) or period_spend (within the period)."
    ),
]
SeedOpt = Annotated[
    int, typer.Option(min=0, help="Root seed: replication r of every plan shares it.")
]


@execution_options
def plan(
    scenario: ScenarioArg = None,
    target: TargetOpt = ...,
    period: PeriodOpt = ...,
    lever: LeverOpt = ...,
    probability: ProbabilityOpt = 0.8,
    policy: PolicyOpt = None,
    reps: PlanRepsOpt = 20,
    final_reps: FinalRepsOpt = None,
    seed: SeedOpt = 0,
    objective: ObjectiveOpt = "spend",
    set_: SetOpt = None,
    *,
    execution: Execution,
) -> None:
    """Find the cheapest plan that reaches a target with the chance asked, beside the
    spreadsheet's reverse waterfall."""
    from funnelsim.analysis.planning import plan_target
    from funnelsim.scenario import parse_overrides
    from funnelsim.views.plots.plan import plan_figures
    from funnelsim.views.tables.plan import plan_report

    with reported():
        sets = parse_overrides(set_ or [])
    out = execution.folder(f"plan-{target}-{period}")
    with execution.progress(out) as reporting:
        found = plan_target(
            scenario,
            target=target,
            period=period,
            levers=lever,
            probability=probability,
            policy=policy,
            overrides=sets,
            reps=reps,
            final_reps=final_reps,
            seed=seed,
            objective=objective,
            out=out,
            on_progress=reporting["on_progress"],
            **execution.options(),
        )
    plan_figures(found)
    if execution.as_json:
        months = found.months_of("pick").drop(columns="plan").to_dict(orient="records")
        print_json(found.document | {"months": months, "folder": str(out)})
    else:
        terminal().print(plan_report(found))
        terminal().print(f"Plan, tables and figures in {out}", highlight=False)
