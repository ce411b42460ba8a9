"""``funnelsim discover``: where in a study's inputs does a condition hold (PRIM, CART)?"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from funnelsim.cli.console import print_json, reported, terminal
from funnelsim.cli.options import JsonOpt
from funnelsim.errors import UsageError

FolderArg = Annotated[
    Path, typer.Argument(help="The results folder of a sweep, robustness or sensitivity study.")
]
WhereOpt = Annotated[
    str | None,
    typer.Option(
        "--where",
        help="A condition on the metrics' names, such as 'contribution_per_year < 0' "
        "(with two policies, each metric is their paired difference).",
    ),
]


def discover(folder: FolderArg, where: WhereOpt = None, as_json: JsonOpt = False) -> None:
    """Find the box of inputs in which a condition holds: PRIM, with CART as a second opinion."""
    from rich.table import Table

    from funnelsim.analysis.discovery import discover as discovered
    from funnelsim.results import load_results

    with reported():
        if where is None:
            raise UsageError(
                "--where: missing; expected a condition such as 'bookings_per_year < 0'"
            )
        found = discovered(load_results(folder), where)
    if as_json:
        print_json(found.document())
        return
    table = Table(title="The box PRIM found")
    for column in ("input", "from", "to"):
        table.add_column(column, justify="left" if column == "input" else "right")
    for name, (low, high) in found.box.items():
        table.add_row(name, "-" if low == float("-inf") else f"{low:.4g}",
                      "-" if high == float("inf") else f"{high:.4g}")  # fmt: skip
    console = terminal()
    console.print(found.sentence() + ".", markup=False)
    console.print(table)
    console.print("CART, a second opinion (yes: the condition holds):", markup=False)
    console.print(found.tree, markup=False)
