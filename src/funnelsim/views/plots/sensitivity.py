"""The figure of a sensitivity study: which inputs drive each metric, and how surely."""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from funnelsim.results import Results
from funnelsim.results.sensitivity import FILE, Sensitivity, load_sensitivity
from funnelsim.views.formats import currency, metric_label
from funnelsim.views.plots.style import PALETTE, panels, set_titles, value_axis
from funnelsim.views.text import literal

SHOWN = 3
"""Metrics drawn, one panel each, in the study's order."""
FIRST, TOTAL, FLAGGED = PALETTE[4], PALETTE[0], "0.6"
"""First-order bars (sky blue), total bars and ranked points (blue), flagged inputs (grey)."""


def studied(results: Results) -> Sensitivity | None:
    """The study a results folder holds, if ``funnelsim sensitivity`` wrote one."""
    if results.path is None or not (results.path / FILE).exists():
        return None
    return load_sensitivity(results.path)


def sensitivity(results: Results, fig: Figure | None = None) -> list[Axes]:
    """Morris: each input's mu* against sigma; Sobol': first-order and total indices as bars
    with their 95% intervals. One panel per metric; inputs below the noise in grey."""
    study = studied(results)
    if study is None:
        raise ValueError(f"{results.path}: no {FILE}; expected a funnelsim sensitivity folder")
    metrics = list(dict.fromkeys(study.table["metric"]))[:SHOWN]
    axes = panels(fig, 1, len(metrics), (5.5 * len(metrics) + 1, 4.8))
    draw = _morris if study.method == "morris" else _sobol
    for ax, metric in zip(axes, metrics, strict=True):
        draw(ax, study, metric, currency(results))
        ax.set_title(metric_label(metric), fontsize=9)
    what = "Morris elementary effects" if study.method == "morris" else "Sobol' indices"
    detail = (
        "mu*: the mean absolute effect of sweeping an input's range; sigma: how much that effect "
        "varies (interactions, curvature)"
        if study.method == "morris"
        else "first order: the share of variance an input explains alone; total: with its "
        "interactions; whiskers: 95% intervals"
    )
    set_titles(
        axes[0].figure,
        f"{what} of {literal(study.output)}",
        f"{detail}; grey: below the noise",
        results,
    )
    return axes


def _morris(ax: Axes, study: Sensitivity, metric: str, code: str) -> None:
    rows = study.ranked(metric)
    colours = [FLAGGED if flagged else TOTAL for flagged in rows["below_noise"]]
    ax.errorbar(
        rows["mu_star"], rows["sigma"], xerr=rows["mu_star_conf"], fmt="none", ecolor="0.75"
    )
    ax.scatter(rows["mu_star"], rows["sigma"], color=colours, zorder=3)
    for _, row in rows.iterrows():
        ax.annotate(literal(row["factor"]), (row["mu_star"], row["sigma"]), xytext=(4, 3),
                    textcoords="offset points", fontsize=7)  # fmt: skip
    value_axis(ax, metric, code, "mu*", axis="x")
    value_axis(ax, metric, code, "sigma")
    ax.xaxis.set_major_locator(MaxNLocator(4))  # money ticks are wide


def _sobol(ax: Axes, study: Sensitivity, metric: str, code: str) -> None:
    rows = study.ranked(metric).iloc[::-1]  # the largest at the top
    y = np.arange(len(rows))
    ax.barh(y + 0.2, rows["ST"], 0.4, xerr=rows["ST_conf"], label="total", color=TOTAL)
    ax.barh(y - 0.2, rows["S1"], 0.4, xerr=rows["S1_conf"], label="first order", color=FIRST)
    ax.set_yticks(y, [literal(name) for name in rows["factor"]])
    for tick, flagged in zip(ax.get_yticklabels(), rows["below_noise"], strict=True):
        tick.set_color(FLAGGED if flagged else "black")
    ax.axvline(0, color="0.3", linewidth=1)
    ax.set_xlabel("share of the output's variance")
    ax.legend(frameon=False, fontsize=8)
