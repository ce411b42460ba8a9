"""The commands that read a finished results folder: ``plot`` and ``report``."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from funnelsim.base.suggest import did_you_mean
from funnelsim.cli.console import err, fail, reported
from funnelsim.errors import UsageError
from funnelsim.views.text import printable

if TYPE_CHECKING:
    from funnelsim.results import Results

ResultsArg = Annotated[Path, typer.Argument(help="A results folder written by compare or sweep.")]
FiguresOpt = Annotated[
    list[str] | None,
    typer.Option("--figure", "-f", help="A figure to draw (repeat); default: all that apply."),
]
FORMATS = ("png", "svg", "pdf")


def _format(value: str) -> str:
    """A figure format the command can write, checked before any folder is read."""
    if value not in FORMATS:
        formats = ", ".join(FORMATS)
        raise typer.BadParameter(f"unknown format {value!r}; expected one of: {formats}")
    return value


FormatOpt = Annotated[
    str, typer.Option("--format", callback=_format, help="The figures' format: png, svg or pdf.")
]
ReportOpt = Annotated[
    Path | None, typer.Option("--out", "-o", help="The HTML file (default FOLDER/report.html).")
]


def plot(folder: ResultsArg, figure: FiguresOpt = None, fmt: FormatOpt = "png") -> None:
    """Draw an experiment's figures into FOLDER/figures/."""
    from funnelsim.views import plots

    results = _results(folder)
    known = plots.available(results)
    unknown = [f for f in figure or [] if f not in known]
    figures = folder / "figures"
    with reported():
        if unknown:
            hint = did_you_mean(plots.RENAMED.get(unknown[0], unknown[0]), known)
            message = f"unknown figure; {hint}expected one of the figures here: {', '.join(known)}"
            raise UsageError(f"--figure {', '.join(unknown)}: {message}")
        _writable(figures, "a folder for the figures", folder_wanted=True)
    with _written(figures):
        for path in plots.save_all(results, figures, figure or known, fmt):
            typer.echo(printable(path))


def report(
    folder: Annotated[
        Path,
        typer.Argument(
            help="A results folder written by compare or sweep, a plan folder written by "
            "plan, or a folder written by fit or backtest --out."
        ),
    ],
    out: ReportOpt = None,
) -> None:
    """Write one self-contained HTML report of an experiment, a plan, a fit or a backtest."""
    from funnelsim.results.crm import load_crm, report_kind

    with reported():
        kind = report_kind(folder)
    target = out or folder / "report.html"
    if kind == "experiment":
        from funnelsim.views.report.html import write_report as write

        found = _results(folder)
    elif kind == "plan":
        from funnelsim.results.plan import load_plan
        from funnelsim.views.report.plan import write_plan_report as write

        with reported():
            found = load_plan(folder)
    else:
        from funnelsim.views.report.crm import write_crm_report as write

        with reported():
            found = load_crm(folder)
    with reported():
        _writable(target, "an HTML file such as report.html", folder_wanted=False)
    with _written(target), err.status("drawing the figures…", spinner="dots"):
        path = write(found, target)
    typer.echo(f"report: {printable(path)}")


def _results(folder: Path) -> Results:
    """A results folder, what finished of it if it has not (said in one line), or its problem
    printed and exit status 2."""
    from funnelsim.results import load_results
    from funnelsim.results.experiment import check_succeeded
    from funnelsim.views.formats import partial_note

    with reported():
        results = load_results(folder, partial=True)
        check_succeeded(results)
    note = partial_note(results)
    if note is not None:
        err.print(f"[bold yellow]{note}[/]: showing those; finish the experiment with its "
                  "command and --resume", soft_wrap=True, highlight=False)  # fmt: skip
    return results


def _writable(path: Path, expected: str, folder_wanted: bool) -> None:
    """Refuse, before any work, an output path that is the wrong kind of thing or that cannot
    be written: a folder where a file goes, a file where a folder goes, an unwritable place."""
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
    try:
        yield
    except OSError as exc:
        fail(UsageError(f"{path}: cannot write ({exc.strerror or exc})"))
