"""The ``sla`` command: stress-test an SLA proposal before leaders sign it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from funnelsim.cli.console import fail, print_json, reported, terminal
from funnelsim.cli.execution import Execution, execution_options
from funnelsim.cli.options import SetOpt
from funnelsim.errors import FunnelsimError

if TYPE_CHECKING:
    from funnelsim.results import SlaResults
    from funnelsim.sla import Study

ProposalArg = Annotated[
    Path, typer.Argument(help="An SLA proposal YAML file, or a bundled one: sla-proposal.")
]
ScenarioNameOpt = Annotated[
    str | None, typer.Option(help="Scenario file or bundled name (default: the proposal's).")
]
BaselineOpt = Annotated[
    str | None,
    typer.Option(help="Policy of today, name or file (default: the proposal's baseline)."),
]
StressOpt = Annotated[
    list[str] | None,
    typer.Option(
        help="A stress to run under (repeat): surge, lost_sdrs, seasonal_peak, "
        "lower_fit_mix, or a stress file; 'normal' alone for none. "
        "Default: every built-in stress."
    ),
]
StudyRepsOpt = Annotated[int, typer.Option(min=2, help="Replications per policy and condition.")]
StudySeedOpt = Annotated[int, typer.Option(min=0, help="Root seed of the stress test.")]
ProbabilityOpt = Annotated[
    float,
    typer.Option(
        min=0.01, max=0.999, help="Chance a clause must hold in a period to count as kept."
    ),
]
AeWaitOpt = Annotated[
    str, typer.Option(help="Longest wait of an SQL for an AE (90th percentile) for AE sizing.")
]
CapacityOpt = Annotated[
    bool, typer.Option(help="Search for the SDR and AE headcount the proposal needs.")
]


@execution_options
def sla(
    proposal: ProposalArg,
    scenario: ScenarioNameOpt = None,
    baseline: BaselineOpt = None,
    stress: StressOpt = None,
    reps: StudyRepsOpt = 20,
    seed: StudySeedOpt = 0,
    probability: ProbabilityOpt = 0.9,
    ae_wait: AeWaitOpt = "5d",
    capacity: CapacityOpt = True,
    set_: SetOpt = None,
    *,
    execution: Execution,
) -> None:
    """Stress-test an SLA proposal: each clause's chance to hold, impact, capacity needed."""
    from funnelsim.sla import stress_test

    path, study = _study(proposal, ae_wait, scenario=scenario, baseline=baseline,
                         stresses=stress, reps=reps, seed=seed, probability=probability,
                         overrides=set_)  # fmt: skip
    out = execution.folder(f"sla-{path.stem}")
    with execution.progress(out) as reporting:
        options = execution.options() | reporting
        verdict = stress_test(study, out, ae_wait=ae_wait, capacity=capacity, **options)
    _show(verdict, execution.as_json)


def _study(
    proposal: Path, ae_wait: str, overrides: list[str] | None, **choices
) -> tuple[Path, Study]:
    """The proposal's file and its checked study, or the problems printed and exit 2."""
    from funnelsim.base.units import parse_duration
    from funnelsim.scenario import parse_overrides
    from funnelsim.sla import prepare_study, proposal_file, read_proposal

    with reported():
        try:
            path = proposal_file(proposal)
            read = read_proposal(path)
            sets = parse_overrides(overrides or [])
            study = prepare_study(read, source=str(path), overrides=sets, **choices)
            parse_duration(ae_wait)
        except ValueError as exc:
            fail(FunnelsimError(f"--ae-wait: {exc}"))
    return path, study


def _show(verdict: SlaResults, as_json: bool) -> None:
    """The verdict as tables or one JSON document; exit 1 when a replication failed."""
    from funnelsim.views.tables.experiments import currency
    from funnelsim.views.tables.sla import sla_report

    if as_json:
        print_json(verdict.document)
    else:
        terminal().print(sla_report(verdict, currency(verdict.results)))
    if not verdict.results.failed.empty:
        raise typer.Exit(1)
