"""The options several commands share, each defined once with its help text."""

from pathlib import Path
from typing import Annotated

import typer

ScenarioArg = Annotated[
    Path | None,
    typer.Argument(
        help="A scenario YAML file or a bundled scenario's name; the bundled reference "
        "scenario when omitted."
    ),
]
PolicyOpt = Annotated[
    str | None,
    typer.Option("--policy", "-p", help="A policy named in the scenario, or a policy file."),
]
SetOpt = Annotated[
    list[str] | None,
    typer.Option("--set", "-s", help="Override a key: dotted.path=value (repeatable)."),
]
PipelineOpt = Annotated[
    Path | None,
    typer.Option(
        help="Start from the deals open in this pipeline file (funnelsim fit writes "
        "pipeline.yaml): its date, and each deal in its stage with its ages."
    ),
]
RepsOpt = Annotated[
    int | None,
    typer.Option(
        min=1, help="Replications per policy (and sweep point); sweep: the file's if unset."
    ),
]
ExperimentSeedOpt = Annotated[
    int | None, typer.Option(min=0, help="Root seed of the experiment; sweep: the file's if unset.")
]

WorkersOpt = Annotated[
    int | None,
    typer.Option(min=1, help="Local worker processes (default: all cores); 1 runs in process."),
]
SchedulerOpt = Annotated[
    str | None,
    typer.Option(
        help="Dask scheduler of a cluster you trust, since results come back pickled: "
        "tcp://host:port, tls://host:port (certificates from Dask's distributed.comm.tls "
        "settings), or 'local' for a LocalCluster here."
    ),
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
