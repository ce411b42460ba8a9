"""The commands of many replications: ``compare`` (policies) and ``sweep`` (experiment files)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from funnelsim.cli.console import err, print_json, reported, terminal, warn
from funnelsim.cli.execution import Execution, execution_options
from funnelsim.cli.options import ExperimentSeedOpt, PipelineOpt, RepsOpt, ScenarioArg, SetOpt
from funnelsim.errors import ScenarioError
from funnelsim.record.registry import KEY_METRICS
from funnelsim.record.response import YARDSTICKS
from funnelsim.views.text import printable

if TYPE_CHECKING:
    from collections.abc import Callable

    from rich.console import RenderableType

    from funnelsim.experiments import Plan, Precision
    from funnelsim.results import Results
    from funnelsim.results.stationarity import WindowCheck

PoliciesOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--policy",
        "-p",
        help="A policy to compare (repeat; the first is the baseline). "
        "Default: misaligned, aligned.",
    ),
]
PrecisionOpt = Annotated[
    float | None,
    typer.Option(
        min=0.0001,
        help="Add replications until the 95% interval of the difference is within this "
        "share of its mean (e.g. 0.05).",
    ),
]
MetricOpt = Annotated[
    str | None,
    typer.Option(
        help="The metric --precision watches [default: bookings]: "
        f"{', '.join(KEY_METRICS)}, or any other of a run's metrics.",
    ),
]
YardstickOpt = Annotated[
    str | None,
    typer.Option(
        help="Also judge every policy's SLA compliance within this one response time "
        f"({', '.join(YARDSTICKS)}) [default: the strictest SLA among the policies].",
    ),
]
MaxRepsOpt = Annotated[
    int | None, typer.Option(min=2, help="Most replications --precision adds up to [default: 200].")
]
ExperimentArg = Annotated[
    Path, typer.Argument(help="An experiment YAML file, or a bundled experiment by name.")
]


@execution_options
def compare(
    scenario: ScenarioArg = None,
    policy: PoliciesOpt = None,
    reps: RepsOpt = 10,
    seed: ExperimentSeedOpt = 0,
    precision: PrecisionOpt = None,
    metric: MetricOpt = None,
    max_reps: MaxRepsOpt = None,
    yardstick: YardstickOpt = None,
    set_: SetOpt = None,
    pipeline: PipelineOpt = None,
    *,
    execution: Execution,
) -> None:
    """Compare policies under common random numbers: means, paired differences, who wins."""
    from funnelsim.experiments.orchestrate import comparison
    from funnelsim.scenario import parse_overrides

    with reported():
        target = _target(precision, metric, max_reps, reps)
        _check_yardstick(yardstick)
        overrides = parse_overrides(set_ or [])
        policies = policy or ["misaligned", "aligned"]
        prepared = comparison(
            *(scenario, policies, reps, seed),
            overrides=overrides,
            pipeline=pipeline,
            yardstick=yardstick,
        )
    name = "compare-" + "-".join(prepared.labels)
    conduct_plan(prepared, execution.folder(name), execution, precision=target)


def _check_yardstick(yardstick: str | None) -> None:
    """A yardstick the runs measure, or a usage error saying which they do."""
    from funnelsim.errors import UsageError
    from funnelsim.experiments.yardstick import unknown

    if yardstick is not None and (message := unknown(yardstick)):
        raise UsageError(f"--yardstick: {message}")


def _target(
    precision: float | None, metric: str | None, max_reps: int | None, reps: int
) -> Precision | None:
    """The target of ``--precision``, checked against ``--reps``; None without one.

    ``--metric`` and ``--max-reps`` only shape that target, so either alone is refused rather
    than silently ignored.
    """
    from funnelsim.errors import UsageError
    from funnelsim.experiments import Precision

    if precision is None:
        for option, value in (("--metric", metric), ("--max-reps", max_reps)):
            if value is not None:
                message = "only sets what --precision watches; add --precision (e.g. 0.05)"
                raise UsageError(f"{option}: {message}")
        return None
    target = Precision(precision, metric or "bookings", max_reps or 200)
    target.check(reps)
    return target


def file_command(
    name: str,
    about: str,
    planned: Callable[[], Callable[..., Plan]],
    view: Callable[[], View | None] = lambda: None,
) -> Callable[..., None]:
    """A command that runs an experiment file: ``planned()`` makes its plan and ``view()`` says
    what its results show (imported when the command runs, to keep ``--help`` quick)."""

    def command(
        experiment: ExperimentArg,
        reps: RepsOpt = None,
        seed: ExperimentSeedOpt = None,
        set_: SetOpt = None,
        *,
        execution: Execution,
    ) -> None:
        run_file(experiment, reps, seed, set_, execution, planned(), view())

    command.__name__, command.__doc__ = name, about
    return execution_options(command)


def _prepare() -> Callable[..., Plan]:
    from funnelsim.experiments import prepare

    return prepare


sweep = file_command(
    "sweep", "Run an experiment file: policies x factor points x replications.", _prepare
)


def run_file(
    experiment: Path,
    reps: int | None,
    seed: int | None,
    set_: list[str] | None,
    execution: Execution,
    planned: Callable[..., Plan],
    view: View | None = None,
) -> None:
    """Plan an experiment file with ``planned`` (its ``--reps``, ``--seed`` and ``--set``
    applied), then run it as :func:`conduct_plan` does."""
    from funnelsim.scenario import parse_overrides

    with reported(ScenarioError):
        overrides = parse_overrides(set_ or [])
        prepared = planned(experiment, reps=reps, seed=seed, overrides=overrides)
    conduct_plan(prepared, execution.folder(experiment.stem), execution, view=view)


def conduct_plan(
    prepared: Plan,
    out: Path,
    execution: Execution,
    precision: Precision | None = None,
    view: View | None = None,
) -> None:
    """Run a checked plan with a progress bar, print the tables, exit with what happened.

    ``view`` says what the results show in the terminal and add to ``--json`` (the tables of
    a comparison or sweep by default). When every replication failed there is nothing to
    tabulate: ``--json`` still prints the failed replications, and the command ends in one
    line saying where their errors are.
    """
    from funnelsim.experiments import conduct
    from funnelsim.results.experiment import check_succeeded
    from funnelsim.results.stationarity import window_check
    from funnelsim.views.tables.experiments import experiment_report

    view = view or View(experiment_report)
    with execution.progress(out) as reporting:
        options = execution.options() | reporting | {"precision": precision}
        results = conduct(prepared, out=out, **options)
    if execution.overwrite:
        for name in results.manifest.get("removed", []):
            err.print(f"removed {printable(out / name)}", soft_wrap=True, markup=False)
    check = window_check(results) if results.succeeded else None
    if execution.as_json:
        extra = view.document(results) if results.succeeded else {}
        print_json(experiment_document(results, check) | extra)
    with reported():
        check_succeeded(results)
    if not execution.as_json:
        terminal().print(view.report(results))
    warn(check.warning if check else None)
    if not results.failed.empty:
        raise typer.Exit(1)


@dataclasses.dataclass(frozen=True)
class View:
    """What a command's results show: the terminal's tables, and what ``--json`` adds."""

    report: Callable[[Results], RenderableType]
    document: Callable[[Results], dict[str, Any]] = lambda results: {}

    @classmethod
    def of(cls, read: Callable[[Results], Any], report: Callable[[Any], RenderableType], key: str):
        """The view of an analysis: ``read`` makes it from the results, ``report`` draws its
        tables, and ``--json`` adds its ``document()`` under ``key``."""
        return cls(
            lambda results: report(read(results)), lambda results: {key: read(results).document()}
        )


def experiment_document(results: Results, check: WindowCheck | None) -> dict[str, Any]:
    """What ``compare --json`` and ``sweep --json`` print; ``check`` is the stationarity of
    the measured windows (:func:`~funnelsim.results.stationarity.window_check`)."""
    from funnelsim.record.registry import money_periods
    from funnelsim.views.formats import span

    failed = results.failed[["point", "replication", "policy", "seed", "error"]]
    return {
        "results": str(results.path),
        "replications": results.manifest["replications"],
        "measured": span(results),
        "money_periods": money_periods(results.summary["metric"].drop_duplicates()),
        "yardstick": results.manifest.get("yardstick"),
        "failed": failed.to_dict(orient="records"),
        "summary": results.summary.to_dict(orient="records"),
        "differences": results.differences.to_dict(orient="records"),
        "stationarity": None if check is None else dataclasses.asdict(check),
    }
