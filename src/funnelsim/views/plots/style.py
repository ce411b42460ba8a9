"""How every figure looks: one colour per policy, tidy axes in units, titles and legends.

A figure module says what to draw and this one how it looks, so a change of palette, grid,
title layout or axis format is made here once and shows in every figure. New figures are
headless :class:`~matplotlib.figure.Figure` objects that pyplot never sees.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

import matplotlib
import numpy as np
from matplotlib import ticker
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from funnelsim.record.registry import metric as metric_entry
from funnelsim.results import Results
from funnelsim.views.formats import metric_label, metric_unit, money, partial_note, percent, trim
from funnelsim.views.plots.data import policy_labels

PALETTE = ("#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#000000", "#f0e442")
"""Okabe-Ito, ordered so that the first few policies stay far apart; yellow, hard to see on
white, comes last."""


PARTS = "cividis"
"""The colour map for parts of a whole (leakage stacks) and heat maps: colour-blind safe,
and distinct from the policy colours, which stay reserved for policies."""


Drawing = TypeVar("Drawing", bound=Callable[..., Any])


def literal_text(draw: Drawing) -> Drawing:
    """Draw every text as written: a policy, factor or file name with dollar signs in it
    (``p$^$``) would otherwise be read as mathematics, and break the figure when saved."""

    @functools.wraps(draw)
    def drawn(*args: Any, **kwargs: Any) -> Any:
        with matplotlib.rc_context({"text.parse_math": False}):
            return draw(*args, **kwargs)

    return drawn  # type: ignore[return-value]


def colours(results: Results) -> dict[str, str]:
    """Each policy's colour, the same in every figure: the baseline takes the first."""
    return {label: PALETTE[k % len(PALETTE)] for k, label in enumerate(policy_labels(results))}


def _tidy(ax: Axes, grid: str | None = "y") -> Axes:
    """No chart junk: no top or right frame, a faint grid along the value axis only."""
    ax.spines[["top", "right"]].set_visible(False)
    if grid:
        ax.grid(axis=grid, color="0.9", linewidth=0.8)
        ax.set_axisbelow(True)
    return ax


def axes_or_new(ax: Axes | None, size: tuple[float, float] = (8.0, 4.8), grid: str | None = "y"):
    """The caller's axes, or the only axes of a new headless figure."""
    if ax is None:
        ax = Figure(figsize=size, layout="constrained").add_subplot()
    return _tidy(ax, grid)


def panels(fig: Figure | None, rows: int, cols: int, size: tuple[float, float]) -> list[Axes]:
    """A grid of panels on the caller's figure or a new headless one, row by row."""
    fig = fig if fig is not None else Figure(figsize=size, layout="constrained")
    return [_tidy(ax) for ax in fig.subplots(rows, cols, squeeze=False).ravel()]


def set_titles(
    target: Axes | Figure, headline: str, detail: str, results: Results | None = None
) -> None:
    """What the figure shows, then how it is drawn, in smaller print; for an experiment that
    has not finished, a last line saying how much of it the figure shows."""
    note = None if results is None else partial_note(results)
    text = f"{headline}\n{detail}" + (f"\n{note}" if note else "")
    if isinstance(target, Figure):
        target.suptitle(text, fontsize=11)
    else:
        target.set_title(text, fontsize=10)


def policy_legend(ax: Axes, results: Results, **options: Any) -> Any:
    """The policies' colours, in policy order."""
    handles = [Patch(color=c, label=label) for label, c in colours(results).items()]
    return ax.legend(handles=handles, frameon=False, **options)


def style_legend(ax: Axes, styles: Mapping[str, Mapping[str, Any]], **options: Any) -> None:
    """A second legend, in grey, for line styles; the policy legend stays ``ax.get_legend()``."""
    handles = [Line2D([], [], color="0.35", label=k, **style) for k, style in styles.items()]
    ax.add_artist(ax.legend(handles=handles, frameon=False, **options))


def side_by_side(n: int, span: float = 0.8) -> tuple[np.ndarray, float]:
    """Offsets and width of ``n`` items side by side within one category."""
    width = span / n
    return (np.arange(n) - (n - 1) / 2) * width, width


def label_above(ax: Axes, text: str, xy: tuple[float, float], **options: Any) -> None:
    """A value written just above a point (a bar's top), centred on it."""
    ax.annotate(
        text, xy, xytext=(0, 2), textcoords="offset points", ha="center", va="bottom", **options
    )


def category_ticks(ax: Axes, names: Sequence[str], axis: str = "x") -> None:
    getattr(ax, f"set_{axis}ticks")(range(len(names)), list(names))


def colour_ticks(ax: Axes, results: Results) -> None:
    """Policy names on the x axis, each in its policy's colour."""
    category_ticks(ax, policy_labels(results))
    for tick, c in zip(ax.get_xticklabels(), colours(results).values(), strict=True):
        tick.set_color(c)


def tick_formatter(kind: str, code: str) -> ticker.Formatter:
    """Ticks written in a kind of unit (:data:`funnelsim.record.registry.KINDS`)."""
    if kind == "money":
        return ticker.FuncFormatter(lambda x, _: money(x, code))
    if kind == "share":
        return ticker.FuncFormatter(lambda x, _: percent(x))
    return ticker.FuncFormatter(lambda x, _: trim(x))


def value_axis(ax: Axes, metric: str, code: str, name: str | None = None, axis: str = "y"):
    """Label an axis with the metric's name and unit, and write its ticks in that unit."""
    label = f"{name or metric_label(metric)} ({metric_unit(metric, code)})"
    getattr(ax, f"set_{axis}label")(label)
    getattr(ax, f"{axis}axis").set_major_formatter(tick_formatter(metric_entry(metric).kind, code))


def log_axis(ax: Axes, values: np.ndarray, axis: str = "x") -> bool:
    """A log scale when every value is positive and they span more than a factor of ten."""
    values = values[np.isfinite(values)]
    if not values.size or values.min() <= 0 or values.max() / values.min() <= 10:
        return False
    getattr(ax, f"set_{axis}scale")("log")
    target = getattr(ax, f"{axis}axis")
    target.set_major_locator(ticker.LogLocator(subs=(1.0, 2.0, 5.0)))
    target.set_major_formatter(ticker.FuncFormatter(lambda x, _: trim(x)))
    target.set_minor_formatter(ticker.NullFormatter())
    return True
