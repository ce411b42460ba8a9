"""Speed to lead against the SLA, on the business clock.

Speed to lead is counted in open hours, so marking the SLA needs each policy's calendar and
response time at the sweep point: a ``1d`` SLA is one working day, not 24 hours. This is
the one figure that needs the calendar, so it and :func:`sla_hours` live apart.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from funnelsim.base.calendar import Calendar
from funnelsim.base.units import parse_duration
from funnelsim.results import Results
from funnelsim.scenario.schema import CalendarSpec
from funnelsim.views.plots.data import _labels, _median, _of, _ok
from funnelsim.views.plots.formats import _phrase, _replications, _text, _where
from funnelsim.views.plots.series import _date_axis, bands
from funnelsim.views.plots.spread import _by_policy
from funnelsim.views.plots.style import (
    _formatter,
    _legend,
    _log_axis,
    _panels,
    _style_legend,
    _title,
    _value_axis,
    colours,
)

_P50 = "speed_to_lead_hours_p50"
_PERCENTILES = {_P50: ("median", "-"), "speed_to_lead_hours_p90": ("90th percentile", "--")}
"""The per-run percentiles of speed to lead drawn as ECDFs, and their line styles."""


def speed_to_lead(results: Results, fig: Figure | None = None, *, point: int = 0) -> list[Axes]:
    """Speed to lead as an ECDF over replications with the SLA marked (left), and SLA
    compliance by month across replications (right). Returns the two panels.

    Times are business hours from MQL to first touch; each policy is judged against its own
    SLA, at its own point of a sweep.
    """
    runs = _ok(results, point)
    ax, right = _panels(fig, 1, 2, (12.0, 4.8))
    for k, c in enumerate(colours(results).values()):
        for column, (_, style) in _PERCENTILES.items():
            values = _of(runs, k, column)
            values = values[np.isfinite(values)]
            if values.size:
                ax.ecdf(values, color=c, linestyle=style, linewidth=1.8)
    _log_axis(ax, runs[list(_PERCENTILES)].to_numpy(dtype=float).ravel())
    _sla_lines(ax, results, point)
    ax.set_xlabel("Speed to lead (business hours from MQL to first touch)")
    ax.set_ylabel("Replications at or below (%)")
    ax.yaxis.set_major_formatter(_formatter("share", ""))
    styles = {f"{name} per replication": {"linestyle": s} for name, s in _PERCENTILES.values()}
    _style_legend(ax, styles, loc="lower right", fontsize=8)
    _legend(ax, results, loc="best")
    ax.set_title("Speed to lead across replications (dotted: SLA)", fontsize=9)
    if "sla_judged" in results.weekly.columns:
        for k, c in enumerate(colours(results).values()):
            monthly = monthly_compliance(results, point, k)
            bands(right, monthly.index, monthly.to_numpy(dtype=float), c)
        _date_axis(right, "Month the MQLs arrived")
        right.set_title("SLA compliance by month: median, 50% and 90% bands", fontsize=9)
    else:  # results written before the weekly counts existed: one figure per replication
        _by_policy(right, results, runs, "sla_compliance")
        right.set_title("SLA compliance per replication (bar: mean)", fontsize=9)
    _value_axis(right, "sla_compliance", "")
    medians = {
        label: _text(_P50, _median(_of(runs, k, _P50)), "")
        for k, label in enumerate(_labels(results))
    }
    _title(
        ax.figure,
        f"Speed to lead{_where(results, point)}: median response {_phrase(medians)} "
        "(median over replications)",
        f"{_replications(runs)}; business hours; each policy judged against its own SLA",
    )
    return [ax, right]


def monthly_compliance(results: Results, point: int, policy: int) -> pd.DataFrame:
    """Each month's SLA compliance after warm-up, one column per replication.

    The share of the month's MQLs (by arrival) first touched within the SLA, from the weekly
    counts; a week counts in the month it starts in.
    """
    weekly = results.weekly
    weekly = weekly[(weekly["point"] == point) & (weekly["policy"] == policy)]
    weekly = weekly[~weekly["warmup"].astype(bool)]
    month = pd.to_datetime(weekly["week_start"]).dt.to_period("M").dt.to_timestamp()
    counts = (
        weekly.assign(month=month)
        .groupby(["month", "replication"])[["sla_on_time", "sla_judged"]]
        .sum()
    )
    share = counts["sla_on_time"] / counts["sla_judged"].where(counts["sla_judged"] > 0)
    return share.unstack("replication").sort_index()


def sla_hours(results: Results, point: int = 0) -> dict[str, float]:
    """Each policy's SLA response time at a point, in business hours.

    Speed to lead is measured on the business clock, so a ``1h`` SLA is one open hour and a
    ``1d`` SLA is one working day (8 hours with the default calendar), not 24.
    """
    return {label: _sla(results, label, point)[1] for label in _labels(results)}


def _sla(results: Results, label: str, point: int) -> tuple[str, float]:
    """A policy's SLA response time at a point, as written and in business hours."""
    resolved = results.manifest["scenario"][label]["resolved"]
    values = results.manifest["points"][point]
    text = values.get("sla.response_time", resolved["sla"]["response_time"])
    spec = dict(resolved["calendar"])
    spec |= {k.split(".", 1)[1]: v for k, v in values.items() if k.startswith("calendar.")}
    calendar = Calendar.from_spec(
        CalendarSpec.model_validate(spec), dt.date.fromisoformat(str(resolved["start_date"]))
    )
    return str(text), calendar.open_time(str(text)) * 24.0


def _sla_lines(ax: Axes, results: Results, point: int) -> None:
    """A dotted vertical line per distinct SLA, in the colour of the only policy that has it."""
    by_limit: dict[tuple[str, float], list[str]] = {}
    for label in _labels(results):
        by_limit.setdefault(_sla(results, label, point), []).append(label)
    for (text, hours), labels in by_limit.items():
        c = colours(results)[labels[0]] if len(labels) == 1 else "0.2"
        ax.axvline(hours, color=c, linestyle=":", linewidth=1.5, zorder=1)
        note = f"SLA {text}" + ("" if hours == parse_duration(text) * 24 else f" = {hours:g} h")
        note += "" if len(labels) == len(_labels(results)) else f" ({', '.join(labels)})"
        ax.annotate(
            note,
            (hours, 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(3, -3),
            textcoords="offset points",
            rotation=90,
            va="top",
            fontsize=8,
            color=c,
        )
