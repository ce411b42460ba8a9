"""The ``funnelsim`` typer app: every command, in the order ``--help`` lists them."""

from __future__ import annotations

import typer

from funnelsim.cli import experiments, run, sla, views

app = typer.Typer(
    help="Simulate the B2B lead-to-revenue funnel and test sales/marketing alignment.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
for command in (
    run.run,
    run.validate,
    run.calibrate,
    experiments.compare,
    experiments.sweep,
    sla.sla,
    views.plot,
    views.report,
):
    app.command()(command)


def main() -> None:
    """The ``funnelsim`` console script."""
    app()
