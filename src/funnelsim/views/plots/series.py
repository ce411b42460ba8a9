"""Figures over the weeks of a run: open pipeline, bookings and the SDR queue as fan charts.

A fan chart draws a weekly series after warm-up, at each week's end, as the median over
replications with bands holding half and 90% of them. Utilisation is here because its
story is the SDR queue week by week, next to how busy the desks were.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib import dates as mdates
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from funnelsim.record.registry import metric as metric_entry
from funnelsim.results import Results
from funnelsim.views.formats import currency, metric_label, on_figure, percent
from funnelsim.views.plots.data import (
    at_point,
    finished_runs,
    mean_interval,
    policy_labels,
    values_of,
)
from funnelsim.views.plots.spread import grouped
from funnelsim.views.plots.style import (
    axes_or_new,
    colours,
    literal_text,
    panels,
    policy_legend,
    set_titles,
    tick_formatter,
    value_axis,
)
from funnelsim.views.plots.words import phrase, point_text, replication_count

BANDS = ((5, 95, 0.15), (25, 75, 0.3))
"""Fan chart bands: (low percentile, high percentile, opacity): the 90% and the 50% band."""
_FAN_DETAIL = "Line: median of {n}; bands hold the middle 50% and 90%; after warm-up"


def _fan(ax: Axes, results: Results, column: str, point: int, cumulative: bool = False):
    """Median line and 50%/90% bands per policy of a weekly series after warm-up.

    Levels are taken at each week's end, so the x axis is the date each week ends.
    """
    weekly = at_point(results.weekly, point)
    weekly = weekly[~weekly["warmup"].astype(bool)]
    ends = {}
    for label, c in colours(results).items():
        wide = weekly[weekly["policy"] == label].pivot(
            index="week_start", columns="replication", values=column
        )
        wide = wide.sort_index().cumsum() if cumulative else wide.sort_index()
        x = pd.to_datetime(wide.index) + pd.Timedelta(days=7)
        median = bands(ax, x, wide.to_numpy(dtype=float), c)
        ends[label] = median[-1] if median.size else np.nan
    date_axis(ax, "Week ending")
    policy_legend(ax, results, loc="upper left")
    return ends


def bands(ax: Axes, x, values: np.ndarray, colour) -> np.ndarray:
    """Median line and 50%/90% bands of ``values`` (one row per x, one column per run)."""
    for low, high, alpha in BANDS:
        edges = np.nanpercentile(values, [low, high], axis=1)
        ax.fill_between(x, *edges, color=colour, alpha=alpha, linewidth=0)
    median = np.nanmedian(values, axis=1)
    ax.plot(x, median, color=colour, linewidth=2)
    return median


def date_axis(ax: Axes, label: str) -> None:
    locator = mdates.AutoDateLocator()
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    ax.set_xlabel(label)


def _fan_figure(results: Results, ax: Axes | None, point: int, column: str, cumulative: bool):
    """A one-panel fan chart with a title that reads off each policy's last median."""
    ax = axes_or_new(ax)
    code = currency(results)
    ends = _fan(ax, results, column, point, cumulative)
    name = "Revenue booked since warm-up" if cumulative else metric_label(column)
    value_axis(ax, column, code, name)
    last = {label: on_figure(column, v, code) for label, v in ends.items()}
    set_titles(
        ax,
        f"{name}{point_text(results, point)}: {phrase(last)} at the end (medians)",
        _FAN_DETAIL.format(n=replication_count(finished_runs(results, point))),
        results,
    )
    return ax


@literal_text
def pipeline_fan(results: Results, ax: Axes | None = None, *, point: int = 0) -> Axes:
    """Open pipeline value at each week's end after warm-up: median and 50%/90% bands."""
    return _fan_figure(results, ax, point, "open_pipeline_value", cumulative=False)


@literal_text
def bookings_fan(results: Results, ax: Axes | None = None, *, point: int = 0) -> Axes:
    """Revenue booked since warm-up, week by week: median and 50%/90% bands.

    With a warm-up of whole weeks (the usual case) the last week's values are the runs'
    ``bookings``.
    """
    return _fan_figure(results, ax, point, "bookings", cumulative=True)


@literal_text
def utilisation(results: Results, fig: Figure | None = None, *, point: int = 0) -> list[Axes]:
    """SDR and AE utilisation per replication (left) and the SDR queue by week (right).

    Returns the two panels. A desk near 100% busy with a growing queue is the bottleneck.
    """
    runs = finished_runs(results, point)
    left, right = panels(fig, 1, 2, (12.0, 4.8))
    columns = ("sdr_utilisation", "ae_utilisation")
    grouped(left, results, ["SDRs", "AEs"], lambda i, p: values_of(runs, p, columns[i]))
    value_axis(left, "sdr_utilisation", "", "Utilisation")
    left.set_title("Utilisation per replication (bar: mean)", fontsize=9)
    _fan(right, results, "sdr_queue", point)
    right.set_ylabel("MQLs waiting for a first touch (count)")
    right.yaxis.set_major_formatter(tick_formatter(metric_entry("sdr_queue").kind, ""))
    right.set_title(_FAN_DETAIL.format(n=replication_count(runs)), fontsize=9)
    busy = {
        label: percent(mean_interval(values_of(runs, label, columns[0]))[0], 2)
        for label in policy_labels(results)
    }
    set_titles(
        left.figure,
        f"Utilisation and queue{point_text(results, point)}: SDRs busy {phrase(busy)} (means)",
        "SDR utilisation: share of open time spent on attempts; AE utilisation: share of "
        "opportunity slots in use",
        results,
    )
    return [left, right]
