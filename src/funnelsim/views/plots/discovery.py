"""The figure of a scenario discovery: PRIM's trade-off between coverage and density, and the
box it chose among the cases, as ``funnelsim discover`` wrote them into a results folder."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.ticker import FuncFormatter

from funnelsim.results import Results
from funnelsim.results.discovery import FILE, HOLDS, Discovery, discovered
from funnelsim.views.formats import currency, metric_label, percent
from funnelsim.views.plots.style import PALETTE, literal_text, panels, set_titles, value_axis

HOLDING, OTHER, BOX = PALETTE[5], "0.55", PALETTE[0]
"""Cases that meet the condition (vermillion triangles), those that do not (grey rings), and
PRIM's box and chosen peel (blue)."""


@literal_text
def discovery(results: Results | Discovery, fig: Figure | None = None) -> list[Axes]:
    """Left: PRIM's peeling trajectory, coverage against density, its box ringed and the density
    it had to reach dashed. Right: the cases on the two inputs the box restricts most (or on the
    one it restricts, against the condition's metric), the box drawn over them."""
    found = results if isinstance(results, Discovery) else discovered(results.path)
    if found is None:
        raise ValueError(f"no {FILE}; expected a folder funnelsim discover has read")
    if found.table.empty:
        raise ValueError(f"{FILE} without its cases; run funnelsim discover again")
    left, right = panels(fig, 1, 2, (12.0, 5.0))
    trade_off(left, found)
    code = currency(results) if isinstance(results, Results) else ""
    cases(right, found, code, _output(results))
    set_titles(
        left.figure,
        f"Where does {found.where} hold?",
        f"it holds in {found.holding} of {found.cases} cases; PRIM's box covers "
        f"{percent(found.coverage, 3)} of them, and {percent(found.density, 3)} of the cases in "
        "it hold",
        results if isinstance(results, Results) else None,
    )
    return [left, right]


def _output(results: Results | Discovery) -> str | None:
    """What a metric of the cases is: a policy's, or two policies' paired difference."""
    if not isinstance(results, Results):
        return None
    labels = results.manifest["policies"]
    return f"{labels[-1]} − {labels[0]}" if len(labels) == 2 else labels[0]


def trade_off(ax: Axes, found: Discovery) -> None:
    """Each peel a point, coverage across and density up; the chosen box ringed."""
    steps = found.trajectory
    ax.plot(steps["coverage"], steps["density"], color="0.6", linewidth=1, marker="o",
            markersize=3.5, label="each peel")  # fmt: skip
    chosen = steps.iloc[found.chosen]
    ax.scatter([chosen["coverage"]], [chosen["density"]], s=90, facecolors="none",
               edgecolors=BOX, linewidths=2, zorder=3, label="PRIM's box")  # fmt: skip
    ax.axhline(found.threshold, color="0.3", linestyle="--", linewidth=1,
               label=f"density it had to reach ({percent(found.threshold)})")  # fmt: skip
    ax.set_xlim(0, 1.05)
    ax.set_ylim(0, 1.05)
    share = FuncFormatter(lambda x, _: percent(x))
    ax.xaxis.set_major_formatter(share)
    ax.yaxis.set_major_formatter(share)
    ax.set_xlabel("coverage: share of the holding cases inside the box")
    ax.set_ylabel("density: share of the box's cases that hold")
    ax.set_title("PRIM's trade-off, peel by peel", fontsize=9)
    ax.legend(frameon=False, fontsize=8, loc="lower left")


def restricted(found: Discovery) -> list[str]:
    """The inputs the box restricts, the most first: by the share of their sampled range it
    cuts away."""
    table = found.table

    def cut(name: str) -> float:
        low, high = float(table[name].min()), float(table[name].max())
        if high <= low:
            return 0.0
        kept = min(found.box[name][1], high) - max(found.box[name][0], low)
        return 1.0 - kept / (high - low)

    return sorted(found.box, key=cut, reverse=True)


def cases(ax: Axes, found: Discovery, code: str = "", output: str | None = None) -> None:
    """The cases on the two inputs the box restricts most, or on the one it restricts (or the
    first input, if it restricts none) against the condition's metric; the box over them."""
    names = restricted(found)[:2]
    table = found.table
    if len(names) < 2:
        first = names[0] if names else found.inputs[0]
        metric = found.metrics[0] if found.metrics else None
        names = [first, metric] if metric in table else [first, found.inputs[-1]]
    x, y = names
    holds = table[HOLDS].to_numpy(bool)
    ax.scatter(table.loc[~holds, x], table.loc[~holds, y], s=22, facecolors="none",
               edgecolors=OTHER, linewidths=0.9, label="does not hold")  # fmt: skip
    ax.scatter(table.loc[holds, x], table.loc[holds, y], s=30, marker="^", color=HOLDING,
               label=f"{found.where} holds")  # fmt: skip
    _limits(ax, table[x], "x")
    _limits(ax, table[y], "y")
    ax.add_patch(_rectangle(ax, found, x, y))
    ax.set_xlabel(x)
    if y in found.metrics:
        value_axis(ax, y, code, f"{metric_label(y)}{f', {output}' if output else ''}")
    else:
        ax.set_ylabel(y)
    ax.set_title("The cases and PRIM's box", fontsize=9)
    ax.legend(frameon=False, fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=3)


def _limits(ax: Axes, values: pd.Series, axis: str) -> None:
    """Fixed limits a little beyond the cases, so an open side of the box reaches the edge."""
    low, high = float(values.min()), float(values.max())
    margin = 0.05 * (high - low) if high > low else max(abs(low) * 0.05, 0.5)
    getattr(ax, f"set_{axis}lim")(low - margin, high + margin)


def _rectangle(ax: Axes, found: Discovery, x: str, y: str) -> Rectangle:
    """The box on the two shown axes: its bounds where it has them, else the axes' limits."""
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    left, right = found.box.get(x, (-np.inf, np.inf))
    bottom, top = found.box.get(y, (-np.inf, np.inf))
    left, right = (x0 if np.isinf(left) else left), (x1 if np.isinf(right) else right)
    bottom, top = (y0 if np.isinf(bottom) else bottom), (y1 if np.isinf(top) else top)
    return Rectangle((left, bottom), right - left, top - bottom, facecolor=to_rgba(BOX, 0.12),
                     edgecolor=BOX, linewidth=1.8, label="PRIM's box", zorder=0)  # fmt: skip
