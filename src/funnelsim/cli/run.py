"""The commands of one scenario: ``run``, ``validate`` and ``calibrate``."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml

from funnelsim.base.files import atomic_write
from funnelsim.cli.console import err, fail, load, print_json, reported, terminal, warn
from funnelsim.cli.options import PipelineOpt, PolicyOpt, ScenarioArg, SetOpt
from funnelsim.errors import ScenarioError, UsageError
from funnelsim.runner import RunResult, simulate
from funnelsim.scenario import load_scenario, validate_policies
from funnelsim.views.tables.run import calibration, print_run
from funnelsim.views.text import literal, printable

RunSeedOpt = Annotated[int, typer.Option(min=0, help="Root seed of the run's random streams.")]
RunJsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document.")]
EventsOpt = Annotated[
    Path | None, typer.Option(help="Write the event log here (.parquet or .csv).")
]
SeedsOpt = Annotated[int, typer.Option(min=1, help="Replications to average (seeds 1..N).")]
TableJsonOpt = Annotated[bool, typer.Option("--json", help="Print the table as JSON.")]


def run(
    scenario: ScenarioArg = None,
    policy: PolicyOpt = None,
    seed: RunSeedOpt = 0,
    set_: SetOpt = None,
    as_json: RunJsonOpt = False,
    events: EventsOpt = None,
    pipeline: PipelineOpt = None,
) -> None:
    """Simulate one run of a scenario and show its figures."""
    if events is not None:
        _check_writable(events)
    resolved = load(scenario, policy, set_, pipeline)
    with err.status("simulating…", spinner="dots"):
        result = simulate(resolved, seed=seed, events=events is not None)
    if events is not None:
        _write_event_log(result, events)
    if as_json:
        print_json(run_document(result))
    else:
        print_run(result, terminal())
    warn(result.summary["stationarity"]["warning"])


def validate(
    scenario: Annotated[
        Path, typer.Argument(help="A scenario YAML file to check, or a bundled one by name.")
    ],
    policy: PolicyOpt = None,
    set_: SetOpt = None,
    pipeline: PipelineOpt = None,
) -> None:
    """Check a scenario file (and every policy in it) and print the resolved scenario."""
    with reported(ScenarioError):
        resolved = load_scenario(scenario, policy=policy, overrides=set_ or [], pipeline=pipeline)
        if policy is None:
            validate_policies(scenario, pipeline)
    data = resolved.model_dump(mode="json", by_alias=True, exclude={"policy"})
    if policy is not None:
        typer.echo(f"# {printable(scenario)} with policy {printable(resolved.policy)} applied")
    typer.echo(yaml.safe_dump(data, sort_keys=False))
    checked = policy if policy is not None else ", ".join(resolved.policies) or "none defined"
    err.print(
        f"[green]ok[/]: {literal(scenario)} is valid (policies checked: {literal(checked)})",
        soft_wrap=True,
    )


AUDIT = "misaligned"
"""The policy the response-time anchors are measured under, when the scenario has it."""


def calibrate(
    scenario: ScenarioArg = None,
    policy: PolicyOpt = None,
    seeds: SeedsOpt = 3,
    set_: SetOpt = None,
    as_json: TableJsonOpt = False,
) -> None:
    """Compare a scenario's simulated figures with the published benchmarks they rest on."""
    from funnelsim.analysis.calibration import calibration_table

    resolved = load(scenario, policy, set_)
    # The audit's firms kept no response promise: measured under the misaligned policy.
    audit = load(scenario, AUDIT, set_) if AUDIT in resolved.policies else None
    with err.status(f"simulating {seeds} replication(s)…", spinner="dots"):
        table = calibration_table(resolved, seeds=tuple(range(1, seeds + 1)), audit=audit)
    if as_json:
        sys.stdout.write(table.to_json(orient="records", indent=2) + "\n")
    else:
        terminal().print(calibration(table))


def run_document(result: RunResult) -> dict[str, Any]:
    """What ``run --json`` prints: the summary, the breakdowns and the weekly series."""
    return {
        **result.summary,
        "by_source": result.by_source.reset_index().to_dict(orient="records"),
        "by_segment": result.by_segment.reset_index().to_dict(orient="records"),
        "weekly": json.loads(result.weekly.to_json(orient="records", date_format="iso")),
    }


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
        fail(UsageError(f"--events {path}: {problem}"))


def _write_event_log(result: RunResult, path: Path) -> None:
    """The run's event log written to ``path``, or the reason it cannot be and exit 2."""
    try:
        write_events(result.events, path)
    except OSError as exc:
        fail(UsageError(f"--events {path}: {exc.strerror}"))
    rows = len(result.events)
    err.print(f"event log: {rows:,} rows written to {printable(path)}", markup=False)


def write_events(frame, path: Path) -> None:
    """Write the event log as Parquet or CSV, atomically: a partial file never appears."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".parquet":
        atomic_write(path, lambda tmp: frame.to_parquet(tmp, index=False))
    else:
        atomic_write(path, lambda tmp: frame.to_csv(tmp, index=False))
