"""``funnelsim discover``: where in a study's inputs does a condition hold (PRIM, CART)?"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from funnelsim.cli.console import err, print_json, reported, terminal
from funnelsim.cli.options import JsonOpt
from funnelsim.errors import UsageError
from funnelsim.views.text import printable

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
    drawn = _draw(folder)
    err.print(f"figure: {printable(drawn)}", markup=False, highlight=False, soft_wrap=True)
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


def _draw(folder: Path) -> Path:
    """The discovery's figure, drawn from what was written into the folder, written whole."""
    from funnelsim.base.files import atomic_write
    from funnelsim.results import load_results
    from funnelsim.views.plots.discovery import discovery

    figure = discovery(load_results(folder))[0].figure
    path = folder / "figures" / "discovery.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, lambda tmp: figure.savefig(tmp, format="png", dpi=120))
    return path
