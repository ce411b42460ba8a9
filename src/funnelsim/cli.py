"""The ``funnelsim`` command line: parses, calls the library, renders. No model logic here."""

from __future__ import annotations

import json
import math
import os
import sys
import tempfile
from pathlib import Path
from typing import Annotated

import typer
import yaml
from rich.console import Console

from funnelsim import render
from funnelsim.errors import FunnelsimError, ScenarioError
from funnelsim.render import print_run
from funnelsim.runner import simulate
from funnelsim.scenario import load_scenario, validate_policies

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


def _jsonable(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if hasattr(value, "item"):  # NumPy scalars
        return _jsonable(value.item())
    return value


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
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(fd)
    try:
        if path.suffix.lower() == ".parquet":
            frame.to_parquet(tmp, index=False)
        else:
            frame.to_csv(tmp, index=False)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


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
        sys.stdout.write(json.dumps(_jsonable(document), indent=2) + "\n")
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
    from funnelsim.calibration import calibration_table

    resolved = _load(scenario, policy, set_)
    with err.status(f"simulating {seeds} replication(s)…", spinner="dots"):
        table = calibration_table(resolved, seeds=tuple(range(1, seeds + 1)))
    if as_json:
        sys.stdout.write(table.to_json(orient="records", indent=2) + "\n")
    else:
        Console().print(render.calibration(table))


def main() -> None:
    app()
