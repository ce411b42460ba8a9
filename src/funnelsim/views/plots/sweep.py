"""The sweep figures: a metric against one factor, and a heat map over two.

Unlike the comparison figures they show every point of a sweep, so they need the mean per
point and where a factor's values sit on an axis (:class:`_Levels`: numbers at their value,
many durations at their length, anything else as categories in the experiment's order).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from funnelsim.base.units import SECONDS_PER_UNIT, parse_duration
from funnelsim.record.registry import metric as metric_entry
from funnelsim.results import Results
from funnelsim.results.stats import direction
from funnelsim.views.formats import currency, metric_label, metric_unit, on_figure
from funnelsim.views.plots.data import factor_names, mean_interval, policy_labels
from funnelsim.views.plots.style import (
    PARTS,
    axes_or_new,
    category_ticks,
    colours,
    literal_text,
    policy_legend,
    set_titles,
    style_legend,
    tick_formatter,
    value_axis,
)
from funnelsim.views.plots.words import replication_count

LINE_STYLES = (
    {"linestyle": "-", "marker": "o"},
    {"linestyle": "--", "marker": "s"},
    {"linestyle": ":", "marker": "^"},
    {"linestyle": "-.", "marker": "D"},
    {"linestyle": (0, (5, 1, 1, 1, 1, 1)), "marker": "v"},
    {"linestyle": (0, (1, 3)), "marker": "P"},
)
"""Line styles for what colour cannot show (the second factor, percentiles): tell lines of
one policy apart without another colour."""
MAX_LINES = len(LINE_STYLES)
MAX_TICKS = 12
"""A whole-numbered factor (a headcount) with at most this many values gets a tick at each."""


@literal_text
def factor_effect(
    results: Results,
    metric: str = "bookings_per_year",
    factor: str | None = None,
    *,
    ax: Axes | None = None,
) -> Axes:
    """A metric against one factor of a sweep: means with 95% interval bands, one colour per
    policy. In a two-factor sweep each value of the other factor gets its own line style
    (when there are few enough values; otherwise its values are not told apart)."""
    factor, other, others = _lines_of(results, factor)
    ax = axes_or_new(ax, grid="both")
    levels = _Levels.of(results, factor)
    table = _means(results, metric)
    for label, c in colours(results).items():
        for value, style in zip(others, LINE_STYLES, strict=False):
            rows = table[table["policy"] == label]
            rows = rows if value is None else rows[rows[other] == value]
            _effect_line(ax, rows, levels, c, style)
    levels.apply(ax)
    value_axis(ax, metric, currency(results))
    if others != (None,):
        styles = {f"{other}={v}": s for v, s in zip(others, LINE_STYLES, strict=False)}
        style_legend(ax, styles, loc="lower right", fontsize=8)
    policy_legend(ax, results, loc="best")
    by_style = f"; one line style per {other}" if others != (None,) else ""
    n = replication_count(_fewest(table))
    set_titles(
        ax,
        f"{metric_label(metric)} against {factor}",
        f"Mean and 95% interval of {n} per point{by_style}",
        results,
    )
    return ax


def _lines_of(results: Results, factor: str | None) -> tuple[str, str | None, tuple[Any, ...]]:
    """The factor along x (the first unless named), the other factor of a two-factor sweep,
    and the other's values, one line each (a single line when there are too many)."""
    factors = _sweep_factors(results, 1, 2)
    factor = factor or factors[0]
    if factor not in factors:
        raise ValueError(f"unknown factor {factor!r}; expected one of {factors}")
    other = next((f for f in factors if f != factor), None)
    others = _Levels.of(results, other).values if other else (None,)
    return factor, other, others if len(others) <= MAX_LINES else (None,)


def _effect_line(
    ax: Axes, rows: pd.DataFrame, levels: _Levels, colour: str, style: dict[str, Any]
) -> None:
    """One line of means along the factor's axis, with its 95% interval band."""
    x = np.array([levels.position(v) for v in rows[levels.factor]])
    order = np.argsort(x, kind="stable")
    rows, x = rows.iloc[order], x[order]
    ax.plot(x, rows["mean"], color=colour, linewidth=1.8, markersize=5, **style)
    ax.fill_between(x, rows["ci_low"], rows["ci_high"], color=colour, alpha=0.15, lw=0)


@literal_text
def heatmap(
    results: Results,
    metric: str = "bookings_per_year",
    x: str | None = None,
    y: str | None = None,
    *,
    policy: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """A metric's mean over two factors of a grid sweep, as colour with values written in.

    Shows one policy (the first, unless ``policy`` names another): a cell is the mean over
    that point's replications, the same number as the summary's mean.
    """
    x, y = _axes_factors(results, x, y)
    label = _policy_of(results, policy)
    ax = axes_or_new(ax, (7.5, 5.5), grid=None)
    table = _means(results, metric)
    table = table[table["policy"] == label]
    code = currency(results)
    columns, rows = _Levels.of(results, x), _Levels.of(results, y)
    _cells(ax, _grid(table, columns, rows), (columns, rows), metric, code)
    set_titles(
        ax,
        f"{metric_label(metric)} by {x} and {y} ({label})",
        f"Mean of {replication_count(_fewest(table))} per cell; "
        f"best: {_best(table, metric, x, y, code)}",
        results,
    )
    return ax


def _axes_factors(results: Results, x: str | None, y: str | None) -> tuple[str, str]:
    """The factors along x and y: the two of the sweep, in the order asked for."""
    factors = _sweep_factors(results, 2, 2)
    x = x or next(f for f in factors if f != y)
    y = y or next(f for f in factors if f != x)
    if {x, y} != set(factors):
        raise ValueError(f"expected x and y to be the two factors {factors}, got {x!r}, {y!r}")
    return x, y


def _policy_of(results: Results, policy: str | None) -> str:
    """The policy a heat map shows: the first unless named."""
    labels = policy_labels(results)
    label = policy or labels[0]
    if label not in labels:
        raise ValueError(f"unknown policy {label!r}; expected one of {labels}")
    return label


def _grid(table: pd.DataFrame, columns: _Levels, rows: _Levels) -> np.ndarray:
    """The means of ``table`` as a grid, a row per value of ``rows``' factor (NaN: no mean)."""
    grid = np.full((len(rows.values), len(columns.values)), np.nan)
    for _, row in table.iterrows():
        i, j = rows.values.index(row[rows.factor]), columns.values.index(row[columns.factor])
        grid[i, j] = row["mean"]
    return grid


def _cells(
    ax: Axes, grid: np.ndarray, levels: tuple[_Levels, _Levels], metric: str, code: str
) -> None:
    """The means as coloured cells, each with its value written in, the factors' values
    along x and y, and the colour bar."""
    image = ax.imshow(grid, cmap=PARTS, aspect="auto", origin="lower")
    norm = image.norm
    for (i, j), v in np.ndenumerate(grid):
        shade = "black" if v == v and norm(v) > 0.55 else "white"
        ax.text(j, i, on_figure(metric, v, code), ha="center", va="center", fontsize=8, color=shade)
    for factor, axis in zip(levels, "xy", strict=True):
        getattr(ax, f"set_{axis}label")(factor.factor)
        category_ticks(ax, [str(v) for v in factor.values], axis)
    bar = ax.figure.colorbar(image, ax=ax, format=tick_formatter(metric_entry(metric).kind, code))
    bar.set_label(f"{metric_label(metric)} ({metric_unit(metric, code)})")
    bar.outline.set_visible(False)
    ax.spines[:].set_visible(False)


def _best(table: pd.DataFrame, metric: str, x: str, y: str, code: str) -> str:
    """The best cell, e.g. 'USD 1.2M at sdr.headcount=5, sla.response_time=1h'."""
    ranked = table.dropna(subset=["mean"])
    if ranked.empty:
        return "–"
    row = ranked.loc[(ranked["mean"] * direction(metric)).idxmax()]
    return f"{on_figure(metric, row['mean'], code)} at {x}={row[x]}, {y}={row[y]}"


@dataclass(frozen=True)
class _Levels:
    """A factor's values in display order and where each sits on its axis.

    Numbers sit at their value. Text (durations such as 1h, 4h; booleans; names) are
    categories in the order the experiment lists them, except durations too many to list
    (a Latin hypercube), which sit at their length in their common unit.
    """

    factor: str
    values: tuple[Any, ...]
    numeric: bool
    unit: str = ""

    @classmethod
    def of(cls, results: Results, factor: str) -> _Levels:
        values = tuple(dict.fromkeys(p[factor] for p in results.manifest["points"]))
        if all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
            return cls(factor, tuple(sorted(values)), True)
        unit = _common_unit(values)
        if unit and len(values) > MAX_LINES:
            return cls(factor, tuple(sorted(values, key=parse_duration)), True, unit)
        return cls(factor, values, False)

    def position(self, value: Any) -> float:
        if not self.numeric:
            return float(self.values.index(value))
        if self.unit:
            return parse_duration(value) * SECONDS_PER_UNIT["d"] / SECONDS_PER_UNIT[self.unit]
        return float(value)

    def label(self) -> str:
        return f"{self.factor} ({self.unit})" if self.unit else self.factor

    def apply(self, ax: Axes, axis: str = "x") -> None:
        """Name the axis; categories get one tick each."""
        getattr(ax, f"set_{axis}label")(self.label())
        if not self.numeric:
            category_ticks(ax, [str(v) for v in self.values], axis)
        elif (
            not self.unit
            and len(self.values) <= MAX_TICKS
            and all(float(v).is_integer() for v in self.values)
        ):
            getattr(ax, f"set_{axis}ticks")([self.position(v) for v in self.values])


def _common_unit(values: Sequence[Any]) -> str:
    """The unit letter all values share if every one is a duration, else ''."""
    try:
        for v in values:
            parse_duration(v)
    except ValueError:
        return ""
    units = {v.strip()[-1] for v in values}
    return units.pop() if len(units) == 1 else ""


def _sweep_factors(results: Results, least: int, most: int) -> list[str]:
    factors = factor_names(results)
    if not least <= len(factors) <= most:
        wanted = f"{least}" if least == most else f"{least} or {most}"
        raise ValueError(f"expected a sweep of {wanted} factors, got {len(factors)}")
    return factors


def _means(results: Results, metric: str) -> pd.DataFrame:
    """Per policy and point: the metric's mean and 95% interval, and the point's factors."""
    runs = results.runs[results.runs["status"] == "ok"]
    if metric not in runs:
        raise ValueError(f"unknown metric {metric!r}; expected a column of results.runs")
    points = results.manifest["points"]
    rows = []
    for (policy, point), group in runs.groupby(["policy", "point"], sort=True):
        mean, low, high = mean_interval(group[metric])
        rows.append(
            {
                "policy": policy,
                "point": point,
                **points[point],
                "mean": mean,
                "ci_low": low,
                "ci_high": high,
                "n": len(group),
            }
        )
    return pd.DataFrame(rows)


def _fewest(table: pd.DataFrame) -> int:
    """The fewest replications behind any mean of a :func:`_means` table."""
    return int(table["n"].min()) if len(table) else 0
