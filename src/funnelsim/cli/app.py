"""The ``funnelsim`` typer app: every command, in the order ``--help`` lists them."""

from __future__ import annotations

from typing import Annotated

import typer

from funnelsim.cli import (
    discover,
    experiments,
    explain,
    fit,
    plan,
    robustness,
    run,
    sensitivity,
    sla,
    views,
)
from funnelsim.cli.usage import OneLineGroup

app = typer.Typer(
    cls=OneLineGroup,
    help="Simulate the B2B lead-to-revenue funnel and test sales/marketing alignment.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(shown: bool) -> None:
    if shown:
        from funnelsim.runner import __version__

        typer.echo(f"funnelsim {__version__}")
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    """Simulate the B2B lead-to-revenue funnel and test sales/marketing alignment."""


for command in (
    run.run,
    run.validate,
    run.calibrate,
    experiments.compare,
    experiments.sweep,
    explain.explain,
    robustness.robustness,
    sensitivity.sensitivity,
    discover.discover,
    sla.sla,
    plan.plan,
    fit.export_crm,
    fit.fit,
    fit.backtest,
    views.plot,
    views.report,
):
    app.command()(command)


def main() -> None:
    """The ``funnelsim`` console script."""
    app()
