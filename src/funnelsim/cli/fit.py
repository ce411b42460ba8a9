"""CRM data in and out: ``export-crm`` (a run as a CRM would export it) and ``fit`` (a
scenario from a company's export)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer

from funnelsim.cli.console import err, load, print_json, reported, terminal
from funnelsim.cli.options import JsonOpt, OverwriteOpt, PolicyOpt, ScenarioArg, SetOpt
from funnelsim.errors import UsageError
from funnelsim.views.text import literal

ShapeOpt = Annotated[
    Literal["funnelsim", "hubspot", "salesforce"],
    typer.Option(help="Whose export to imitate: file names, column names, closed stages."),
]
SeedOpt = Annotated[int, typer.Option(min=0, help="Root seed of the run's random streams.")]
AtOpt = Annotated[
    str | None,
    typer.Option(
        "--at",
        help="Take the export this long after the run's start (such as 130w); default: its end.",
    ),
]
ParquetOpt = Annotated[bool, typer.Option("--parquet", help="Write Parquet, not CSV.")]
ExportOut = Annotated[
    Path, typer.Option("--out", "-o", help="The folder to write the export into.")
]
MappingArg = Annotated[
    Path, typer.Argument(help="The export's mapping file (docs/fit.md), beside its files.")
]
BaseOpt = Annotated[
    str | None,
    typer.Option(
        help="The scenario whose values stand where the export says nothing (default: "
        "the bundled reference)."
    ),
]
FitOut = Annotated[
    Path | None,
    typer.Option(
        "--out",
        "-o",
        help="A folder for scenario.yaml, estimates.csv, excluded.csv and fit.json.",
    ),
]


def export_crm(
    scenario: ScenarioArg = None,
    out: ExportOut = Path("crm-export"),
    policy: PolicyOpt = None,
    seed: SeedOpt = 0,
    shape: ShapeOpt = "funnelsim",
    at: AtOpt = None,
    parquet: ParquetOpt = False,
    set_: SetOpt = None,
) -> None:
    """Simulate a run and write it as a CRM export: leads, deals, stage history, calls."""
    from funnelsim.base.units import parse_duration
    from funnelsim.record.crm import crm_export
    from funnelsim.runner import simulate

    resolved = load(scenario, policy, set_)
    with reported():
        when = None
        if at is not None:
            try:
                when = parse_duration(at)
            except ValueError:
                raise UsageError(f"--at: expected a duration such as 130w, got {at!r}") from None
            if not 0 < when <= resolved.horizon.length:
                length = f"{resolved.horizon.length / 7:g}w"
                raise UsageError(f"--at: expected a time inside the run (0 to {length}), got {at}")
    with err.status("simulating…", spinner="dots"):
        result = simulate(resolved, seed=seed, events=True)
    export = crm_export(resolved, result.ledger, result.events, when)
    written = export.write(out, shape, parquet)
    sizes = ", ".join(
        f"{path.name} ({len(t):,} rows)"
        for path, t in zip(written, export.tables().values(), strict=True)
    )
    err.print(
        f"[green]wrote[/] {out}: {sizes}; exported at {export.exported_at:%Y-%m-%d %H:%M %Z}",
        soft_wrap=True,
        highlight=False,
    )


TuneOpt = Annotated[
    bool,
    typer.Option(
        "--tune/--no-tune",
        help="Tune the MQL threshold, and the desk's neglect where MQLs went untouched, by "
        "simulation to the export's shares (a few seconds).",
    ),
]


def fit(
    mapping: MappingArg,
    base: BaseOpt = None,
    out: FitOut = None,
    tune: TuneOpt = True,
    overwrite: OverwriteOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Fit a scenario from a company's CRM export: each figure with its sample and interval."""
    from funnelsim.analysis.fit import FILES, fit_export
    from funnelsim.views.tables.crm import print_fit

    with reported():
        _check_out(out, FILES, overwrite)
        fitted = fit_export(mapping, base, tune=tune)
    if out is not None:
        fitted.write(out)
        _draw_sizes(fitted, out / "figures" / "deal_sizes.png")
    if as_json:
        print_json(fitted.document())
    else:
        heading = (
            f"Export taken {fitted.exported_at:%Y-%m-%d %H:%M %Z}; the base scenario "
            f"{literal(fitted.base)} stands where it says nothing"
        )
        print_fit(fitted.estimates, fitted.excluded, heading, terminal())
        if out is None:
            err.print(
                "the fitted scenario was not kept: add --out FOLDER to keep it", highlight=False
            )
        else:
            err.print(
                f"[green]wrote[/] {out / 'scenario.yaml'}, the pipeline open at the export "
                f"({len(fitted.pipeline.deals)} deals) in {out / 'pipeline.yaml'}, and the "
                "estimates beside them",
                highlight=False,
            )


SplitOpt = Annotated[
    str | None,
    typer.Option(help="Fit on the history before this date (default: 26 weeks before the export)."),
]
RepsOpt = Annotated[int, typer.Option(min=2, help="Simulated replications of the held-out weeks.")]
WorkersOpt = Annotated[int, typer.Option(min=1, help="Local worker processes.")]
StartOpt = Annotated[
    bool,
    typer.Option(
        "--pipeline/--no-pipeline",
        help="Start at the split from the deals open then (default), or reach it through the "
        "fitted scenario's own warm-up.",
    ),
]
BacktestOut = Annotated[
    Path | None,
    typer.Option("--out", "-o", help="A folder for the scores, the weekly series and the fit."),
]


def backtest(
    mapping: MappingArg,
    split: SplitOpt = None,
    base: BaseOpt = None,
    reps: RepsOpt = 20,
    seed: SeedOpt = 0,
    workers: WorkersOpt = 1,
    out: BacktestOut = None,
    tune: TuneOpt = True,
    overwrite: OverwriteOpt = False,
    as_json: JsonOpt = False,
    pipeline: StartOpt = True,
) -> None:
    """Fit on the history before a date, simulate the weeks after it, score against reality."""
    from funnelsim.analysis.fit.backtest import FILES
    from funnelsim.analysis.fit.backtest import backtest as backtested
    from funnelsim.views.tables.crm import print_backtest

    with reported():
        _check_out(out, FILES, overwrite)
    with reported(), err.status("fitting and simulating…", spinner="dots"):
        found = backtested(mapping, split, base, reps, seed, workers, tune, pipeline)
    start = (
        f"from the {len(found.fitted.pipeline.deals)} deals open then"
        if pipeline
        else "after the fitted scenario's warm-up"
    )
    heading = (
        f"Fitted on the history before {found.split:%Y-%m-%d}; the {found.weeks} weeks after it "
        f"simulated {found.reps} times (seed {found.seed}) {start}"
    )
    if out is not None:
        found.write(out)
        _draw_bands(found.weekly, heading, out / "figures" / "backtest.png")
        _draw_sizes(found.fitted, out / "fit" / "figures" / "deal_sizes.png")
    if as_json:
        print_json(found.document())
        return
    print_backtest(found.scores, found.distances, heading, terminal())


def _check_out(out: Path | None, files: tuple[str, ...], overwrite: bool) -> None:
    """Refuse, before any work, to write over results already in ``out`` unless asked."""
    if out is None or overwrite:
        return
    there = [name for name in files if (out / name).exists()]
    if there:
        raise UsageError(
            f"--out: {out} already holds {', '.join(there)}; add --overwrite to replace them"
        )


def _draw_sizes(fitted, path: Path) -> None:
    """The fit's figure: each segment's deal amounts against the fitted log-normal."""
    from funnelsim.views.plots.fit import deal_sizes

    heading = f"Deal sizes in the export taken {fitted.exported_at:%Y-%m-%d}"
    _save(deal_sizes(fitted.amounts, fitted.estimates, heading)[0].figure, path)


def _save(figure, path: Path) -> None:
    """A figure written whole or not at all."""
    from funnelsim.base.files import atomic_write

    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, lambda tmp: figure.savefig(tmp, format="png", dpi=120))


def _draw_bands(weekly, heading: str, path: Path) -> None:
    """The backtest's figure: real weeks against the simulated bands."""
    from funnelsim.views.plots.backtest import bands

    _save(bands(weekly, heading)[0].figure, path)
