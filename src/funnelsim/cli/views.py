"""The commands that read a finished results folder: ``plot`` and ``report``."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from funnelsim.cli.console import err, fail, reported

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
    figures = folder / "figures"
    with reported():
        _writable(figures, "a folder for the figures", folder_wanted=True)
    with _written(figures):
        for path in plots.save_all(results, figures, figure or known, fmt):
            typer.echo(str(path))


def report(folder: ResultsArg, out: ReportOpt = None) -> None:
    """Write one self-contained HTML report of an experiment: answer, figures, assumptions."""
    from funnelsim.views.report.html import write_report

    results = _results(folder)
    target = out or folder / "report.html"
    with reported():
        _writable(target, "an HTML file such as report.html", folder_wanted=False)
    with _written(target), err.status("drawing the figures…", spinner="dots"):
        path = write_report(results, target)
    typer.echo(f"report: {path}")


def _results(folder: Path) -> Results:
    """A results folder, what finished of it if it has not (said in one line), or its problem
    printed and exit status 2."""
    from funnelsim.results import load_results
    from funnelsim.views.formats import partial_note

    with reported():
        results = load_results(folder, partial=True)
    note = partial_note(results)
    if note is not None:
        err.print(f"[bold yellow]{note}[/]: showing those; finish the experiment with its "
                  "command and --resume", soft_wrap=True, highlight=False)  # fmt: skip
    return results


def _writable(path: Path, expected: str, folder_wanted: bool) -> None:
    """Refuse, before any work, an output path that is the wrong kind of thing or that cannot
    be written: a folder where a file goes, a file where a folder goes, an unwritable place."""
    from funnelsim.errors import UsageError

    wrong = path.is_file() if folder_wanted else path.is_dir()
    if wrong:
        kind = "a file" if folder_wanted else "a folder"
        raise UsageError(f"{path}: {kind} is there; expected {expected}")
    parent = next((p for p in (path.absolute(), *path.absolute().parents) if p.exists()), None)
    if parent is None or not os.access(parent if parent != path.absolute() else path, os.W_OK):
        raise UsageError(f"{path}: cannot write there; expected {expected} in a writable folder")


@contextlib.contextmanager
def _written(path: Path) -> Iterator[None]:
    """A write the system refused (a full disk, a read-only place) said in one line."""
    from funnelsim.errors import UsageError

    try:
        yield
    except OSError as exc:
        fail(UsageError(f"{path}: cannot write ({exc.strerror or exc})"))
