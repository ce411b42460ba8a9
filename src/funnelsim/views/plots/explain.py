"""The figure of an explanation: the difference between two policies built up lever by lever."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from funnelsim.results import Results
from funnelsim.results.explanation import INTERACTIONS, TOTAL, explain
from funnelsim.views.formats import currency, metric_label, value
from funnelsim.views.plots.style import (
    PALETTE,
    category_ticks,
    label_above,
    panels,
    set_titles,
    value_axis,
)
from funnelsim.views.plots.words import replication_count

RAISES, LOWERS, WHOLE = PALETTE[2], PALETTE[5], "0.35"
"""Bars of levers that raise the metric (bluish green), lower it (vermillion), and the total."""
LONG_NAME = 12
"""Lever names longer than this are written slanted."""
MONEY = ("bookings_per_year", "contribution_per_year")
"""The metrics the figure shows, those of them the explanation holds."""


def contributions(results: Results, fig: Figure | None = None) -> list[Axes]:
    """A waterfall per metric: from the first policy, each lever's Shapley value in turn (its
    95% interval as a whisker), then the whole difference."""
    explained = explain(results)
    metrics = [m for m in MONEY if m in set(explained.table["metric"])] or [
        explained.table["metric"].iloc[0]
    ]
    axes = panels(fig, 1, len(metrics), (1.1 * len(explained.levers) * len(metrics) + 4, 5.2))
    for ax, metric in zip(axes, metrics, strict=True):
        _waterfall(ax, explained.table[explained.table["metric"] == metric], metric, results)
    how = "exact" if explained.method == "exact" else f"from {explained.orders} sampled orders"
    set_titles(
        axes[0].figure,
        f"{explained.second} − {explained.first}, lever by lever",
        f"Shapley values ({how}), {replication_count(int(explained.table['n'].max()))}; "
        "whiskers: 95% intervals; the bars sum to the total",
        results,
    )
    return axes


def _waterfall(ax: Axes, rows: pd.DataFrame, metric: str, results: Results) -> None:
    levers = rows[~rows["lever"].isin((TOTAL, INTERACTIONS))]
    total = rows[rows["lever"] == TOTAL].iloc[0]
    shares = levers["mean"].to_numpy(dtype=float)
    tops = np.cumsum(shares)
    bottoms = tops - shares
    colours = [RAISES if s >= 0 else LOWERS for s in shares]
    x = np.arange(len(shares))
    ax.bar(x, shares, bottom=bottoms, color=colours, width=0.7)
    errors = np.abs(levers[["ci_low", "ci_high"]].to_numpy(dtype=float).T - shares)
    ax.errorbar(x, tops, yerr=errors, fmt="none", ecolor="black", capsize=3, linewidth=1)
    ax.bar(len(shares), total["mean"], color=WHOLE, width=0.7)
    whole_error = np.abs(np.array([[total["ci_low"]], [total["ci_high"]]]) - total["mean"])
    ax.errorbar(len(shares), total["mean"], yerr=whole_error, fmt="none", ecolor="black", capsize=3)
    code = currency(results)
    _labels(ax, [*tops, total["mean"]], [*shares, total["mean"]], metric, code)
    ax.axhline(0, color="0.3", linewidth=1)
    names = [*levers["lever"], "total"]
    category_ticks(ax, names)
    if max(map(len, names)) > LONG_NAME:  # keys as levers (--by key): slanted, to be read
        ax.tick_params(axis="x", labelrotation=30)
        for label in ax.get_xticklabels():
            label.set_horizontalalignment("right")
    value_axis(ax, metric, code, f"{metric_label(metric)}, difference")


def _labels(ax: Axes, at: Sequence[float], amounts: Sequence[float], metric: str, code: str):
    """Each bar's amount written above its end."""
    for k, (y, amount) in enumerate(zip(at, amounts, strict=True)):
        label_above(
            ax, value(metric, amount, code, signed=True), (k, max(y, y - amount)), fontsize=8
        )
