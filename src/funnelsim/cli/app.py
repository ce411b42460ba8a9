"""The ``funnelsim`` command line: parses, calls the library, renders. No model logic here."""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
import yaml
from rich.console import Console

from funnelsim.base.files import atomic_write
from funnelsim.base.jsondoc import plain
from funnelsim.errors import FunnelsimError, ScenarioError
from funnelsim.runner import simulate
from funnelsim.scenario import load_scenario, validate_policies
from funnelsim.views.tables.run import calibration, print_run

app = typer.Typer(
    help="Simulate the B2B lead-to-revenue funnel and test sales/marketing alignment.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
err = Console(stderr=True)

ScenarioArg = Annotated[
    Path | None,
    typer.Argument(help="Scenario YAML file; the bundled reference scenario when omitted."),
]
PolicyOpt = Annotated[
    str | None,
    typer.Option("--policy", "-p", help="A policy named in the scenario, or a policy file."),
]
SetOpt = Annotated[
    list[str] | None,
    typer.Option("--set", "-s", help="Override a key: dotted.path=value (repeatable)."),
]


def _fail(exc: FunnelsimError) -> None:
    """Print the problems of a bad input, one per line, and exit with status 2."""
    problems = getattr(exc, "problems", None) or [exc]
    noun = "problem" if len(problems) == 1 else "problems"
    err.print(f"[bold red]error:[/] {len(problems)} {noun} found", highlight=False)
    for problem in problems:
        err.print(f"  {problem}", highlight=False, markup=False, soft_wrap=True)
    raise typer.Exit(2)


def _load(scenario: Path | None, policy: str | None, overrides: list[str] | None):
    """The resolved scenario, or the problems printed and exit status 2."""
    try:
        return load_scenario(scenario, policy=policy, overrides=overrides or [])
    except ScenarioError as exc:
        _fail(exc)


def _check_writable(path: Path) -> None:
    """Refuse an event-log path before the run, not after it: exit 2 with the reason."""
    problem = None
    if path.suffix.lower() not in (".parquet", ".csv"):
        problem = "expected a .parquet or .csv file"
    else:
        folder = path.absolute().parent
        while not folder.exists():  # the folders are made at the end, and only then
            folder = folder.parent
        if not folder.is_dir() or not os.access(folder, os.W_OK):
            problem = f"cannot write in {folder}"
    if problem is not None:
        err.print(f"[bold red]error:[/] --events {path}: {problem}", soft_wrap=True)
        raise typer.Exit(2)


def write_events(frame, path: Path) -> None:
    """Write the event log as Parquet or CSV, atomically: a partial file never appears."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".parquet":
        atomic_write(path, lambda tmp: frame.to_parquet(tmp, index=False))
    else:
        atomic_write(path, lambda tmp: frame.to_csv(tmp, index=False))


@app.command()
def run(
    scenario: ScenarioArg = None,
    policy: PolicyOpt = None,
    seed: Annotated[int, typer.Option(min=0, help="Root seed of the run's random streams.")] = 0,
    set_: SetOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
    events: Annotated[
        Path | None, typer.Option(help="Write the event log here (.parquet or .csv).")
    ] = None,
) -> None:
    """Simulate one run of a scenario and show its figures."""
    if events is not None:
        _check_writable(events)
    resolved = _load(scenario, policy, set_)
    with err.status("simulating…", spinner="dots"):
        result = simulate(resolved, seed=seed, events=events is not None)
    if events is not None:
        try:
            write_events(result.events, events)
        except OSError as exc:
            err.print(f"[bold red]error:[/] --events {events}: {exc.strerror}", soft_wrap=True)
            raise typer.Exit(2) from None
        err.print(f"event log: {len(result.events):,} rows written to {events}")
    if as_json:
        document = {
            **result.summary,
            "by_source": result.by_source.reset_index().to_dict(orient="records"),
            "by_segment": result.by_segment.reset_index().to_dict(orient="records"),
            "weekly": json.loads(result.weekly.to_json(orient="records", date_format="iso")),
        }
        sys.stdout.write(json.dumps(plain(document), indent=2) + "\n")
    else:
        print_run(result, Console())


@app.command()
def validate(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML file to check.")],
    policy: PolicyOpt = None,
    set_: SetOpt = None,
) -> None:
    """Check a scenario file (and every policy in it) and print the resolved scenario."""
    try:
        resolved = load_scenario(scenario, policy=policy, overrides=set_ or [])
        if policy is None:
            validate_policies(scenario)
    except ScenarioError as exc:
        _fail(exc)
    data = resolved.model_dump(mode="json", by_alias=True, exclude={"policy"})
    if policy is not None:
        typer.echo(f"# {scenario} with policy {resolved.policy} applied")
    typer.echo(yaml.safe_dump(data, sort_keys=False))
    checked = policy if policy is not None else ", ".join(resolved.policies) or "none defined"
    err.print(f"[green]ok[/]: {scenario} is valid (policies checked: {checked})", soft_wrap=True)


@app.command()
def calibrate(
    scenario: ScenarioArg = None,
    policy: PolicyOpt = None,
    seeds: Annotated[int, typer.Option(min=1, help="Replications to average (seeds 1..N).")] = 3,
    set_: SetOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the table as JSON.")] = False,
) -> None:
    """Compare a scenario's simulated figures with the published benchmarks they rest on."""
    from funnelsim.analysis.calibration import calibration_table

    resolved = _load(scenario, policy, set_)
    with err.status(f"simulating {seeds} replication(s)…", spinner="dots"):
        table = calibration_table(resolved, seeds=tuple(range(1, seeds + 1)))
    if as_json:
        sys.stdout.write(table.to_json(orient="records", indent=2) + "\n")
    else:
        Console().print(calibration(table))


WorkersOpt = Annotated[
    int | None,
    typer.Option(min=1, help="Local worker processes (default: all cores); 1 runs in process."),
]
SchedulerOpt = Annotated[
    str | None,
    typer.Option(help="Dask scheduler: tcp://host:port, or 'local' for a LocalCluster here."),
]
OutOpt = Annotated[
    Path | None,
    typer.Option("--out", "-o", help="Results folder (default: results/<name>-<time>)."),
]
ResumeOpt = Annotated[
    bool, typer.Option(help="Finish an interrupted experiment in --out, keeping finished work.")
]
OverwriteOpt = Annotated[bool, typer.Option(help="Replace the results already in --out.")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the tables as one JSON document.")]


def _default_out(name: str) -> Path:
    return Path("results") / f"{name}-{datetime.now():%Y%m%d-%H%M%S}"


def _resume_command(out: Path) -> str:
    """This command again, with the folder named and --resume added."""
    words = sys.argv[1:]
    if "--out" not in words and "-o" not in words:
        words += ["--out", str(out)]
    if "--resume" not in words:
        words.append("--resume")
    return shlex.join(["funnelsim", *words])


@contextlib.contextmanager
def _kept_on_stop(out: Path) -> Iterator[None]:
    """An interrupt or a lost worker exits 130 or 3 with the command that resumes the work
    kept in ``out``; a folder or a cluster that cannot be used exits 2."""
    from funnelsim.experiments.orchestrate import WorkerLost

    try:
        yield
    except (KeyboardInterrupt, WorkerLost) as exc:
        what = "interrupted" if isinstance(exc, KeyboardInterrupt) else f"stopped: {exc}"
        err.print(
            f"[bold yellow]{what}[/]: finished replications are kept in {out}; "
            f"to finish them, run: {_resume_command(out)}",
            soft_wrap=True,
            highlight=False,
        )
        raise typer.Exit(130 if isinstance(exc, KeyboardInterrupt) else 3) from None
    except FunnelsimError as exc:
        _fail(exc)


def _conduct(prepared, out: Path, quiet: bool, as_json: bool, resume: bool, **options) -> None:
    """Run a checked plan with a progress bar, print the tables, exit with what happened."""
    from funnelsim.experiments import conduct
    from funnelsim.views.tables.experiments import experiment_report, progress_bar

    with _kept_on_stop(out), progress_bar(err, enabled=not (quiet or as_json)) as on_progress:
        results = conduct(prepared, out=out, resume=resume, on_progress=on_progress, **options)
    if as_json:
        document = {
            "results": str(results.path),
            "replications": results.manifest["replications"],
            "failed": results.failed[["point", "replication", "label", "seed", "error"]].to_dict(
                orient="records"
            ),
            "summary": results.summary.to_dict(orient="records"),
            "differences": results.differences.to_dict(orient="records"),
        }
        sys.stdout.write(json.dumps(plain(document), indent=2) + "\n")
    else:
        Console().print(experiment_report(results))
    if not results.failed.empty:
        raise typer.Exit(1)


@app.command()
def compare(
    scenario: ScenarioArg = None,
    policy: Annotated[
        list[str] | None,
        typer.Option(
            "--policy",
            "-p",
            help="A policy to compare (repeat; the first is the baseline). "
            "Default: misaligned, aligned.",
        ),
    ] = None,
    reps: Annotated[int, typer.Option(min=1, help="Replications per policy.")] = 10,
    seed: Annotated[int, typer.Option(min=0, help="Root seed of the experiment.")] = 0,
    precision: Annotated[
        float | None,
        typer.Option(
            min=0.0001,
            help="Add replications until the 95%% interval of the difference is within this "
            "share of its mean (e.g. 0.05).",
        ),
    ] = None,
    metric: Annotated[str, typer.Option(help="The metric --precision watches.")] = "bookings",
    max_reps: Annotated[
        int, typer.Option(min=2, help="Most replications --precision adds up to.")
    ] = 200,
    workers: WorkersOpt = None,
    scheduler: SchedulerOpt = None,
    out: OutOpt = None,
    set_: SetOpt = None,
    resume: ResumeOpt = False,
    overwrite: OverwriteOpt = False,
    quiet: QuietOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Compare policies under common random numbers: means, paired differences, who wins."""
    from funnelsim.experiments import Precision
    from funnelsim.experiments.orchestrate import comparison
    from funnelsim.scenario import parse_overrides

    try:
        target = None if precision is None else Precision(precision, metric, max_reps)
        if target is not None:
            target.check(reps)
        overrides = parse_overrides(set_ or [])
        prepared = comparison(scenario, policy or ["misaligned", "aligned"], reps, seed,
                              overrides=overrides)  # fmt: skip
    except FunnelsimError as exc:
        _fail(exc)
    name = "compare-" + "-".join(prepared.labels)
    _conduct(
        prepared,
        out or _default_out(name),
        quiet,
        as_json,
        resume,
        workers=workers,
        scheduler=scheduler,
        precision=target,
        overwrite=overwrite,
    )


@app.command()
def sweep(
    experiment: Annotated[Path, typer.Argument(help="Experiment YAML file.")],
    workers: WorkersOpt = None,
    scheduler: SchedulerOpt = None,
    out: OutOpt = None,
    resume: ResumeOpt = False,
    overwrite: OverwriteOpt = False,
    quiet: QuietOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Run an experiment file: policies x factor points x replications."""
    from funnelsim.experiments import prepare

    try:
        prepared = prepare(experiment)
    except ScenarioError as exc:
        _fail(exc)
    _conduct(
        prepared,
        out or _default_out(experiment.stem),
        quiet,
        as_json,
        resume,
        workers=workers,
        scheduler=scheduler,
        overwrite=overwrite,
    )


@app.command()
def sla(
    proposal: Annotated[
        Path, typer.Argument(help="SLA proposal YAML file (or a bundled one: sla-proposal).")
    ],
    scenario: Annotated[
        str | None, typer.Option(help="Scenario file or bundled name (default: the proposal's).")
    ] = None,
    baseline: Annotated[
        str | None,
        typer.Option(help="Policy of today, name or file (default: the proposal's baseline)."),
    ] = None,
    stress: Annotated[
        list[str] | None,
        typer.Option(
            help="A stress to run under (repeat): surge, lost_sdrs, seasonal_peak, "
            "lower_fit_mix, or a stress file; 'normal' alone for none. "
            "Default: every built-in stress."
        ),
    ] = None,
    reps: Annotated[int, typer.Option(min=2, help="Replications per policy and condition.")] = 20,
    seed: Annotated[int, typer.Option(min=0, help="Root seed of the stress test.")] = 0,
    probability: Annotated[
        float,
        typer.Option(
            min=0.01, max=0.999, help="Chance a clause must hold in a period to count as kept."
        ),
    ] = 0.9,
    ae_wait: Annotated[
        str, typer.Option(help="Longest wait of an SQL for an AE (90th percentile) for AE sizing.")
    ] = "5d",
    capacity: Annotated[
        bool, typer.Option(help="Search for the SDR and AE headcount the proposal needs.")
    ] = True,
    workers: WorkersOpt = None,
    scheduler: SchedulerOpt = None,
    out: OutOpt = None,
    set_: SetOpt = None,
    resume: ResumeOpt = False,
    overwrite: OverwriteOpt = False,
    quiet: QuietOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Stress-test an SLA proposal: each clause's chance to hold, impact, capacity needed."""
    from funnelsim.base.units import parse_duration
    from funnelsim.scenario import parse_overrides
    from funnelsim.sla import prepare_study, proposal_file, read_proposal, stress_test
    from funnelsim.views.tables.experiments import currency, progress_bar
    from funnelsim.views.tables.sla import sla_report

    try:
        path = proposal_file(proposal)
        study = prepare_study(
            read_proposal(path),
            source=str(path),
            scenario=scenario,
            baseline=baseline,
            stresses=stress,
            reps=reps,
            seed=seed,
            probability=probability,
            overrides=parse_overrides(set_ or []),
        )
        parse_duration(ae_wait)
    except ValueError as exc:
        _fail(FunnelsimError(f"--ae-wait: {exc}"))
    except FunnelsimError as exc:
        _fail(exc)
    out = out or _default_out(f"sla-{path.stem}")
    with _kept_on_stop(out), progress_bar(err, enabled=not (quiet or as_json)) as on_progress:
        verdict = stress_test(
            study,
            out,
            ae_wait=ae_wait,
            capacity=capacity,
            resume=resume,
            overwrite=overwrite,
            workers=workers,
            scheduler=scheduler,
            on_progress=on_progress,
        )
    if as_json:
        sys.stdout.write(json.dumps(verdict.document, indent=2) + "\n")
    else:
        Console().print(sla_report(verdict, currency(verdict.results)))
    if not verdict.results.failed.empty:
        raise typer.Exit(1)


ResultsArg = Annotated[Path, typer.Argument(help="A results folder written by compare or sweep.")]


def _results(folder: Path):
    """A finished results folder, or its problem printed and exit status 2."""
    from funnelsim.results import load_results

    try:
        return load_results(folder)
    except FunnelsimError as exc:
        _fail(exc)


@app.command()
def plot(
    folder: ResultsArg,
    figure: Annotated[
        list[str] | None,
        typer.Option("--figure", "-f", help="A figure to draw (repeat); default: all that apply."),
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="png, svg or pdf.")] = "png",
) -> None:
    """Draw an experiment's figures into FOLDER/figures/."""
    from funnelsim.views import plots

    results = _results(folder)
    known = plots.available(results)
    unknown = [f for f in figure or [] if f not in known]
    if fmt not in ("png", "svg", "pdf") or unknown:
        problem = f"unknown figure(s) {', '.join(unknown)}" if unknown else f"format {fmt!r}"
        err.print(f"[bold red]error:[/] {problem}; figures here: {', '.join(known)}; "
                  "formats: png, svg, pdf", soft_wrap=True)  # fmt: skip
        raise typer.Exit(2)
    written = plots.save_all(results, folder / "figures", figure or known, fmt)
    for path in written:
        typer.echo(str(path))


@app.command()
def report(
    folder: ResultsArg,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="The HTML file (default FOLDER/report.html).")
    ] = None,
) -> None:
    """Write one self-contained HTML report of an experiment: answer, figures, assumptions."""
    from funnelsim.views.report.html import write_report

    results = _results(folder)
    with err.status("drawing the figures…", spinner="dots"):
        path = write_report(results, out or folder / "report.html")
    typer.echo(f"report: {path}")


def main() -> None:
    app()
