"""The commands that read a finished results folder: ``plot`` and ``report``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from funnelsim.cli.console import err, reported

if TYPE_CHECKING:
    from funnelsim.results import Results

ResultsArg = Annotated[Path, typer.Argument(help="A results folder written by compare or sweep.")]
FiguresOpt = Annotated[
    list[str] | None,
    typer.Option("--figure", "-f", help="A figure to draw (repeat); default: all that apply."),
]
FormatOpt = Annotated[str, typer.Option("--format", help="png, svg or pdf.")]
ReportOpt = Annotated[
    Path | None, typer.Option("--out", "-o", help="The HTML file (default FOLDER/report.html).")
]
FORMATS = ("png", "svg", "pdf")


def plot(folder: ResultsArg, figure: FiguresOpt = None, fmt: FormatOpt = "png") -> None:
    """Draw an experiment's figures into FOLDER/figures/."""
    from funnelsim.views import plots

    results = _results(folder)
    known = plots.available(results)
    unknown = [f for f in figure or [] if f not in known]
    if fmt not in FORMATS or unknown:
        problem = f"unknown figure(s) {', '.join(unknown)}" if unknown else f"format {fmt!r}"
        err.print(f"[bold red]error:[/] {problem}; figures here: {', '.join(known)}; "
                  f"formats: {', '.join(FORMATS)}", soft_wrap=True)  # fmt: skip
        raise typer.Exit(2)
    for path in plots.save_all(results, folder / "figures", figure or known, fmt):
        typer.echo(str(path))


def report(folder: ResultsArg, out: ReportOpt = None) -> None:
    """Write one self-contained HTML report of an experiment: answer, figures, assumptions."""
    from funnelsim.views.report.html import write_report

    results = _results(folder)
    with err.status("drawing the figures…", spinner="dots"):
        path = write_report(results, out or folder / "report.html")
    typer.echo(f"report: {path}")


def _results(folder: Path) -> Results:
    """A finished results folder, or its problem printed and exit status 2."""
    from funnelsim.results import load_results

    with reported():
        return load_results(folder)
