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

from funnelsim.results import Results
from funnelsim.views.plots.data import _at, _labels, _mean_interval, _of, _ok, currency
from funnelsim.views.plots.formats import _name, _percent, _phrase, _replications, _text, _where
from funnelsim.views.plots.spread import _grouped
from funnelsim.views.plots.style import (
    _axes,
    _formatter,
    _legend,
    _panels,
    _title,
    _value_axis,
    colours,
)

BANDS = ((5, 95, 0.15), (25, 75, 0.3))
"""Fan chart bands: (low percentile, high percentile, opacity): the 90% and the 50% band."""
_FAN_DETAIL = "Line: median of {n}; bands hold the middle 50% and 90%; after warm-up"


def _fan(ax: Axes, results: Results, column: str, point: int, cumulative: bool = False):
    """Median line and 50%/90% bands per policy of a weekly series after warm-up.

    Levels are taken at each week's end, so the x axis is the date each week ends.
    """
    weekly = _at(results.weekly, point)
    weekly = weekly[~weekly["warmup"].astype(bool)]
    ends = {}
    for k, c in enumerate(colours(results).values()):
        wide = weekly[weekly["policy"] == k].pivot(
            index="week_start", columns="replication", values=column
        )
        wide = wide.sort_index().cumsum() if cumulative else wide.sort_index()
        x = pd.to_datetime(wide.index) + pd.Timedelta(days=7)
        median = bands(ax, x, wide.to_numpy(dtype=float), c)
        ends[_labels(results)[k]] = median[-1] if median.size else np.nan
    _date_axis(ax, "Week ending")
    _legend(ax, results, loc="upper left")
    return ends


def bands(ax: Axes, x, values: np.ndarray, colour) -> np.ndarray:
    """Median line and 50%/90% bands of ``values`` (one row per x, one column per run)."""
    for low, high, alpha in BANDS:
        edges = np.nanpercentile(values, [low, high], axis=1)
        ax.fill_between(x, *edges, color=colour, alpha=alpha, linewidth=0)
    median = np.nanmedian(values, axis=1)
    ax.plot(x, median, color=colour, linewidth=2)
    return median


def _date_axis(ax: Axes, label: str) -> None:
    locator = mdates.AutoDateLocator()
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    ax.set_xlabel(label)


def _fan_figure(results: Results, ax: Axes | None, point: int, column: str, cumulative: bool):
    """A one-panel fan chart with a title that reads off each policy's last median."""
    ax = _axes(ax)
    code = currency(results)
    ends = _fan(ax, results, column, point, cumulative)
    name = "Revenue booked since warm-up" if cumulative else _name(column)
    _value_axis(ax, column, code, name)
    last = {label: _text(column, v, code) for label, v in ends.items()}
    _title(
        ax,
        f"{name}{_where(results, point)}: {_phrase(last)} at the end (medians)",
        _FAN_DETAIL.format(n=_replications(_ok(results, point))),
    )
    return ax


def pipeline_fan(results: Results, ax: Axes | None = None, *, point: int = 0) -> Axes:
    """Open pipeline value at each week's end after warm-up: median and 50%/90% bands."""
    return _fan_figure(results, ax, point, "open_pipeline_value", cumulative=False)


def bookings_fan(results: Results, ax: Axes | None = None, *, point: int = 0) -> Axes:
    """Revenue booked since warm-up, week by week: median and 50%/90% bands.

    With a warm-up of whole weeks (the usual case) the last week's values are the runs'
    ``bookings``.
    """
    return _fan_figure(results, ax, point, "bookings", cumulative=True)


def utilisation(results: Results, fig: Figure | None = None, *, point: int = 0) -> list[Axes]:
    """SDR and AE utilisation per replication (left) and the SDR queue by week (right).

    Returns the two panels. A desk near 100% busy with a growing queue is the bottleneck.
    """
    runs = _ok(results, point)
    left, right = _panels(fig, 1, 2, (12.0, 4.8))
    columns = ("sdr_utilisation", "ae_utilisation")
    _grouped(
        left,
        results,
        ["SDRs", "AEs"],
        lambda i, k: _of(runs, k, columns[i]),
    )
    _value_axis(left, "sdr_utilisation", "", "Utilisation")
    left.set_title("Utilisation per replication (bar: mean)", fontsize=9)
    _fan(right, results, "sdr_queue", point)
    right.set_ylabel("MQLs waiting for a first touch (count)")
    right.yaxis.set_major_formatter(_formatter("sdr_queue", ""))
    right.set_title(_FAN_DETAIL.format(n=_replications(runs)), fontsize=9)
    busy = {
        label: _percent(_mean_interval(_of(runs, k, columns[0]))[0], 2)
        for k, label in enumerate(_labels(results))
    }
    _title(
        left.figure,
        f"Utilisation and queue{_where(results, point)}: SDRs busy {_phrase(busy)} (means)",
        "SDR utilisation: share of open time spent on attempts; AE utilisation: share of "
        "opportunity slots in use",
    )
    return [left, right]
