"""The figures of a sensitivity study: which inputs drive each metric, and how surely; and of
a Sobol' study, whether its indices have settled at the sample's size."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator, NullLocator

from funnelsim.results import Results
from funnelsim.results.sensitivity import CONVERGENCE, FILE, Sensitivity, load_sensitivity
from funnelsim.views.formats import currency, metric_label
from funnelsim.views.plots.style import (
    PALETTE,
    panels,
    set_titles,
    side_by_side,
    value_axis,
)
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


def sobol_convergence(results: Results, fig: Figure | None = None) -> list[Axes]:
    """A Sobol' study's indices estimated again on the first N/8, N/4, N/2 and all N of its
    base samples, with their 95% intervals: one panel per metric, one colour per input, the
    total index solid and the first-order index dashed."""
    study = studied(results)
    steps = None if study is None else study.convergence
    if steps is None or steps.empty:
        raise ValueError(f"{results.path}: no {CONVERGENCE}; expected a Sobol' study's folder")
    metrics = list(dict.fromkeys(steps["metric"]))[:SHOWN]
    axes = panels(fig, 1, len(metrics), (5.5 * len(metrics) + 1, 4.8))
    names = study.ranked(metrics[0])["factor"]  # one colour per input in every panel
    colour = {name: PALETTE[k % len(PALETTE)] for k, name in enumerate(names)}
    for ax, metric in zip(axes, metrics, strict=True):
        _settling(ax, steps[steps["metric"] == metric], colour)
        ax.set_title(metric_label(metric), fontsize=9)
    handles = [Line2D([], [], color=c, label=literal(n)) for n, c in colour.items()]
    handles += [Line2D([], [], color="0.35", linestyle=style, label=label)
                for label, style in (("total", "-"), ("first order", "--"))]  # fmt: skip
    axes[0].figure.legend(handles=handles, frameon=False, fontsize=8, loc="outside lower center",
                          ncol=min(len(handles), 7))  # fmt: skip
    set_titles(
        axes[0].figure,
        f"Have the Sobol' indices of {literal(study.output)} settled?",
        "each input's indices estimated on the first n of the study's base samples, with 95% "
        "intervals; settled ones stay level as n grows, and their whiskers shrink",
        results,
    )
    return axes


def _settling(ax: Axes, steps: pd.DataFrame, colour: dict[str, str]) -> None:
    """Each input's total (solid) and first-order (dashed) index against the base samples,
    on the indices' own range: a whisker wider than that runs off the panel."""
    sizes = sorted(steps["samples"].unique())
    shifts, _ = side_by_side(len(colour), 0.25)  # apart in log2 steps, so whiskers do not hide
    for shift, (name, c) in zip(shifts, colour.items(), strict=True):
        rows = steps[steps["factor"] == name].sort_values("samples")
        x = rows["samples"].to_numpy(float) * 2.0**shift
        for key, style, face in (("ST", "-", c), ("S1", "--", "white")):
            ax.errorbar(x, rows[key], yerr=rows[f"{key}_conf"], color=c, linestyle=style,
                        marker="o", markersize=4, markerfacecolor=face, capsize=2,
                        label=f"{name} {'total' if key == 'ST' else 'first order'}")  # fmt: skip
    ax.set_xscale("log", base=2)
    ax.set_xticks(sizes, [str(n) for n in sizes])
    ax.xaxis.set_minor_locator(NullLocator())
    ax.axhline(0, color="0.3", linewidth=1)
    estimates = steps[["S1", "ST"]].to_numpy()
    ax.set_ylim(min(-0.25, estimates.min() - 0.05), max(1.05, estimates.max() + 0.05))
    ax.set_xlabel("base samples n (of the study's N)")
    ax.set_ylabel("Sobol' index")
